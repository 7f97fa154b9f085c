import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { openRecordStore } from '../../src/sync/store/open';
import type { RecordStore } from '../../src/sync/store/recordStore';
import { TEST_DATABASE_URL } from '../helpers/records';

/**
 * The record store keeps a page's statements prepared on each PostgreSQL connection, unless configured not to
 * (a pooler that cannot keep them). One connection in the pool, so what it holds is what the store's
 * statements left there.
 */
describe.each([true, false])('the record store with preparedStatements %s', (preparedStatements) => {
  const schema = `prepared_${randomUUID().slice(0, 8)}`;
  let store: RecordStore;

  beforeAll(async () => {
    store = await openRecordStore({ url: TEST_DATABASE_URL, schema, poolSize: 1, preparedStatements });
  });

  afterAll(async () => {
    await store?.db.close();
    const admin = new Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  test('writes pages of a run alike, and holds the page statements prepared only when asked', async () => {
    const streamId = await store.ensureStream('conn', 'contacts', 'crm');
    await store.beginRun(streamId, { runId: 'run-1', mode: 'full', firstPage: () => ({ page: 0 }) });
    let known;
    for (let page = 0; page < 3; page++) {
      const records = [0, 1].map((i) => ({
        id: `r${page}-${i}`,
        data: { n: page * 2 + i },
        version: String(page),
      }));
      const written = await store.writeRunPage(
        streamId,
        { runId: 'run-1', page: { page }, records, nextPage: { page: page + 1 } },
        known,
      );
      expect(written.outcome).toMatchObject({ added: 2, updated: 0 });
      // The carried row is the one the statement left: the next page writes without reading it again.
      expect(written.row?.state.lastSeq).toBe(page * 2 + 2);
      known = written.row;
    }
    expect((await store.changes(streamId, 0, 10)).map((change) => change.recordId)).toEqual([
      'r0-0',
      'r0-1',
      'r1-0',
      'r1-1',
      'r2-0',
      'r2-1',
    ]);
    const { rows } = await store.db.query<{ name: string }>(
      `SELECT name FROM pg_prepared_statements WHERE name LIKE 'junction_sync_%' ORDER BY name`,
    );
    expect(rows.map((row) => row.name)).toEqual(
      preparedStatements
        ? ['junction_sync_commit_page', 'junction_sync_lookup', 'junction_sync_stream_row']
        : [],
    );
  });

  test('a column a newer version adds to the stream table does not break the statements held prepared', async () => {
    // A rolling upgrade: another process migrates while this one holds its statements prepared.
    const streamId = await store.ensureStream('conn', 'later', 'crm');
    await store.beginRun(streamId, { runId: 'run-2', mode: 'full', firstPage: () => ({ page: 0 }) });
    expect((await store.streamRow(streamId))?.state.runId).toBe('run-2');
    await store.db.query('ALTER TABLE sync_streams ADD COLUMN added_by_a_later_version text');
    const row = await store.streamRow(streamId);
    expect(row?.state.runId).toBe('run-2');
    const written = await store.writeRunPage(
      streamId,
      {
        runId: 'run-2',
        page: { page: 0 },
        records: [{ id: 'x', data: { n: 1 }, version: '1' }],
        nextPage: null,
      },
      row,
    );
    expect(written.outcome).toMatchObject({ added: 1 });
  });
});
