/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access -- JSON answers of the HTTP API */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ContactsProvider, contactsProviderDeclaration } from '../../src/demo/syncProvider';
import { LOOPBACK_CIDRS } from '../../src/network/destinations';
import { exited, spawnCli, waitForOutput } from '../helpers/cli';
import { startTestJunction, type TestJunction } from '../helpers/junction';
import { openTestStore, TEST_DATABASE_URL, type TestStore } from '../helpers/records';
import { apiOf, readChanges, runsDone, type ApiCall } from '../helpers/syncApi';
import { eventually, testTemporalAddress, uniqueName } from '../helpers/temporal';

jest.setTimeout(240_000);

const adminKey = `admin-${randomBytes(16).toString('hex')}`;
const apiKey = `sk_test_${randomBytes(12).toString('hex')}`;
const providerId = uniqueName('crm');
const connectionId = uniqueName('acct');
const running: TestJunction[] = [];
let provider: ContactsProvider;
let records: TestStore;
let dir: string;

afterAll(async () => {
  for (const junction of running) await junction.stop();
  await records?.close();
  await provider?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a worker SIGKILLed after the provider carried out a write, before the store recorded it: recorded once', async () => {
  provider = await new ContactsProvider({ apiKey, initial: 20 }).start();
  records = await openTestStore('postgres');
  const config = {
    admin: { apiKeys: [adminKey] },
    temporal: { taskQueue: uniqueName('killed'), shutdownGraceMs: 0 },
    network: { allowPrivate: [...LOOPBACK_CIDRS] },
    providers: [
      contactsProviderDeclaration(providerId, provider.url, {
        frequencySeconds: 3_600,
        enabledByDefault: true,
      }),
    ],
    syncs: { database: { url: TEST_DATABASE_URL, schema: records.schema } },
  };
  dir = mkdtempSync(join(tmpdir(), 'junction-write-killed-'));
  writeFileSync(join(dir, 'junction.config.yaml'), stringify(config));
  const spawnWorker = async () => {
    const worker = spawnCli(['worker'], {
      JUNCTION_CONFIG: join(dir, 'junction.config.yaml'),
      TEMPORAL_ADDRESS: testTemporalAddress(),
      PORT: '0',
    });
    await waitForOutput(worker, /Junction is running/);
    return worker;
  };
  const server = await startTestJunction(config, { worker: false, records: { store: records.store } });
  running.push(server);
  const api: ApiCall = apiOf(server, adminKey);
  const path = `/connections/${connectionId}/syncs/contacts`;
  const send = async (method: string, id: string, body?: unknown) => {
    const answer = await api(method, `/records/${connectionId}/contacts${id}`, body, adminKey, {
      'idempotency-key': `${method}-${id}`,
    });
    expect(answer.status).toBe(202);
    return (answer.json as { writeId: string }).writeId;
  };

  // Two rounds, each on a worker process killed the moment the CRM has carried out the write: an update
  // (its retry finds the values there, nothing left to send) and a create (its retry replays the key).
  let worker = await spawnWorker();
  expect(
    (await api('POST', '/connections', { providerId, connectionId, credentials: { apiKey } })).status,
  ).toBe(201);
  await runsDone(api, path, 1);
  const before = await readChanges(api, connectionId, 'contacts');
  const killOnWrite = () => {
    provider.faults.onWrite = () => {
      provider.faults.onWrite = undefined;
      worker.kill('SIGKILL');
    };
  };
  killOnWrite();
  const update = await send('PATCH', '/c000001', { name: 'Written once' });
  await exited(worker);
  worker = await spawnWorker();
  killOnWrite();
  const create = await send('POST', '', { name: 'Created once', email: 'once@example.test' });
  await exited(worker);

  const replacement = await startTestJunction(config, {
    records: { store: records.store },
    providerWorkers: [providerId],
  });
  running.push(replacement);
  const settled = (writeId: string) =>
    eventually(
      async () => {
        const { json } = await api('GET', `/records/${connectionId}/contacts/writes/${writeId}`);
        return json.state === 'applied' ? (json as { outcome: string; recordId: string }) : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 250, what: `write ${writeId} applied by the replacement` },
    );
  expect(await settled(update)).toMatchObject({ outcome: 'written' });
  const created = await settled(create);
  expect(created.outcome).toBe('created');

  // The CRM carried out each write once (the create's retry was a replay of its key)…
  expect(provider.writes.map((w) => w.method)).toEqual(['PATCH', 'POST']);
  expect(provider.all().filter((c) => c.name === 'Created once')).toHaveLength(1);
  expect(provider.get('c000001')?.name).toBe('Written once');
  // …and the store recorded each once, as the application's own writes: no change row comes back.
  const { rows } = await records.store.db.query(
    `SELECT record_id, data->>'name' AS name FROM sync_records WHERE record_id = ANY($1::text[]) ORDER BY record_id`,
    [['c000001', created.recordId]],
  );
  expect(rows).toEqual([
    { record_id: 'c000001', name: 'Written once' },
    { record_id: created.recordId, name: 'Created once' },
  ]);
  expect((await readChanges(api, connectionId, 'contacts', before.cursor)).changes).toEqual([]);
});
