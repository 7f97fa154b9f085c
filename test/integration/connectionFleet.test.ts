/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access -- JSON answers of the HTTP API */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { stringify } from 'yaml';
import type { ConnectionMemo } from '../../src/shared/connectionContract';
import { exited, spawnCli, waitForOutput } from '../helpers/cli';
import { RETURN_TO, startConnectionsEnv, type ConnectionsEnv } from '../helpers/connectionsFixture';
import { startFleetCaller, type FleetCaller } from '../helpers/fleet';
import { authorizeWithoutBrowser } from '../helpers/oauthServer';
import { eventually, testTemporalAddress, uniqueName } from '../helpers/temporal';

/**
 * A fleet: 1,000 callers in 200 credential caches (each standing for a process of the application), spread
 * over two caller processes with a Temporal connection each, while the connection workflow runs on two
 * `junction worker` processes and the token endpoint takes 3 s to answer. Every round must cost no caller an
 * error and exactly one token request, and leave every caller with the same, newest token.
 */
const TTL_SECONDS = 20;
const CACHES_PER_PROCESS = 100;
const CALLERS_PER_CACHE = 5;

let env: ConnectionsEnv;
let callers: FleetCaller[] = [];
let workers: ChildProcess[] = [];

beforeAll(async () => {
  // The provider `test-fast` issues 20-second tokens and refreshes 1 s ahead (capped at half the lifetime).
  env = await startConnectionsEnv({ fastTtl: TTL_SECONDS });
});
afterAll(async () => {
  await Promise.all(callers.map((caller) => caller.stop()));
  await stopWorkers();
  await env?.oauth.delayTokenRequests(0);
  await env?.stop();
});

async function startWorker(): Promise<ChildProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'junction-fleet-worker-'));
  writeFileSync(join(dir, 'junction.config.yaml'), stringify({ ...env.rawConfig, server: {} }));
  const child = spawnCli(['worker'], {
    JUNCTION_CONFIG: join(dir, 'junction.config.yaml'),
    TEMPORAL_ADDRESS: testTemporalAddress(),
    PORT: '0',
  });
  await waitForOutput(child, /Junction is running/);
  return child;
}

async function stopWorkers() {
  for (const worker of workers) {
    if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGTERM');
    await exited(worker);
  }
  workers = [];
}

async function memo(connectionId: string): Promise<ConnectionMemo> {
  const description = await env.junction.client.workflow.getHandle(`connection:${connectionId}`).describe();
  return description.memo as unknown as ConnectionMemo;
}

/** Fires a burst in every caller process at once and checks the round's outcome. */
async function round(
  mode: 'stale' | 'rejected',
  what: string,
  previousTokens: string[] = [],
  counted?: Awaited<ReturnType<ConnectionsEnv['oauth']['stats']>>,
) {
  const before = counted ?? (await env.oauth.stats());
  const started = performance.now();
  const results = await Promise.all(callers.map((caller) => caller.burst(mode)));
  const wallMs = performance.now() - started;
  const after = await env.oauth.stats();
  const errors = results.flatMap((r) => r.errors);
  const tokens = [...new Set(results.flatMap((r) => r.tokens))];
  const ok = results.reduce((sum, r) => sum + r.ok, 0);
  process.stdout.write(
    `${what}: ${ok} callers answered, ${errors.length} errors, ${after.tokenRequests - before.tokenRequests} token request(s), ${tokens.length} distinct token(s), ${wallMs.toFixed(0)} ms\n`,
  );
  expect(errors).toEqual([]);
  expect(ok).toBe(callers.length * CACHES_PER_PROCESS * CALLERS_PER_CACHE);
  expect(after.tokenRequests - before.tokenRequests).toBe(1);
  expect(tokens).toHaveLength(1);
  for (const previous of previousTokens) expect(tokens).not.toContain(previous);
  return tokens;
}

test('1,000 callers in 200 caches across two processes and two workers: at expiry and on a 401, no errors and one token request', async () => {
  const connectionId = uniqueName('fleet');
  await authorizeWithoutBrowser(await env.connectLink('test-fast', connectionId), {
    returnToPrefix: RETURN_TO,
  });
  // From here on the workflow runs on worker processes only.
  await env.junction.stopWorker();
  workers = await Promise.all([startWorker(), startWorker()]);
  callers = await Promise.all(
    [0, 1].map(() =>
      startFleetCaller({
        address: testTemporalAddress(),
        connectionId,
        caches: CACHES_PER_PROCESS,
        callersPerCache: CALLERS_PER_CACHE,
      }),
    ),
  );
  // Warm every cache on the current token.
  const first = await Promise.all(callers.map((caller) => caller.burst('stale')));
  expect(first.flatMap((r) => r.errors)).toEqual([]);

  // 1. At expiry: no worker refreshed ahead (both stopped until the token expired); then every cache at once,
  //    against a token endpoint that takes 3 s.
  await stopWorkers();
  const expiresAt = Date.parse((await memo(connectionId)).expiresAt!);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 500));
  await env.oauth.delayTokenRequests(3_000);
  // Counted from here: the workers' overdue refresh timer and the callers share one token request.
  const atExpiry = await env.oauth.stats();
  workers = await Promise.all([startWorker(), startWorker()]);
  let tokens = await round('stale', 'expired token', [], atExpiry);

  // 2. Stale together: every cache's margin (half of what was left of the token when it was fetched, about
  //    8-10 s here) has passed, and the workflow's own timer (1 s before expiry) has not fired yet.
  const next = Date.parse((await memo(connectionId)).expiresAt!);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - Date.now() - 3_000)));
  tokens = await round('stale', 'stale token', tokens);

  // 3. A simultaneous 401: every caller reports the token it holds rejected.
  tokens = await round('rejected', '401 for everyone', tokens);
  await round('rejected', '401 for everyone, again', tokens);

  const status = (await env.admin('GET', `/connections/${connectionId}`)).json;
  expect(status.state).toBe('active');
  await eventually(async () => (await env.admin('DELETE', `/connections/${connectionId}`)).status === 200);
}, 240_000);
