/**
 * One "process of the fleet" for connection tests and benchmarks: its own Temporal connection and `caches`
 * credential caches (each standing for a process of an application), each with `callersPerCache` concurrent
 * callers. Driven over IPC by the parent:
 *
 *   → { type: 'burst', id, mode: 'stale' | 'rejected' }
 *   ← { type: 'done', id, ok, errors, tokens, revisions, ms }
 *
 * `stale`: every caller asks for headers at once. `rejected`: every caller first takes its headers, then
 * reports them rejected (a 401) at once. Tokens are reported as short hashes, never in plaintext.
 */
import { createHash } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { createPayloadCodec, junctionDataConverter } from '../../src/codec';
import { parseConfig } from '../../src/config/load';
import { createCredentialCache, type AuthHeaders } from '../../src/connections';

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

const fingerprint = (headers: AuthHeaders) =>
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

  process.on('message', (message: { type: string; id: number; mode: 'stale' | 'rejected' }) => {
    if (message.type === 'stop') {
      void connection.close().finally(() => process.exit(0));
      return;
    }
    if (message.type !== 'burst') return;
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
          errors.push(String((result.reason as Error)?.message ?? result.reason).slice(0, 200));
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

void main();
