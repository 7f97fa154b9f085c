/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument -- JSON answers of the HTTP API */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeConnection, Worker } from '@temporalio/worker';
import { stringify } from 'yaml';
import { createCredentialCache } from '../../src/connections';
import { exited, spawnCli, waitForOutput } from '../helpers/cli';
import { exportHistories } from '../helpers/exportHistories';
import { RETURN_TO, startConnectionsEnv, type ConnectionsEnv } from '../helpers/connectionsFixture';
import { authorizeWithoutBrowser } from '../helpers/oauthServer';
import { eventually, testTemporalAddress, uniqueName } from '../helpers/temporal';

let env: ConnectionsEnv;
const closers: Array<() => Promise<void>> = [];
/** Worker processes still running, so a test can make sure only its own worker runs. */
const workerStops = new Set<() => Promise<void>>();

beforeAll(async () => {
  env = await startConnectionsEnv({
    // `web-fast` tokens live 15 s here; `test-short` declares no margin, so the default 300 s applies.
    fastTtl: 15,
    extraProviders: ({ issuer, webSecret }) => [
      {
        id: 'test-short',
        extends: 'oauth2',
        auth: {
          issuer,
          authorizationUrl: `${issuer}/auth`,
          tokenUrl: `${issuer}/token`,
          scopes: ['api:read'],
        },
        apiBaseUrl: `${issuer}/api`,
        client: { clientId: 'web-fast', clientSecret: webSecret },
      },
    ],
  });
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  // `JUNCTION_EXPORT_HISTORIES=<dir>`: connection histories of these faults (the patches they take), as
  // replay fixtures.
  const out = process.env.JUNCTION_EXPORT_HISTORIES;
  if (out && env) {
    const query = `WorkflowType = 'connection' AND TaskQueue = '${env.junction.config.temporal.taskQueue}'`;
    await exportHistories(env.junction.client, env.junction.codec, { query, out });
  }
  await env?.stop();
});

async function connect(provider: string) {
  const connectionId = uniqueName(provider);
  await authorizeWithoutBrowser(await env.connectLink(provider, connectionId), { returnToPrefix: RETURN_TO });
  return connectionId;
}

async function startWorkerProcess() {
  const dir = mkdtempSync(join(tmpdir(), 'junction-faults-worker-'));
  writeFileSync(join(dir, 'junction.config.yaml'), stringify({ ...env.rawConfig, server: {} }));
  const child = spawnCli(['worker'], {
    JUNCTION_CONFIG: join(dir, 'junction.config.yaml'),
    TEMPORAL_ADDRESS: testTemporalAddress(),
    PORT: '0',
  });
  await waitForOutput(child, /Junction is running/);
  const stop = async () => {
    workerStops.delete(stop);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited(child);
  };
  closers.push(stop);
  workerStops.add(stop);
  return Object.assign(child, { stop });
}

test('15-second tokens with the default 300 s margin: one token request per token, refreshed half-way', async () => {
  const connectionId = await connect('test-short');
  const before = (await env.oauth.stats()).tokenRequests;
  const started = Date.now();
  await new Promise((resolve) => setTimeout(resolve, 31_000));
  const requests = (await env.oauth.stats()).tokenRequests - before;
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(`${requests} token requests in ${seconds.toFixed(1)} s with 15 s tokens\n`);
  // Half-way through each token: at most one request per 7.5 s (4 in 31 s), where an uncapped margin made
  // it one a second (about 31).
  expect(requests).toBeGreaterThanOrEqual(2);
  expect(requests).toBeLessThanOrEqual(Math.ceil(seconds / 7.5));
  const status = (await env.admin('GET', `/connections/${connectionId}`)).json;
  expect(status).toMatchObject({ state: 'active' });
  expect(Date.parse(status.expiresAt)).toBeGreaterThan(Date.now());
  await env.admin('DELETE', `/connections/${connectionId}`);
}, 60_000);

/**
 * The provider rotates the refresh token and answers, but the worker that asked is killed before the answer
 * arrives: the rotated token is lost with it. The retry (on another worker, within seconds thanks to the
 * token request's heartbeat) presents the previous refresh token.
 */
async function refreshWithLostAnswer(provider: string) {
  // Only one worker process runs from here on, so the token request lands on the one that is killed.
  for (const stop of [...workerStops]) await stop();
  const first = await startWorkerProcess();
  await env.junction.stopWorker();
  const connectionId = await connect(provider);
  await env.oauth.holdTokenAnswers(1, 10_000);
  const before = await env.oauth.stats();
  const eventsBefore = env.events.requests.length;
  const refresh = env.admin('POST', `/connections/${connectionId}/refresh`);
  await eventually(async () => (await env.oauth.stats()).holding > 0, { what: 'the held token answer' });
  first.kill('SIGKILL');
  await exited(first);
  // The replacement stays for the tests that follow.
  await startWorkerProcess();
  const answer = await refresh;
  // The held answer is counted as lost once its hold ends and it finds the killed worker gone.
  const stats = await eventually(
    async () => {
      const now = await env.oauth.stats();
      return now.answersLost > before.answersLost ? now : undefined;
    },
    { what: 'the lost answer' },
  );
  return { connectionId, answer, before, stats, eventsBefore };
}

