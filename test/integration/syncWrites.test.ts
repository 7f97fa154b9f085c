/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return -- JSON answers of the HTTP API */
import { randomBytes, randomUUID } from 'node:crypto';
import { ContactsProvider, contactsProviderDeclaration } from '../../src/demo/syncProvider';
import { resolveConflictSignal, syncWorkflowId } from '../../src/shared/syncContract';
import type { ConflictRule } from '../../src/sync/merge';
import { startTestJunction, type TestJunction } from '../helpers/junction';
import { openTestStore, type StoreKind, type TestStore } from '../helpers/records';
import { runCli } from '../helpers/cli';
import { exportHistories } from '../helpers/exportHistories';
import { apiOf, readChanges, runsDone, type ApiCall } from '../helpers/syncApi';
import { eventually, uniqueName } from '../helpers/temporal';

jest.setTimeout(240_000);

const adminKey = `admin-${randomBytes(16).toString('hex')}`;
const apiKey = `sk_test_${randomBytes(12).toString('hex')}`;
const RULES: ConflictRule[] = ['provider', 'app', 'latest', 'preferNonEmpty', 'manual'];
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each<StoreKind>(['postgres', 'pglite'])('application writes on the %s store', (kind) => {
  const providerId = uniqueName('crm');
  const connectionId = uniqueName('acct');
  let provider: ContactsProvider;
  let junction: TestJunction;
  let records: TestStore;
  let api: ApiCall;
  const syncPath = (sync: string) => `/connections/${connectionId}/syncs/${sync}`;
  const recordsPath = (sync: string) => `/records/${connectionId}/${sync}`;

  /** Sends a write; answers the 202's write. */
  async function write(
    method: string,
    sync: string,
    id: string | undefined,
    body?: unknown,
    key = randomUUID(),
  ) {
    const answer = await api(method, `${recordsPath(sync)}${id ? `/${id}` : ''}`, body, adminKey, {
      'idempotency-key': key,
    });
    expect(answer).toMatchObject({ status: 202 });
    return answer.json as { writeId: string; state: string };
  }

  /** The write once the stream has dealt with it (applied, parked or failed). */
  async function settled(sync: string, writeId: string, timeoutMs = 60_000, waitOut = ['pending']) {
    return eventually(
      async () => {
        const { json } = await api('GET', `${recordsPath(sync)}/writes/${writeId}`);
        return waitOut.includes(json.state) ? undefined : json;
      },
      { timeoutMs, intervalMs: 200, what: `write ${writeId} on ${sync}` },
    );
  }

  beforeAll(async () => {
    provider = await new ContactsProvider({ apiKey, initial: 60 }).start();
    records = await openTestStore(kind);
    const declaration = contactsProviderDeclaration(providerId, provider.url, {
      frequencySeconds: 3_600,
      enabledByDefault: true,
    });
    const syncs = declaration.syncs as Record<string, Record<string, unknown>>;
    // One stream per conflict rule, over the same CRM; `contacts_full` declares no writes.
    for (const rule of RULES) {
      syncs[`rule_${rule}`] = { ...syncs.contacts, conflicts: { rule, modifiedField: 'modifiedAt' } };
    }
    syncs.contacts_full = { ...syncs.contacts_full, enabledByDefault: true };
    junction = await startTestJunction(
      { admin: { apiKeys: [adminKey] }, providers: [declaration], syncs: { historyEventLimit: 400 } },
      { providerWorkers: [providerId], records: { store: records.store } },
    );
    api = apiOf(junction, adminKey);
    const created = await api('POST', '/connections', { providerId, connectionId, credentials: { apiKey } });
    expect(created.status).toBe(201);
    for (const sync of ['contacts', 'contacts_full', ...RULES.map((rule) => `rule_${rule}`)]) {
      await runsDone(api, syncPath(sync), 1);
    }
  });

  afterAll(async () => {
    // `JUNCTION_EXPORT_HISTORIES=<dir>`: record streams that applied, parked and resolved writes (replay fixtures).
    const out = process.env.JUNCTION_EXPORT_HISTORIES;
    if (out && junction && kind === 'postgres') {
      for (const sync of ['contacts', 'rule_manual']) {
        const query = `WorkflowType = 'sync' AND WorkflowId = '${syncWorkflowId(connectionId, sync)}'`;
        await exportHistories(junction.client, junction.codec, { query, out });
      }
    }
    await junction?.stop();
    await records?.close();
    await provider?.stop();
  });

  test('the application’s own writes reach the provider and never come back as changes', async () => {
    const before = await readChanges(api, connectionId, 'contacts');
    const renamed = await write('PATCH', 'contacts', 'c000001', { name: 'Renamed by the app' });
    const created = await write('POST', 'contacts', undefined, { name: 'New', email: 'new@example.test' });
    const deleted = await write('DELETE', 'contacts', 'c000002');
    expect(await settled('contacts', renamed.writeId)).toMatchObject({
      state: 'applied',
      outcome: 'written',
    });
    const done = await settled('contacts', created.writeId);
    expect(done).toMatchObject({
      state: 'applied',
      outcome: 'created',
      workflowId: syncWorkflowId(connectionId, 'contacts'),
    });
    expect(await settled('contacts', deleted.writeId)).toMatchObject({
      state: 'applied',
      outcome: 'deleted',
    });

    expect(provider.get('c000001')?.name).toBe('Renamed by the app');
    expect(provider.get(done.recordId)).toMatchObject({ name: 'New', email: 'new@example.test' });
    expect(provider.get('c000002')).toBeUndefined();
    // The next poll sees all three back from the provider: none is a change, none a conflict.
    await api('POST', `${syncPath('contacts')}/run`, {});
    const status = await runsDone(api, syncPath('contacts'), 2);
    expect(status.lastRun).toMatchObject({ added: 0, updated: 0, deleted: 0 });
    expect((await readChanges(api, connectionId, 'contacts', before.cursor)).changes).toEqual([]);
    expect((await api('GET', `/conflicts?connection=${connectionId}&sync=contacts`)).json.conflicts).toEqual(
      [],
    );
  });

  test('an Idempotency-Key is one write; bad input is a 4xx with its code and writes nothing', async () => {
    const key = randomUUID();
    const first = await write('PATCH', 'contacts', 'c000003', { name: 'Once' }, key);
    const again = await write('PATCH', 'contacts', 'c000003', { name: 'Once' }, key);
    expect(again.writeId).toBe(first.writeId);
    await settled('contacts', first.writeId);
    const writesSoFar = provider.writes.length;
    expect(provider.writes.filter((w) => w.key === first.writeId)).toHaveLength(1);

    const headers = { 'idempotency-key': key };
    const reused = await api(
      'PATCH',
      `${recordsPath('contacts')}/c000003`,
      { name: 'Other' },
      adminKey,
      headers,
    );
    expect(reused).toMatchObject({ status: 409, json: { code: 'idempotency_key_reused' } });
    const invalid = await api('PATCH', `${recordsPath('contacts')}/c000003`, { email: 42 });
    expect(invalid).toMatchObject({ status: 400, json: { code: 'invalid_record' } });
    expect(invalid.json.message).toContain('/email');
    const unknown = await api('PATCH', `${recordsPath('contacts')}/c999999`, { name: 'x' });
    expect(unknown).toMatchObject({ status: 404, json: { code: 'unknown_record' } });
    const exists = await api('POST', recordsPath('contacts'), {
      id: 'c000004',
      name: 'x',
      email: 'x@y.test',
    });
    expect(exists).toMatchObject({ status: 409, json: { code: 'record_exists' } });
    const readOnly = await api('DELETE', `${recordsPath('contacts_full')}/c000004`);
    expect(readOnly).toMatchObject({ status: 405, json: { code: 'write_not_declared' } });
    const notJson = await api('POST', recordsPath('contacts'), ['a list']);
    expect(notJson.status).toBe(400);
    const noSync = await api('POST', `/records/${connectionId}/nope`, { name: 'x' });
    expect(noSync).toMatchObject({ status: 404, json: { code: 'unknown_sync' } });
    const noConflict = await api('POST', `/conflicts/w_${'0'.repeat(32)}/resolve`, { take: 'app' });
    expect(noConflict).toMatchObject({ status: 404, json: { code: 'unknown_conflict' } });
    expect(provider.writes).toHaveLength(writesSoFar);

    // One the model accepts and the provider refuses (422): the write ends failed with the reason.
    const refused = await write('PATCH', 'contacts', 'c000004', { email: 'not-an-address' });
    const failed = await settled('contacts', refused.writeId);
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'provider_rejected' } });
    expect(provider.get('c000004')?.email).toBe('c000004@example.test');
  });

  test('the conflict matrix under every rule: merged, won, or parked for a person', async () => {
    const ids = provider
      .all()
      .map((c) => c.id)
      .filter((id) => id >= 'c000010');
    const cases = RULES.map((rule, i) => ({
      rule,
      sync: `rule_${rule}`,
      same: ids[i * 4] as string,
      other: ids[i * 4 + 1] as string,
      gone: ids[i * 4 + 2] as string,
      changed: ids[i * 4 + 3] as string,
      fresh: provider.create(1)[0] as string,
    }));
    const cursors = new Map<string, string>();
    for (const c of cases) cursors.set(c.rule, (await readChanges(api, connectionId, c.sync)).cursor);
    // The provider changes first (the application writes later: `latest` sides with the application).
    for (const c of cases) {
      provider.change(c.same, { name: `Provider ${c.same}` });
      provider.change(c.other, { email: `provider-${c.other}@example.test` });
      provider.remove([c.gone]);
      provider.change(c.changed, { name: `Provider ${c.changed}` });
      provider.change(c.fresh, { name: `Provider ${c.fresh}` });
    }
    await pause(20);
    const sent = new Map<string, Record<string, { writeId: string }>>();
    for (const c of cases) {
      sent.set(c.rule, {
        same: await write('PATCH', c.sync, c.same, { name: `App ${c.same}` }),
        other: await write('PATCH', c.sync, c.other, { name: `App ${c.other}` }),
        gone: await write('PATCH', c.sync, c.gone, { name: `App ${c.gone}` }),
        changed: await write('DELETE', c.sync, c.changed),
        fresh: await write('POST', c.sync, undefined, {
          id: c.fresh,
          name: `App ${c.fresh}`,
          email: `${c.fresh}@example.test`,
        }),
      });
    }
    const expected: Record<ConflictRule, Record<string, string>> = {
      provider: {
        same: 'provider_kept',
        gone: 'provider_kept',
        changed: 'provider_kept',
        fresh: 'provider_kept',
      },
      app: { same: 'written', gone: 'created', changed: 'deleted', fresh: 'written' },
      latest: { same: 'written', gone: 'parked', changed: 'deleted', fresh: 'written' },
      preferNonEmpty: { same: 'parked', gone: 'created', changed: 'provider_kept', fresh: 'parked' },
      manual: { same: 'parked', gone: 'parked', changed: 'parked', fresh: 'parked' },
    };
    for (const c of cases) {
      const writes = sent.get(c.rule) ?? {};
      const got: Record<string, string> = {};
      for (const name of ['same', 'gone', 'changed', 'fresh']) {
        const done = await settled(c.sync, writes[name]?.writeId ?? '');
        got[name] = done.state === 'parked' ? 'parked' : done.outcome;
        if (done.state === 'parked')
          expect(done.conflict.kind).toBe(
            {
              same: 'update/update',
              gone: 'update/delete',
              changed: 'delete/update',
              fresh: 'create/create',
            }[name],
          );
      }
      expect({ rule: c.rule, ...got }).toEqual({ rule: c.rule, ...expected[c.rule] });
      // Different fields never conflict: both changes are kept, and the application learns the provider's.
      expect(await settled(c.sync, writes.other?.writeId ?? '')).toMatchObject({
        state: 'applied',
        outcome: 'written',
        conflict: null,
      });
      expect(provider.get(c.other)).toMatchObject({
        name: `App ${c.other}`,
        email: `provider-${c.other}@example.test`,
      });
      const changes = (await readChanges(api, connectionId, c.sync, cursors.get(c.rule))).changes;
      expect(changes.find((change) => change.id === c.other)?.data).toMatchObject({
        name: `App ${c.other}`,
        email: `provider-${c.other}@example.test`,
      });
    }
    // What each side holds now.
    const [byProvider, byApp] = [cases[0], cases[1]];
    expect(provider.get(byProvider?.same ?? '')?.name).toBe(`Provider ${byProvider?.same}`);
    expect(provider.get(byApp?.same ?? '')?.name).toBe(`App ${byApp?.same}`);
    expect(provider.get(byApp?.gone ?? '')?.name).toBe(`App ${byApp?.gone}`);
    expect(provider.get(byApp?.changed ?? '')).toBeUndefined();
    expect(provider.get(byProvider?.changed ?? '')?.name).toBe(`Provider ${byProvider?.changed}`);

    // Parked: listed for an operator, the stream syncing on meanwhile; resolved from the API, once.
    const manual = cases[4] as (typeof cases)[number];
    const parked = (await api('GET', `/conflicts?connection=${connectionId}&sync=rule_manual`)).json
      .conflicts;
    expect(parked).toHaveLength(4);
    const runs = (await api('GET', syncPath('rule_manual'))).json.runs as number;
    await api('POST', `${syncPath('rule_manual')}/run`, {});
    await runsDone(api, syncPath('rule_manual'), runs + 1);
    const writes = sent.get('manual') ?? {};
    const take = await api('POST', `/conflicts/${writes.same?.writeId}/resolve`, { take: 'app' });
    expect(take).toMatchObject({ status: 202, json: { state: 'pending', resolution: { take: 'app' } } });
    const twice = await api('POST', `/conflicts/${writes.same?.writeId}/resolve`, { take: 'provider' });
    expect(twice).toMatchObject({ status: 409, json: { code: 'conflict_resolved' } });
    const badValue = await api('POST', `/conflicts/${writes.gone?.writeId}/resolve`, { value: { email: 7 } });
    expect(badValue).toMatchObject({ status: 400, json: { code: 'invalid_record' } });
    const value = { name: `Valued ${manual.gone}`, email: `${manual.gone}@example.test` };
    expect((await api('POST', `/conflicts/${writes.gone?.writeId}/resolve`, { value })).status).toBe(202);
    expect(await settled('rule_manual', writes.same?.writeId ?? '')).toMatchObject({
      state: 'applied',
      outcome: 'written',
    });
    expect(await settled('rule_manual', writes.gone?.writeId ?? '')).toMatchObject({
      state: 'applied',
      outcome: 'created',
    });
    expect(provider.get(manual.same)?.name).toBe(`App ${manual.same}`);
    expect(provider.get(manual.gone)?.name).toBe(value.name);

    // …and by a signal, as an operator sends it from the Temporal UI.
    const handle = junction.client.workflow.getHandle(syncWorkflowId(connectionId, 'rule_manual'));
    await handle.signal(resolveConflictSignal, { writeId: writes.changed?.writeId ?? '', take: 'provider' });
    // (it stays parked until the workflow has taken the signal)
    expect(
      await settled('rule_manual', writes.changed?.writeId ?? '', 60_000, ['pending', 'parked']),
    ).toMatchObject({
      state: 'applied',
      outcome: 'provider_kept',
    });
    expect(provider.get(manual.changed)?.name).toBe(`Provider ${manual.changed}`);
    expect(
      (await api('GET', `/conflicts?connection=${connectionId}&sync=rule_manual`)).json.conflicts,
    ).toHaveLength(1);

    // …and from the CLI, which prints what conflicts and refuses a second resolution.
    const cli = (args: string[]) =>
      runCli(['conflicts', ...args, '--url', junction.url], { JUNCTION_ADMIN_KEY: adminKey });
    const listed = await cli(['list', '--connection', connectionId]);
    expect(listed).toMatchObject({ code: 0 });
    expect(listed.stdout).toContain(writes.fresh?.writeId);
    expect(listed.stdout).toContain(`name: null → "App ${manual.fresh}" | "Provider ${manual.fresh}"`);
    expect(await cli(['resolve', writes.fresh?.writeId ?? '', '--take', 'app'])).toMatchObject({ code: 0 });
    const again = await cli(['resolve', writes.fresh?.writeId ?? '', '--take', 'app']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/is resolved already/);
    expect(await settled('rule_manual', writes.fresh?.writeId ?? '')).toMatchObject({ outcome: 'written' });
    expect(provider.get(manual.fresh)?.name).toBe(`App ${manual.fresh}`);
  });

  test('while the provider is down writes are accepted, reads go on, and they drain in order on recovery', async () => {
    provider.faults.down = true;
    const answered = provider.answers.length;
    const first = await write('PATCH', 'contacts', 'c000005', { name: 'First' });
    const second = await write('PATCH', 'contacts', 'c000005', { name: 'Second' });
    // The stream tried and was refused: the writes wait, the records stay readable.
    await eventually(() => provider.answers.slice(answered).includes(503), {
      timeoutMs: 30_000,
      what: 'a 503',
    });
    expect((await api('GET', `${recordsPath('contacts')}/writes/${first.writeId}`)).json.state).toBe(
      'pending',
    );
    expect((await api('GET', `${recordsPath('contacts')}?limit=5`)).status).toBe(200);
    provider.faults.down = false;
    expect(await settled('contacts', second.writeId, 120_000)).toMatchObject({ state: 'applied' });
    expect(await settled('contacts', first.writeId)).toMatchObject({ state: 'applied' });
    expect(provider.get('c000005')?.name).toBe('Second');
    const order = provider.writes.filter((w) => w.id === 'c000005').map((w) => w.key);
    expect(order).toEqual([first.writeId, second.writeId]);
  });
});
