import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import type { SqlDatabase, SqlExecutor } from '../../src/sync/store/sql';
import { RecordStore, type IncomingRecord, type StreamRow } from '../../src/sync/store/recordStore';
import { openTestStore, type StoreKind, type TestStore } from '../helpers/records';
import { uniqueName } from '../helpers/temporal';

jest.setTimeout(120_000);

/** One write to the stream: a page of the run (whoever holds its checkpoint) or records a webhook brought. */
interface Write {
  kind: 'page' | 'webhook';
  records: IncomingRecord[];
  /** How long the transaction stays open after its statements touched the stream (widens the races). */
  holdMs: number;
}

const record: fc.Arbitrary<IncomingRecord> = fc
  .record({
    n: fc.integer({ min: 0, max: 24 }),
    name: fc.string({ maxLength: 8 }),
    version: fc.integer({ min: 1, max: 60 }),
    deleted: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
  })
  .map(({ n, name, version, deleted }) => ({
    id: `r${n}`,
    data: { id: `r${n}`, name, v: version },
    version: String(version).padStart(3, '0'),
    ...(deleted ? { deleted: true } : {}),
  }));

const write: fc.Arbitrary<Write> = fc.record({
  kind: fc.constantFrom('page', 'webhook'),
  records: fc.array(record, { minLength: 1, maxLength: 8 }),
  holdMs: fc.integer({ min: 0, max: 6 }),
});

/** Several writers, each a sequence of writes, all in flight at once. */
const writers = fc.array(fc.array(write, { minLength: 1, maxLength: 6 }), { minLength: 2, maxLength: 5 });

/**
 * The same database, but each transaction waits `holdMs()` after every statement before going on (so
 * before it commits): transactions that allocated change sequence numbers stay open while others try to
 * commit and the reader reads. A statement outside a transaction waits as long before its answer is used
 * (a page written without a transaction decides on reads that others may overtake meanwhile). Nothing is
 * faked: every statement runs on the real database.
 */
function holdingOpen(db: SqlDatabase, holdMs: () => number): SqlDatabase {
  return {
    ...db,
    query: async (sql, params, name) => {
      const result = await db.query(sql, params, name);
      await sleep(holdMs());
      return result as never;
    },
    exec: db.exec.bind(db),
    close: db.close.bind(db),
    transaction: (work) =>
      db.transaction((tx) => {
        const held: SqlExecutor = {
          query: async (sql, params, name) => {
            const result = await tx.query(sql, params, name);
            await sleep(holdMs());
            return result as never;
          },
          exec: tx.exec.bind(tx),
        };
        return work(held);
      }),
  };
}

/**
 * What a consumer following the cursor saw: every change row, in the order read. The store allocates change
 * sequence numbers under the stream's row lock inside the writing transaction, so they commit in order. Tried
 * with them taken from a PostgreSQL sequence instead (`nextval`, no lock), this property fails in its first
 * case: a transaction holding seq N commits after one holding N + 1 that the reader has already passed.
 */
async function follow(store: RecordStore, streamId: string, writing: () => boolean) {
  const seen: Array<{ seq: number; recordId: string; version: number }> = [];
  let cursor = 0;
  for (;;) {
    const done = !writing();
    const page = await store.changes(streamId, cursor, 7);
    for (const change of page)
      seen.push({ seq: change.seq, recordId: change.recordId, version: change.version });
    cursor = page.at(-1)?.seq ?? cursor;
    // Quiet: every writer had finished before this read began, and it found nothing new.
    if (done && page.length === 0) return seen;
    if (page.length === 0) await sleep(1);
  }
}

describe.each<StoreKind>(['postgres', 'pglite'])('the change stream on the %s store', (kind) => {
  let records: TestStore;

  beforeAll(async () => {
    records = await openTestStore(kind);
  });

  afterAll(async () => {
    await records?.close();
  });

  test('a consumer following the cursor sees every committed change while pages and webhooks write at once', async () => {
    await fc.assert(
      fc.asyncProperty(writers, async (lanes) => {
        const holds = lanes.flat().map((w) => w.holdMs);
        let next = 0;
        const store = new RecordStore(holdingOpen(records.store.db, () => holds[next++ % holds.length] ?? 0));
        const streamId = await store.ensureStream('conn', uniqueName('nogap'), 'crm');
        const runId = uniqueName('run');
        await store.beginRun(streamId, { runId, mode: 'incremental', firstPage: () => ({ page: 0 }) });

        // A page writer writes the page the checkpoint names, as its last page left the stream's row (the
        // way a page activity goes on), or as read now; one that lost the race finds the row moved on.
        const apply = async (item: Write, known: StreamRow | undefined) => {
          if (item.kind === 'webhook') {
            await store.writeRecords(streamId, item.records);
            return known;
          }
          const row = known ?? (await store.streamRow(streamId));
          const page = row?.state.nextPage as { page: number };
          const written = await store.writeRunPage(
            streamId,
            { runId, page, records: item.records, nextPage: { page: page.page + 1 } },
            row,
          );
          return written.row;
        };
        let writing = lanes.length;
        const lanesDone = lanes.map(async (lane) => {
          let known: StreamRow | undefined;
          for (const item of lane) known = await apply(item, known);
          writing--;
        });
        const [seen] = await Promise.all([follow(store, streamId, () => writing > 0), ...lanesDone]);

        // Every committed change row was seen, each once, in sequence order.
        const { rows: committed } = await records.store.db.query<{ seq: string }>(
          'SELECT seq FROM sync_changes WHERE stream_id = $1 ORDER BY seq',
          [streamId],
        );
        expect(seen.map((change) => change.seq)).toEqual(committed.map((row) => Number(row.seq)));
        // For every record, the last change the consumer saw is the store's final version of it.
        const { rows: finals } = await records.store.db.query<{ record_id: string; seq: string }>(
          'SELECT record_id, seq FROM sync_records WHERE stream_id = $1',
          [streamId],
        );
        const lastSeen = new Map(seen.map((change) => [change.recordId, change.seq]));
        expect(Object.fromEntries(lastSeen)).toEqual(
          Object.fromEntries(finals.map((row) => [row.record_id, Number(row.seq)])),
        );
        // Every change was decided on what was stored just before it: a record is added while absent or
        // deleted, updated or deleted while present; a writer that decided on an outdated read would break it.
        const { rows: actions } = await records.store.db.query<{ record_id: string; action: string }>(
          'SELECT record_id, action FROM sync_changes WHERE stream_id = $1 ORDER BY seq',
          [streamId],
        );
        const present = new Map<string, boolean>();
        for (const { record_id: id, action } of actions) {
          expect(`${id} ${action} while ${present.get(id) ? 'present' : 'absent'}`).toMatch(
            present.get(id) ? / (updated|deleted) while/ : / added while/,
          );
          present.set(id, action !== 'deleted');
        }
      }),
      { numRuns: kind === 'postgres' ? 40 : 15 },
    );
  });
});
