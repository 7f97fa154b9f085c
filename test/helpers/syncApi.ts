/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument -- JSON answers of the HTTP API */
import { eventually } from './temporal';

export interface Api {
  status: number;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export type ApiCall = (
  method: string,
  path: string,
  body?: unknown,
  token?: string,
  headers?: Record<string, string>,
) => Promise<Api>;

/** JSON calls to a Junction (its `url`) with a bearer token (the admin key unless another is given). */
export function apiOf(junction: { url: string }, adminKey: string): ApiCall {
  return async (method, path, body, token = adminKey, headers = {}) => {
    const response = await fetch(`${junction.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, json: await response.json() };
  };
}

export interface ChangeRow {
  id: string;
  action: string;
  version: number;
  data: Record<string, unknown>;
}

/** Follows the change stream from `cursor` to its end; returns the changes and the cursor to go on from. */
export async function readChanges(api: ApiCall, connectionId: string, sync: string, cursor = '') {
  const changes: ChangeRow[] = [];
  for (;;) {
    const page = await api(
      'GET',
      `/records/${connectionId}/${sync}?limit=250${cursor ? `&cursor=${cursor}` : ''}`,
    );
    if (page.status !== 200)
      throw new Error(`GET /records answered ${page.status}: ${JSON.stringify(page.json)}`);
    changes.push(...page.json.records);
    cursor = page.json.nextCursor;
    if (!page.json.hasMore) return { changes, cursor, lastSyncedAt: page.json.lastSyncedAt as string | null };
  }
}

/** A stream's status as `GET /connections/:id/syncs/:sync` answers it (the parts the tests read). */
export interface StreamStatus {
  state: string;
  runs: number;
  lastRun?: { error?: unknown; added: number; updated: number; deleted: number; pages: number };
}

/** The sync's status once it has finished `runs` runs. */
export async function runsDone(
  api: ApiCall,
  path: string,
  runs: number,
  timeoutMs = 120_000,
): Promise<StreamStatus> {
  return eventually(
    async () => {
      const status = (await api('GET', path)).json as StreamStatus;
      return status.runs >= runs && status.state !== 'syncing' ? status : undefined;
    },
    { timeoutMs, intervalMs: 200, what: `${path} to finish run ${runs}` },
  );
}
