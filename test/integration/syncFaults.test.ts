import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { ContactsProvider, contactsProviderDeclaration } from '../../src/demo/syncProvider';
import { LOOPBACK_CIDRS } from '../../src/network/destinations';
import { streamIdOf } from '../../src/sync/store/recordStore';
import { startDevServer, type DevServer } from '../../src/temporal/devServer';
import { freePort } from '../../src/temporal/runtime';
import { exited, spawnCli, waitForOutput } from '../helpers/cli';
import { startTestJunction } from '../helpers/junction';
import { startOAuthServer } from '../helpers/oauthServer';
import { openTestStore, TEST_DATABASE_URL, type TestStore } from '../helpers/records';
import { apiOf, readChanges, runsDone, type ApiCall } from '../helpers/syncApi';
import { eventually, testTemporalAddress, uniqueName } from '../helpers/temporal';

jest.setTimeout(300_000);

const adminKey = `admin-${randomBytes(16).toString('hex')}`;
const apiKey = `sk_test_${randomBytes(12).toString('hex')}`;
/** 1,050 contacts at 100 a page: one clean run fetches 11 pages. */
const CONTACTS = 1_050;
const CLEAN_PAGES = 11;
const cli = {
  kind: 'binary' as const,
  path: process.env.JUNCTION_TEST_TEMPORAL_CLI ?? 'temporal',
  origin: 'PATH' as const,
};

let records: TestStore;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  records = await openTestStore('postgres');
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await records?.close();
});

/** The fake CRM, answering each list page slowly enough to be interrupted mid-run. */
async function slowProvider(options: Partial<ConstructorParameters<typeof ContactsProvider>[0]> = {}) {
  const provider = await new ContactsProvider({ apiKey, initial: CONTACTS, ...options }).start();
  cleanups.push(() => provider.stop());
  provider.faults.delayMs = 400;
  return provider;
}

/** Junction's configuration for one stream of the fake CRM, its records in the test's PostgreSQL schema. */
function junctionConfig(provider: ContactsProvider, declaration?: Record<string, unknown>) {
  const providerId = uniqueName('crm');
  const config = {
    temporal: { taskQueue: uniqueName('syncfaults'), shutdownGraceMs: 0 },
    network: { allowPrivate: [...LOOPBACK_CIDRS] },
    admin: { apiKeys: [adminKey] },
    providers: [
      {
        ...contactsProviderDeclaration(providerId, provider.url, { frequencySeconds: 3_600 }),
        ...declaration,
      },
    ],
    syncs: { database: { url: TEST_DATABASE_URL, schema: records.schema } },
  };
  return { providerId, config };
}

/** `junction worker` as a process of its own, as deployed. */
async function spawnWorker(config: Record<string, unknown>, temporalAddress: string): Promise<ChildProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'junction-syncfaults-'));
  writeFileSync(join(dir, 'junction.config.yaml'), stringify(config));
  const worker = spawnCli(['worker'], {
    JUNCTION_CONFIG: join(dir, 'junction.config.yaml'),
    TEMPORAL_ADDRESS: temporalAddress,
    PORT: '0',
  });
  cleanups.push(async () => {
    worker.kill('SIGKILL');
    await exited(worker);
  });
  await waitForOutput(worker, /Junction is running/, 120_000);
  return worker;
}

/** Creates the connection and enables its `contacts` stream: the first run starts at once. */
async function startStream(api: ApiCall, providerId: string, credentials?: Record<string, string>) {
  const connectionId = uniqueName('acct');
  const created = await api('POST', '/connections', {
    providerId,
    connectionId,
    ...(credentials ? { credentials } : {}),
  });
  expect([created.status, (created.json as { state?: string }).state]).toEqual([201, 'active']);
  expect((await api('PUT', `/connections/${connectionId}/syncs/contacts`)).status).toBe(200);
  return { connectionId, path: `/connections/${connectionId}/syncs/contacts` };
}

/**
 * The run's guarantees: every contact handed over exactly once as `added` (one change row each, nothing
 * lost), and no more than one page fetched again beyond what one clean run fetches. Returns the pages
 * fetched again.
 */
async function expectEveryRecordOnce(api: ApiCall, provider: ContactsProvider, connectionId: string) {
  const { changes } = await readChanges(api, connectionId, 'contacts');
  expect(changes).toHaveLength(CONTACTS);
  expect(changes.filter((change) => change.action !== 'added')).toEqual([]);
  expect(new Set(changes.map((change) => change.id))).toEqual(new Set(provider.all().map((c) => c.id)));
  const stream = await records.store.stream(streamIdOf(connectionId, 'contacts'));
  expect(stream?.lastSeq).toBe(CONTACTS);
  const pages = provider.pageRequests.map((page) => `${page.updatedSince}|${page.cursor}`);
  expect(new Set(pages).size).toBe(CLEAN_PAGES);
  const fetchedAgain = pages.length - CLEAN_PAGES;
  expect(fetchedAgain).toBeLessThanOrEqual(1);
  return fetchedAgain;
}

