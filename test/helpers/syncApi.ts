import { eventually } from './temporal';

export interface ApiAnswer {
  status: number;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON answers of the HTTP API
}

export type Api = (method: string, path: string, body?: unknown) => Promise<ApiAnswer>;

/** Junction's HTTP API at `url` with the admin key. */
export function syncApi(url: string, adminKey: string): Api {
  return async (method, path, body) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${adminKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, json: await response.json() };
  };
}

/** A stream's status as `GET /connections/:id/syncs/:sync` answers it (the parts the tests read). */
export interface StreamStatus {
  state: string;
  runs: number;
  lastRun?: { error?: unknown; added: number; updated: number; deleted: number; pages: number };
}

interface ChangesPage {
  records: ChangeRow[];
  nextCursor: string;
  hasMore: boolean;
}

export interface ChangeRow {
  id: string;
  action: string;
  version: number;
  data: Record<string, unknown>;
}

/** Follows `GET /records` from the beginning to its end: every change row, in commit order. */
export async function readAllChanges(api: Api, connectionId: string, sync: string): Promise<ChangeRow[]> {
  const changes: ChangeRow[] = [];
  let cursor = '';
  for (;;) {
    const page = await api('GET', `/records/${connectionId}/${sync}?limit=250&cursor=${cursor}`);
    if (page.status !== 200)
      throw new Error(`GET /records answered ${page.status}: ${JSON.stringify(page.json)}`);
    const answer = page.json as ChangesPage;
    changes.push(...answer.records);
    cursor = answer.nextCursor;
    if (!answer.hasMore) return changes;
  }
}

/** The stream's status once it has finished `runs` runs. */
export async function runsDone(api: Api, path: string, runs: number, timeoutMs = 120_000) {
  return eventually(
    async () => {
      const status = (await api('GET', path)).json as StreamStatus;
      return status.runs >= runs && status.state !== 'syncing' ? status : undefined;
    },
    { timeoutMs, intervalMs: 250, what: `${path} to finish run ${runs}` },
  );
}
