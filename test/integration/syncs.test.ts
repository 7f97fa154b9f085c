/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call -- JSON answers of the HTTP API */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ContactsProvider, contactsProviderDeclaration } from '../../src/demo/syncProvider';
import { webhookWorkflowId } from '../../src/shared/ids';
import { JUNCTION_CONNECTION_ID } from '../../src/shared/searchAttributes';
import { exportHistories } from '../helpers/exportHistories';
import { streamIdOf } from '../../src/sync/store/recordStore';
import { newStandardSecret, signStandardWebhook } from '../helpers/sign';
import { startTestJunction, type TestJunction } from '../helpers/junction';
import { openTestStore, type StoreKind, type TestStore } from '../helpers/records';
import { runCli } from '../helpers/cli';
import { eventually, testTemporalAddress, uniqueName } from '../helpers/temporal';
import { apiOf, readChanges, runsDone } from '../helpers/syncApi';

jest.setTimeout(180_000);

const adminKey = `admin-${randomBytes(16).toString('hex')}`;
const hookSecret = newStandardSecret();
const apiKey = `sk_test_${randomBytes(12).toString('hex')}`;

describe.each<StoreKind>(['postgres', 'pglite'])('syncs on the %s store', (kind) => {
  const providerId = uniqueName('crm');
  const connectionId = uniqueName('acct');
  let provider: ContactsProvider;
  let junction: TestJunction;
  let records: TestStore;
  let api: ReturnType<typeof apiOf>;
  const path = (sync: string) => `/connections/${connectionId}/syncs/${sync}`;

  beforeAll(async () => {
    provider = await new ContactsProvider({ apiKey, initial: 1_050 }).start();
    records = await openTestStore(kind);
    const declaration = contactsProviderDeclaration(providerId, provider.url, {
      frequencySeconds: 3_600,
      enabledByDefault: true,
    });
    junction = await startTestJunction(
      {
        admin: { apiKeys: [adminKey] },
        providers: [declaration],
        // Short histories: streams continue as new within the test, carrying what they hold.
        syncs: { historyEventLimit: 200 },
        delivery: {
          retry: {
            initialIntervalMs: 200,
            backoffCoefficient: 2,
            maximumIntervalMs: 2_000,
            maximumAttempts: 10,
          },
        },
        sources: [
          {
            id: 'crm',
            scheme: 'standard-webhooks',
            secrets: [hookSecret],
            routes: [
              {
                name: 'records',
                events: ['contact.changed'],
                targets: [
                  {
                    name: 'stream',
                    sync: { connection: 'connection_id', sync: 'contacts', records: 'contact' },
                  },
                ],
              },
              {
                name: 'ids',
                events: ['contact.touched'],
                targets: [
                  { name: 'stream', sync: { connection: 'connection_id', sync: 'contacts', refetch: 'id' } },
                ],
              },
            ],
          },
        ],
      },
      { providerWorkers: [providerId], records: { store: records.store } },
    );
    api = apiOf(junction, adminKey);
    const created = await api('POST', '/connections', { providerId, connectionId, credentials: { apiKey } });
    expect(created.status).toBe(201);
  });

  afterAll(async () => {
    // `JUNCTION_EXPORT_HISTORIES=<dir>`: record this run's sync histories as replay fixtures.
    const out = process.env.JUNCTION_EXPORT_HISTORIES;
    if (out && junction) {
      const query = `WorkflowType = 'sync' AND ${JUNCTION_CONNECTION_ID.name} = '${connectionId}'`;
      await exportHistories(junction.client, junction.codec, { query, out });
      // Deliveries to a sync target (the `sync-targets` patch), one per shape.
      const deliveries = `WorkflowType = 'webhookDelivery' AND TaskQueue = '${junction.config.temporal.taskQueue}'`;
      await exportHistories(junction.client, junction.codec, { query: deliveries, out, distinct: true });
    }
    await junction?.stop();
    await records?.close();
    await provider?.stop();
  });

  test('an incremental sync stores every record, then hands over only what changed, in commit order', async () => {
    // Declared `enabledByDefault`: running since the connection was created; enabling again changes nothing.
    expect((await api('GET', path('contacts'))).status).toBe(200);
    expect((await api('GET', path('contacts_full'))).json.code).toBe('sync_not_enabled');
    const enabled = await api('PUT', path('contacts'));
    expect(enabled.status).toBe(200);
    const first = await runsDone(api, path('contacts'), 1);
    expect(first.state).toBe('idle');
    expect(first.lastRun).toMatchObject({ added: 1_050, updated: 0, deleted: 0, invalid: 0, pages: 11 });
    const initial = await readChanges(api, connectionId, 'contacts');
    expect(initial.changes).toHaveLength(1_050);
    expect(new Set(initial.changes.map((c) => c.id)).size).toBe(1_050);
    expect(initial.changes.every((c) => c.action === 'added')).toBe(true);
    expect(initial.lastSyncedAt).not.toBeNull();

    // Changes at the provider: 10 updated, 5 created, 3 deleted.
    const all = provider.all().map((c) => c.id);
    provider.update(all.slice(0, 10));
    const createdIds = provider.create(5);
    provider.remove(all.slice(100, 103));
    provider.pagesServed.length = 0;
    const ran = await api('POST', `${path('contacts')}/run`, {});
    expect(ran.status).toBe(202);
    const second = await runsDone(api, path('contacts'), 2);
    expect(second.lastRun).toMatchObject({ added: 5, updated: 10, deleted: 3 });
    // Incremental: one page from the checkpoint, not the whole listing again.
    expect(provider.pagesServed).toHaveLength(1);
    expect(Number(provider.pagesServed[0])).toBeGreaterThan(1_000);

    const next = await readChanges(api, connectionId, 'contacts', initial.cursor);
    const byAction = (action: string) =>
      next.changes
        .filter((c) => c.action === action)
        .map((c) => c.id)
        .sort();
    expect(byAction('updated')).toEqual(all.slice(0, 10).sort());
    expect(byAction('added')).toEqual(createdIds.sort());
    expect(byAction('deleted')).toEqual(all.slice(100, 103).sort());
    expect(next.changes).toHaveLength(18);
    const renamed = next.changes.find((c) => c.id === all[0]);
    expect(renamed?.data.name).toBe(provider.get(all[0] as string)?.name);

    // A run that changes nothing writes nothing and hands over nothing.
    await api('POST', `${path('contacts')}/run`, {});
    const third = await runsDone(api, path('contacts'), 3);
    expect(third.lastRun).toMatchObject({ added: 0, updated: 0, deleted: 0 });
    expect((await readChanges(api, connectionId, 'contacts', next.cursor)).changes).toHaveLength(0);
  });

  test('429s and a 500 mid-run are retried from the stored checkpoint: no page is written twice', async () => {
    provider.update(
      provider
        .all()
        .map((c) => c.id)
        .slice(200, 450),
    );
    const before = (await records.store.stream(streamIdOf(connectionId, 'contacts')))?.lastSeq ?? 0;
    provider.faults.failNext = { count: 2, status: 429, retryAfter: '1' };
    await api('POST', `${path('contacts')}/run`, {});
    await eventually(() => provider.faults.failNext?.count === 0, { what: 'the 429s to be served' });
    provider.faults.failNext = { count: 1, status: 500 };
    const status = await runsDone(api, path('contacts'), 4);
    expect(status.lastRun).toMatchObject({ updated: 250, added: 0, deleted: 0 });
    expect(status.lastRun?.error).toBeUndefined();
    expect(provider.answers.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2);
    const after = await records.store.stream(streamIdOf(connectionId, 'contacts'));
    // Exactly one change row per updated record.
    expect((after?.lastSeq ?? 0) - before).toBe(250);
  });

  test('a full reconcile over the mass-delete guard waits for approval, deleting nothing meanwhile', async () => {
    expect((await api('PUT', path('contacts_full'))).status).toBe(200);
    const first = await runsDone(api, path('contacts_full'), 1);
    const live = provider.all().length;
    expect(first.lastRun).toMatchObject({ added: live, deleted: 0 });

    // 15 % gone at once: over the default 10 % guard.
    const gone = provider
      .all()
      .map((c) => c.id)
      .slice(0, Math.ceil(live * 0.15));
    provider.remove(gone);
    await api('POST', `${path('contacts_full')}/run`, {});
    const parked = await eventually(
      async () => {
        const { json } = await api('GET', path('contacts_full'));
        return json.state === 'awaiting_approval' ? json : undefined;
      },
      { timeoutMs: 60_000, what: 'the sweep to park' },
    );
    expect(parked.pendingDeletes).toMatchObject({ unseen: gone.length, live });
    // Integration health says so, with what to do. Health lists streams from visibility, which can trail the
    // status query by a moment, so it is read until the stream's state has reached it.
    const entry = await eventually(
      async () => {
        const health = await api('GET', '/health/integrations');
        const found = health.json.syncs.find((s: { id: string }) => s.id === `${connectionId}/contacts_full`);
        return found?.status === 'degraded' ? found : undefined;
      },
      { timeoutMs: 30_000, what: 'integration health to see the parked deletes' },
    );
    expect(entry.reasons.join(' ')).toMatch(/deletes wait for approval/);
    const stored = await records.store.sweepCandidates(streamIdOf(connectionId, 'contacts_full'), 0);
    expect(stored.live).toBe(live);

    // Approving with nothing parked elsewhere is refused; here it deletes exactly those records.
    const refused = await api('POST', `${path('contacts')}/deletes/approve`);
    expect(refused.status).toBe(409);
    expect(refused.json.code).toBe('not_awaiting_approval');
    expect((await api('POST', `${path('contacts_full')}/deletes/approve`)).status).toBe(202);
    const done = await runsDone(api, path('contacts_full'), 2);
    expect(done.state).toBe('idle');
    expect(done.lastRun).toMatchObject({ deleted: gone.length });
    const after = await records.store.sweepCandidates(streamIdOf(connectionId, 'contacts_full'), 0);
    expect(after.live).toBe(live - gone.length);
  });

  test('webhooks feed the stream: the newer version wins whatever the order; ids are fetched again', async () => {
    const sent: string[] = [];
    const send = async (type: string, payload: Record<string, unknown>) => {
      const signed = signStandardWebhook({ secret: hookSecret, body: JSON.stringify({ type, ...payload }) });
      const answer = await junction.post('/webhooks/crm', { headers: signed.headers, body: signed.body });
      expect(answer.status).toBe(202);
      sent.push(webhookWorkflowId('crm', signed.id));
      return webhookWorkflowId('crm', signed.id);
    };
    const start = await readChanges(api, connectionId, 'contacts');
    const [x, y] = provider
      .all()
      .map((c) => c.id)
      .slice(600, 602) as [string, string];
    const stale = { ...provider.get(x) };
    provider.update([x], () => 'Newer, from a webhook');
    // The newer version first, then an older one (a poll or a late webhook): the newer stays.
    await send('contact.changed', { connection_id: connectionId, contact: provider.get(x) });
    await send('contact.changed', { connection_id: connectionId, contact: stale });
    provider.update([y], () => 'Fetched again');
    await send('contact.touched', { connection_id: connectionId, id: y });
    const latest = async () => {
      const { changes } = await readChanges(api, connectionId, 'contacts', start.cursor);
      const last = new Map(changes.map((c) => [c.id, c.data.name]));
      return last.get(x) === 'Newer, from a webhook' && last.get(y) === 'Fetched again' ? changes : undefined;
    };
    const changes = await eventually(latest, { timeoutMs: 90_000, what: 'webhook records applied' }).catch(
      async (error: unknown) => {
        // Say where it stands: the stream, and the deliveries that carried the records.
        const stream = await api('GET', path('contacts'));
        const deliveries = await Promise.all(
          sent.map((id) => junction.junction.webhooks.deliveryStatus(id).catch((e: Error) => e.message)),
        );
        throw new Error(
          `${String(error)}\nstream: ${JSON.stringify(stream.json)}\ndeliveries: ${JSON.stringify(deliveries)}`,
        );
      },
    );
    expect(changes.filter((c) => c.id === x)).toHaveLength(1);
    // Still the newer one once the stale record has been applied too.
    await eventually(async () => (await api('GET', path('contacts'))).json.incomingWaiting === 0);
    const after = await readChanges(api, connectionId, 'contacts', start.cursor);
    expect(after.changes.filter((c) => c.id === x).map((c) => c.data.name)).toEqual([
      'Newer, from a webhook',
    ]);

    // A connection without the sync: the delivery dead-letters with the reason.
    const orphan = await send('contact.changed', { connection_id: 'nobody', contact: provider.get(x) });
    const status = await eventually(
      async () => {
        const delivery = await junction.junction.webhooks.deliveryStatus(orphan);
        return delivery.state === 'dead_lettered' ? delivery : undefined;
      },
      { timeoutMs: 30_000, what: 'dead letter' },
    );
    expect(status.targets[0]?.lastError?.code).toBe('sync_not_enabled');
  });

  test('the CLI lists, inspects and drives syncs; a refused operation exits 1 with the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'junction-syncs-cli-'));
    const configFile = join(dir, 'junction.yaml');
    writeFileSync(
      configFile,
      stringify({
        providers: [contactsProviderDeclaration(providerId, provider.url)],
        temporal: { taskQueue: junction.config.temporal.taskQueue },
      }),
    );
    const env = { TEMPORAL_ADDRESS: testTemporalAddress(), JUNCTION_CONFIG: configFile };
    const listed = await runCli(['syncs', 'list', '--connection', connectionId, '--json'], env);
    expect(listed.stderr).toBe('');
    expect(
      JSON.parse(listed.stdout)
        .map((row: { syncName: string }) => row.syncName)
        .sort(),
    ).toEqual(['contacts', 'contacts_full']);
    const runs = (await api('GET', path('contacts'))).json.runs;
    const ran = await runCli(['syncs', 'run', connectionId, 'contacts'], env);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain(`${connectionId} / contacts (${providerId})`);
    await runsDone(api, path('contacts'), runs + 1);
    const refused = await runCli(['syncs', 'approve-deletes', connectionId, 'contacts'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/no deletes waiting for approval/);
    rmSync(dir, { recursive: true, force: true });
  });

  test('two versions of a record in one batch: the newer is kept, whatever their order', async () => {
    const streamId = await records.store.ensureStream(connectionId, 'batch-check', providerId);
    const newer = { id: 'r1', data: { id: 'r1', name: 'newer' }, version: '20' };
    const older = { id: 'r1', data: { id: 'r1', name: 'older' }, version: '10' };
    await records.store.writeRecords(streamId, [newer, older]);
    await records.store.writeRecords(streamId, [older]);
    const changes = await records.store.changes(streamId, 0, 10);
    expect(changes.map((change) => [change.action, change.data.name])).toEqual([['added', 'newer']]);
  });

  test('pause holds runs until resume; bad input is a 4xx with a code, never a 5xx', async () => {
    expect((await api('POST', `${path('contacts')}/pause`)).status).toBe(202);
    await eventually(async () => (await api('GET', path('contacts'))).json.state === 'paused', {
      what: 'paused',
    });
    const runs = (await api('GET', path('contacts'))).json.runs;
    await api('POST', `${path('contacts')}/run`, {});
    expect((await api('GET', path('contacts'))).json.runs).toBe(runs);
    expect((await api('POST', `${path('contacts')}/resume`)).status).toBe(202);
    await runsDone(api, path('contacts'), runs + 1);

    const cases: Array<[string, string, number, string]> = [
      ['GET', `/records/${connectionId}/contacts?cursor=not-a-cursor`, 400, 'invalid_cursor'],
      [
        'GET',
        `/records/${connectionId}/contacts?cursor=${Buffer.from('seq:-1').toString('base64url')}`,
        400,
        'invalid_cursor',
      ],
      ['GET', `/records/${connectionId}/nope`, 404, 'unknown_sync'],
      ['GET', `/records/no-such-connection/contacts`, 404, 'connection_not_found'],
      ['PUT', `/connections/${connectionId}/syncs/nope`, 404, 'unknown_sync'],
      ['GET', `/connections/${connectionId}/syncs/nope`, 404, 'sync_not_enabled'],
      ['POST', `/connections/no-such-connection/syncs/contacts/run`, 404, 'sync_not_enabled'],
    ];
    for (const [method, url, status, code] of cases) {
      const answer = await api(method, url);
      expect([url, answer.status, answer.json.code]).toEqual([url, status, code]);
    }
    const unauthorized = await api('GET', `/records/${connectionId}/contacts`, undefined, 'wrong');
    expect(unauthorized.status).toBe(401);

    const listed = await api('GET', `/syncs?connection=${connectionId}`);
    expect(listed.status).toBe(200);
    expect(listed.json.syncs.map((s: { syncName: string }) => s.syncName).sort()).toEqual([
      'contacts',
      'contacts_full',
    ]);
  });
});
