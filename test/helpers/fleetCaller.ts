/**
 * One "process of the fleet" for connection tests and benchmarks: its own Temporal connection and `caches`
 * credential caches (each standing for a process of an application), each with `callersPerCache` concurrent
 * callers. Driven over IPC by the parent:
 *
 *   → { type: 'burst', id, mode: 'stale' | 'rejected' }
 *   ← { type: 'done', id, ok, errors, tokens, revisions, ms }
 *   → { type: 'load', id, pauseMs } | { type: 'report', id } | { type: 'unload', id }
 *   ← { type: 'load', id, calls, errors, errorCount, tokens, slowestMs }
 *
 * `stale`: every caller asks for headers at once. `rejected`: every caller first takes its headers, then
 * reports them rejected (a 401) at once. `load` starts every caller asking again and again, a random pause of
 * up to `pauseMs` apart, until `unload`; `report` (and `unload`, once every caller has stopped) answers what
 * the callers saw since the last report. Tokens are reported as short hashes, never in plaintext.
 */
import { createHash } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { createPayloadCodec, junctionDataConverter } from '../../src/codec';
import { parseConfig } from '../../src/config/load';
import { createCredentialCache, type AuthHeaders, type CredentialCache } from '../../src/connections';

export interface FleetCallerOptions {
  address: string;
  connectionId: string;
  caches: number;
  callersPerCache: number;
  minValidityMs?: number;
}

export interface BurstResult {
  type: 'done';
  id: number;
  ok: number;
  errors: string[];
  tokens: string[];
  revisions: number[];
  ms: number;
}

/** What the callers under continuous load saw since the previous report. */
export interface LoadReport {
  type: 'load';
  id: number;
  calls: number;
  /** The first few errors (all of them are counted in `errorCount`). */
  errors: string[];
  errorCount: number;
  tokens: string[];
  /** The longest a single call waited for its headers. */
  slowestMs: number;
}

type Command =
  | { type: 'stop' }
  | { type: 'burst'; id: number; mode: 'stale' | 'rejected' }
  | { type: 'load'; id: number; pauseMs: number }
  | { type: 'report'; id: number }
  | { type: 'unload'; id: number };

const MAX_REPORTED_ERRORS = 20;

const errorText = (reason: unknown) => String((reason as Error)?.message ?? reason).slice(0, 200);

export const fingerprint = (headers: AuthHeaders) =>
  createHash('sha256')
    .update(headers.headers.authorization ?? JSON.stringify(headers.headers))
    .digest('hex')
    .slice(0, 12);

async function main() {
  const options = JSON.parse(process.argv[2] ?? '{}') as FleetCallerOptions;
  const codec = createPayloadCodec(parseConfig({}, { JUNCTION_CODEC_KEYS: process.env.JUNCTION_CODEC_KEYS }));
  const connection = await Connection.connect({ address: options.address });
  const client = new Client({ connection, dataConverter: junctionDataConverter(codec) });
  const caches = Array.from({ length: options.caches }, () =>
    createCredentialCache({ client, minValidityMs: options.minValidityMs }),
  );
  const callers = caches.flatMap((cache) => Array.from({ length: options.callersPerCache }, () => cache));

  let seen = { calls: 0, errors: [] as string[], errorCount: 0, tokens: new Set<string>(), slowestMs: 0 };
  let loops: Promise<void>[] = [];
  let loading = false;
  const report = (id: number): LoadReport => {
    const { tokens, ...counts } = seen;
    seen = { calls: 0, errors: [], errorCount: 0, tokens: new Set(), slowestMs: 0 };
    return { type: 'load', id, ...counts, tokens: [...tokens] };
  };
  const callAgainAndAgain = async (cache: CredentialCache, pauseMs: number) => {
    while (loading) {
      const started = performance.now();
      try {
        seen.tokens.add(fingerprint(await cache.authHeaders(options.connectionId)));
      } catch (error) {
        seen.errorCount++;
        if (seen.errors.length < MAX_REPORTED_ERRORS) seen.errors.push(errorText(error));
      }
      seen.calls++;
      seen.slowestMs = Math.max(seen.slowestMs, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * pauseMs));
    }
  };

  process.on('message', (message: Command) => {
    if (message.type === 'stop') {
      loading = false;
      void connection.close().finally(() => process.exit(0));
      return;
    }
    if (message.type === 'load') {
      loading = true;
      loops = callers.map((cache) => callAgainAndAgain(cache, message.pauseMs));
      process.send?.(report(message.id));
      return;
    }
    if (message.type === 'report') {
      process.send?.(report(message.id));
      return;
    }
    if (message.type === 'unload') {
      loading = false;
      void Promise.all(loops).then(() => process.send?.(report(message.id)));
      return;
    }
    void (async () => {
      const held =
        message.mode === 'rejected'
          ? await Promise.all(callers.map((cache) => cache.authHeaders(options.connectionId)))
          : [];
      const started = performance.now();
      const results = await Promise.allSettled(
        callers.map((cache, i) =>
          message.mode === 'rejected'
            ? cache.authHeadersAfterUnauthorized(options.connectionId, held[i]!.headers)
            : cache.authHeaders(options.connectionId),
        ),
      );
      const ms = performance.now() - started;
      const errors: string[] = [];
      const tokens = new Set<string>();
      const revisions = new Set<number>();
      for (const result of results) {
        if (result.status === 'rejected') {
          errors.push(errorText(result.reason));
        } else {
          tokens.add(fingerprint(result.value));
          const revision = (result.value as { revision?: number }).revision;
          if (revision !== undefined) revisions.add(revision);
        }
      }
      const done: BurstResult = {
        type: 'done',
        id: message.id,
        ok: results.length - errors.length,
        errors,
        tokens: [...tokens],
        revisions: [...revisions],
        ms,
      };
      process.send?.(done);
    })();
  });
  process.send?.({ type: 'ready' });
}

// Imported (for `fingerprint`) it does nothing; run as a process it serves the parent.
if (require.main === module) void main();