test('a lost rotation without a reuse grace: needs_reauth, and the application hears of it', async () => {
  const { connectionId, answer, before, stats, eventsBefore } = await refreshWithLostAnswer('test-oauth');
  expect(answer).toMatchObject({ status: 409, json: { code: 'needs_reauth' } });
  expect(stats.answersLost - before.answersLost).toBe(1);
  const status = (await env.admin('GET', `/connections/${connectionId}`)).json;
  expect(status).toMatchObject({ state: 'needs_reauth', reauthReason: 'invalid_grant' });
  expect(status.lastError.message).toContain('earlier attempt may have rotated the refresh token');
  const event = await eventually(
    () =>
      env.events.requests
        .slice(eventsBefore)
        .map((request) => JSON.parse(request.body.toString('utf8')) as Record<string, unknown>)
        .find((body) => body.type === 'connection.needs_reauth' && body.connectionId === connectionId),
    { what: 'the needs_reauth event' },
  );
  expect(event).toMatchObject({ providerId: 'test-oauth', reason: 'invalid_grant' });
}, 120_000);

test('a lost rotation within the provider reuse grace: the retry succeeds and the connection stays active', async () => {
  const { connectionId, answer, before, stats, eventsBefore } = await refreshWithLostAnswer('test-grace');
  expect(answer).toMatchObject({ status: 200, json: { state: 'active' } });
  expect(stats.answersLost - before.answersLost).toBe(1);
  // The held request and its retry (more, if a loaded machine misses a heartbeat): every one of them granted,
  // the retry with the previous refresh token inside the grace.
  const requests = stats.tokenRequests - before.tokenRequests;
  expect(requests).toBeGreaterThanOrEqual(2);
  expect((stats.grants.refresh_token ?? 0) - (before.grants.refresh_token ?? 0)).toBe(requests);
  expect(
    env.events.requests
      .slice(eventsBefore)
      .some((request) => request.body.toString('utf8').includes('connection.needs_reauth')),
  ).toBe(false);
  // The newest refresh token works: another refresh is granted (reuse of a stale one would revoke the grant).
  expect(await env.admin('POST', `/connections/${connectionId}/refresh`)).toMatchObject({
    status: 200,
    json: { state: 'active' },
  });
}, 120_000);

/**
 * A caller that holds an older revision when the current token has already run out: before, the workflow
 * answered it from the current revision without a refresh, so with an expired token, `refresh_failed` (seen
 * in the chaos suite when a refreshed token reached the workflow after its expiry). Now the workflow joins
 * the refresh in flight, or starts one: the caller gets a token, and the expiry still costs one request.
 */
test('a caller from an older revision after the token ran out gets a refreshed token, not refresh_failed', async () => {
  for (const stop of [...workerStops]) await stop();
  let worker = await startWorkerProcess();
  await env.junction.stopWorker();
  const connectionId = await connect('test-fast');
  const older = createCredentialCache({ client: env.junction.client, minValidityMs: 1_000 });
  const newer = createCredentialCache({ client: env.junction.client, minValidityMs: 1_000 });
  const first = await older.authHeaders(connectionId);
  // Another process saw the token rejected: a forced refresh moves the connection to the next revision.
  const second = await newer.authHeadersAfterUnauthorized(connectionId, first.headers);
  expect(second.headers).not.toEqual(first.headers);
  // No worker until that token has run out too; then a slow token endpoint keeps the overdue refresh open.
  await worker.stop();
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, second.expiresAt! - Date.now()) + 500));
  await env.oauth.delayTokenRequests(2_000);
  const before = await env.oauth.stats();
  try {
    const asked = older.authHeaders(connectionId);
    worker = await startWorkerProcess();
    const third = await asked;
    expect(third.headers).not.toEqual(second.headers);
    expect(third.expiresAt).toBeGreaterThan(Date.now());
    // `web-fast` is this connection's client: other tests' connections refresh on other clients meanwhile.
    const after = await env.oauth.stats();
    expect((after.grantsByClient['web-fast'] ?? 0) - (before.grantsByClient['web-fast'] ?? 0)).toBe(1);
  } finally {
    await env.oauth.delayTokenRequests(0);
  }
  await env.admin('DELETE', `/connections/${connectionId}`);
}, 90_000);

test('a connection whose workflow task keeps failing answers 503 connection_stuck, logged and counted', async () => {
  const connectionId = uniqueName('stuck');
  const taskQueue = uniqueName('broken');
  const connection = await NativeConnection.connect({ address: testTemporalAddress() });
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: require.resolve('../fixtures/brokenWorkflows'),
  });
  const running = worker.run();
  closers.push(async () => {
    worker.shutdown();
    await running;
    await connection.close();
  });
  await env.junction.client.workflow.start('connection', {
    workflowId: `connection:${connectionId}`,
    taskQueue,
    args: [],
  });
  const answer = await eventually(
    async () => {
      const got = await env.admin('GET', `/connections/${connectionId}`);
      return got.status === 503 ? got : undefined;
    },
    { timeoutMs: 60_000, what: 'a 503 for the stuck connection' },
  );
  expect(answer.json).toMatchObject({ code: 'connection_stuck', connectionId, state: 'stuck' });
  expect(answer.json.workflowTaskAttempt).toBeGreaterThanOrEqual(2);
  expect(answer.json.message).toContain('workflow task keeps failing');
  const metrics = await (await fetch(`${env.junction.url}/metrics`)).text();
  expect(metrics).toMatch(/^junction_connection_stuck_total [1-9]/m);
  expect(env.junction.logs.some((line) => line.includes('connection workflow is stuck'))).toBe(true);
  // A refresh through the API is answered the same way, not with a 500.
  expect(await env.admin('POST', `/connections/${connectionId}/refresh`)).toMatchObject({
    status: 503,
    json: { code: 'connection_stuck' },
  });
  await env.junction.client.workflow.getHandle(`connection:${connectionId}`).terminate('test over');
}, 90_000);