test('a worker SIGKILLed mid-run: the replacement finishes it, one page fetched again at most, no change twice', async () => {
  const provider = await slowProvider();
  const { providerId, config } = junctionConfig(provider);
  const worker = await spawnWorker(config, testTemporalAddress());
  // The HTTP API in this process (no worker of its own): the spawned worker runs the stream.
  const server = await startTestJunction(config, { worker: false, records: { store: records.store } });
  cleanups.push(() => server.stop());
  const api = apiOf(server, adminKey);
  const { connectionId, path } = await startStream(api, providerId, { apiKey });

  // Killed while the provider is answering the fourth page: that page is lost with the worker.
  await eventually(() => provider.pageRequests.length >= 3 && provider.slowRequests > 0, {
    timeoutMs: 120_000,
    intervalMs: 10,
    what: 'three pages served and the next one in flight',
  });
  worker.kill('SIGKILL');
  await exited(worker);
  expect(provider.pageRequests.length).toBeLessThan(CLEAN_PAGES);

  const replacement = await startTestJunction(config, {
    providerWorkers: [providerId],
    records: { store: records.store },
  });
  cleanups.push(() => replacement.stop());
  const status = await runsDone(api, path, 1);
  expect(status).toMatchObject({ state: 'idle', runs: 1 });
  expect(status.lastRun?.error).toBeUndefined();
  // The run's counts are the store's: the pages the killed worker wrote, whose answer was lost, count too.
  expect(status.lastRun).toMatchObject({ added: CONTACTS, pages: CLEAN_PAGES });
  // The page in flight at the kill, and only it, was fetched again.
  expect(await expectEveryRecordOnce(api, provider, connectionId)).toBe(1);
});

test('Temporal stopped mid-run and started again on its data: the run completes, nothing lost or doubled', async () => {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'junction-syncfaults-temporal-'));
  let temporal: DevServer | undefined = await startDevServer({ cli, port, dataDir });
  cleanups.push(async () => temporal?.stop());
  const provider = await slowProvider();
  const { providerId, config } = junctionConfig(provider);
  const worker = await spawnWorker(config, temporal.address);
  const server = await startTestJunction(config, {
    worker: false,
    temporalAddress: temporal.address,
    records: { store: records.store },
  });
  cleanups.push(() => server.stop());
  const api = apiOf(server, adminKey);
  const { connectionId, path } = await startStream(api, providerId, { apiKey });

  await eventually(() => provider.pageRequests.length >= 3 && provider.slowRequests > 0, {
    timeoutMs: 120_000,
    intervalMs: 10,
    what: 'three pages served and the next one in flight',
  });
  await temporal.stop();
  temporal = undefined;
  // An outage of a few seconds: the page in flight finishes meanwhile and cannot report to Temporal.
  await sleep(3_000);
  const servedWhileDown = provider.pageRequests.length;
  expect(servedWhileDown).toBeLessThan(CLEAN_PAGES);
  temporal = await startDevServer({ cli, port, dataDir });

  const status = await runsDone(api, path, 1, 180_000);
  expect(status).toMatchObject({ state: 'idle', runs: 1 });
  expect(status.lastRun?.error).toBeUndefined();
  await expectEveryRecordOnce(api, provider, connectionId);
  // The same worker process rode out the outage.
  expect(worker.exitCode).toBeNull();
});

test('a 401 mid-run: one forced token refresh, the page retried with the new token, nothing written twice', async () => {
  const clientSecret = `cc-${randomBytes(12).toString('hex')}`;
  const oauth = await startOAuthServer({
    port: await freePort(),
    clients: [
      {
        client_id: 'cc',
        client_secret: clientSecret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        x_access_token_ttl: 600,
      },
    ],
  });
  cleanups.push(() => oauth.close());
  // The provider takes the OAuth server's access tokens, until it stops taking one (revoked on its side).
  const rejected = new Set<string>();
  const provider = await slowProvider({ acceptToken: (token) => token.length > 0 && !rejected.has(token) });
  provider.faults.delayMs = 200;
  const { providerId, config } = junctionConfig(provider, {
    auth: { mode: 'client_credentials', tokenUrl: `${oauth.issuer}/token`, scopes: ['api:read'] },
    client: { clientId: 'cc', clientSecret },
  });
  const junction = await startTestJunction(config, {
    providerWorkers: [providerId],
    records: { store: records.store },
  });
  cleanups.push(() => junction.stop());
  const api = apiOf(junction, adminKey);
  const { connectionId, path } = await startStream(api, providerId);

  await eventually(() => provider.pageRequests.length >= 4, {
    timeoutMs: 120_000,
    intervalMs: 20,
    what: 'four pages served',
  });
  const stale = provider.pageRequests.at(-1)?.token as string;
  const before = await oauth.stats();
  rejected.add(stale);

  const status = await runsDone(api, path, 1);
  expect(status).toMatchObject({ state: 'idle', runs: 1 });
  expect(status.lastRun).toMatchObject({ added: CONTACTS, pages: CLEAN_PAGES });
  expect(status.lastRun?.error).toBeUndefined();
  const after = await oauth.stats();
  // Exactly one 401, one token request, and every page after it with the new token.
  expect(provider.answers.filter((answer) => answer === 401)).toHaveLength(1);
  expect(after.tokenRequests - before.tokenRequests).toBe(1);
  const tokens = provider.pageRequests.map((page) => page.token);
  const firstNew = tokens.findIndex((token) => token !== stale);
  expect(firstNew).toBeGreaterThanOrEqual(4);
  expect(new Set(tokens.slice(firstNew)).size).toBe(1);
  expect(tokens.slice(firstNew)).not.toContain(stale);
  expect(await expectEveryRecordOnce(api, provider, connectionId)).toBe(0);
  const metrics = await (await fetch(`${junction.url}/metrics`)).text();
  expect(metrics).toContain(`junction_provider_unauthorized_refreshes_total{provider="${providerId}"} 1`);
});
