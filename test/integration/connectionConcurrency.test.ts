import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { stringify } from 'yaml';
import { ConnectionsClient } from '../../src/client/connectionsClient';
import { createPayloadCodec, junctionDataConverter } from '../../src/codec';
import { parseConfig } from '../../src/config/load';
import { createCredentialCache } from '../../src/connections';
import { exited, spawnCli, waitForOutput } from '../helpers/cli';
import { RETURN_TO, startConnectionsEnv, type ConnectionsEnv } from '../helpers/connectionsFixture';
import { authorizeWithoutBrowser } from '../helpers/oauthServer';
import { eventually, testTemporalAddress, uniqueName } from '../helpers/temporal';

let env: ConnectionsEnv;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  // Access tokens of the `web-fast` client live 20 s; the provider refreshes 1 s ahead.
  env = await startConnectionsEnv({ fastTtl: 20 });
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await env?.stop();
});

/** A second worker on the same task queue: `junction worker` as its own process. */
async function startWorkerProcess() {
  const dir = mkdtempSync(join(tmpdir(), 'junction-conn-worker-'));
  writeFileSync(join(dir, 'junction.config.yaml'), stringify({ ...env.rawConfig, server: {} }));
  const child = spawnCli(['worker'], {
    JUNCTION_CONFIG: join(dir, 'junction.config.yaml'),
    TEMPORAL_ADDRESS: testTemporalAddress(),
    PORT: '0',
  });
  await waitForOutput(child, /Junction is running/);
  return child;
}

async function codecClient() {
  const connection = await Connection.connect({ address: testTemporalAddress() });
  const codec = createPayloadCodec(parseConfig({}, { JUNCTION_CODEC_KEYS: process.env.JUNCTION_CODEC_KEYS }));
  closers.push(() => connection.close());
  return new Client({ connection, dataConverter: junctionDataConverter(codec) });
}

async function connect(provider: string) {
  const connectionId = uniqueName('burst');
  await authorizeWithoutBrowser(await env.connectLink(provider, connectionId), { returnToPrefix: RETURN_TO });
  return connectionId;
}

test('200 concurrent callers (caches and raw getFreshToken updates) on an expired token, two workers → exactly one token request', async () => {
  const second = await startWorkerProcess();
  closers.push(async () => {
    second.kill('SIGTERM');
    await exited(second);
  });
  const connectionId = await connect('test-fast');
  // Stop refreshing ahead: with the in-process worker paused the token expires; the process worker alone
  // would refresh it, so stop it too, let the token expire, then bring both workers back at once.
  await env.junction.stopWorker();
  second.kill('SIGKILL');
  await exited(second);
  await new Promise((resolve) => setTimeout(resolve, 21_000));
  const before = await env.oauth.stats();

  // Both at once: the first to come up refreshes the expired token; the callers follow within its lifetime.
  const [workerA, workerB] = await Promise.all([startWorkerProcess(), startWorkerProcess()]);
  const stopBoth = async () => {
    for (const w of [workerA, workerB]) {
      if (w.exitCode === null && w.signalCode === null) w.kill('SIGTERM');
      await exited(w);
    }
  };
  closers.push(stopBoth);
  // Two callers' processes (two caches, two clients), 100 concurrent callers each, plus 20 raw updates
  // with no in-process sharing at all.
  const caches = [
    createCredentialCache({ client: await codecClient(), minValidityMs: 500 }),
    createCredentialCache({ client: await codecClient(), minValidityMs: 500 }),
  ];
  const raw = await codecClient();
  const direct = new ConnectionsClient(raw, env.junction.config.temporal.taskQueue);
  const results = await Promise.all([
    ...Array.from({ length: 180 }, (_, i) => caches[i % 2]!.authHeaders(connectionId)),
    ...Array.from({ length: 20 }, () => direct.getFreshToken(connectionId, { minValidityMs: 500 })),
  ]);
  const after = await env.oauth.stats();
  const tokens = new Set(results.map((r) => r.headers.authorization));
  expect(tokens.size).toBe(1);
  expect(results.every((r) => (r.expiresAt ?? 0) > Date.now() - 1_000)).toBe(true);
  expect((after.grants.refresh_token ?? 0) - (before.grants.refresh_token ?? 0)).toBe(1);
  expect(after.tokenRequests - before.tokenRequests).toBe(1);
  // The next test needs to know which worker runs the refresh: these two must be gone.
  await stopBoth();
}, 180_000);

test('a worker killed during a refresh: the refresh is retried elsewhere and the connection stays valid', async () => {
  const worker = await startWorkerProcess();
  const connectionId = await connect('test-oauth');
  // Only the process worker runs from here on, so the refresh activity lands there.
  await env.junction.stopWorker();
  await env.oauth.holdTokenRequests(1, 12_000);
  const before = await env.oauth.stats();
  const refresh = env.admin('POST', `/connections/${connectionId}/refresh`);
  // Kill the worker while the provider is holding its token request, not merely after it was counted.
  await eventually(async () => (await env.oauth.stats()).holding > 0, { what: 'the held token request' });
  worker.kill('SIGKILL');
  await exited(worker);

  const replacement = await startWorkerProcess();
  closers.push(async () => {
    replacement.kill('SIGTERM');
    await exited(replacement);
  });
  const answer = await refresh;
  expect(answer.status).toBe(200);
  expect(answer.json).toMatchObject({ state: 'active' });
  // The retry does not wait for the held request: it is counted as dropped when its hold ends.
  const stats = await eventually(
    async () => {
      const now = await env.oauth.stats();
      return now.dropped > before.dropped ? now : undefined;
    },
    { what: 'the held request to be dropped' },
  );
  // The held request plus the retry on the replacement worker. Had the first one been processed, the retry
  // would have reused a rotated refresh token, which this server answers with invalid_grant.
  expect(stats.dropped - before.dropped).toBe(1);
  expect(stats.tokenRequests - before.tokenRequests).toBeGreaterThanOrEqual(2);
  const headers = await createCredentialCache({ client: await codecClient() }).authHeaders(connectionId);
  expect(headers.headers.authorization).toMatch(/^Bearer /);
}, 120_000);
