import type { SqlExecutor } from './sql';
import { isOlderVersion } from '../canonical';
import type { IncomingRecord, Pending, PageOutcome, StoredRow, StreamState } from './recordTypes';

/**
 * The stream's (`$1`) record of one id, by its primary key whatever the planner's statistics say: a fresh
 * table (or PGlite, which never analyses on its own) would otherwise have it read every record of the stream
 * and filter, one page costing more the bigger the stream. `OFFSET 0` keeps it a lookup per id.
 */
export const ROW_OF_ID = (id: string, columns: string) =>
  `SELECT ${columns} FROM sync_records WHERE stream_id = $1 AND record_id = ${id} OFFSET 0`;

/** What a run's page moves on the stream's row with its records: the checkpoint and the run's counters. */
export interface RunPage {
  nextPage: unknown;
  runCursor: string | null;
  counts: Omit<PageOutcome, 'duplicate' | 'stale'> & { invalid: number };
}

/**
 * The stream's row moves first (`last_seq`, and with a run's page its checkpoint and counters): `$7`, when
 * given, is the row version (`xmin`) the writer decided on, and the statement writes nothing unless the row
 * is still that version once its lock is taken. Every part below reads `moved`, so it runs after that check.
 */
const MOVE_STREAM = (run: boolean) => `WITH moved AS (
    UPDATE sync_streams SET last_seq = $6${
      run
        ? `, next_page = $8, run_cursor = $9, updated_at = now(),
      run_pages = run_pages + 1, run_added = run_added + $10, run_updated = run_updated + $11,
      run_deleted = run_deleted + $12, run_unchanged = run_unchanged + $13, run_skipped = run_skipped + $14,
      run_invalid = run_invalid + $15`
        : ''
    }
    WHERE stream_id = $1 AND ($7::xid IS NULL OR xmin = $7::xid)
    RETURNING xmin::text AS version
  ),`;

/**
 * Each part touches its own rows (written, tombstoned and only-seen records are disjoint), as the statements
 * of one WITH must; every part runs to completion whatever the last statement reads.
 */
const WRITE_CHANGES = `
  incoming AS (
    SELECT * FROM jsonb_to_recordset($2::jsonb)
      AS c(id text, action text, seq bigint, logged boolean, data jsonb, hash text, version text)
    WHERE EXISTS (SELECT FROM moved)
  ),
  written AS (
    INSERT INTO sync_records AS r (stream_id, record_id, data, hash, provider_version, base, seen_generation,
                                   first_seen_at, last_modified_at, deleted_at, seq)
    SELECT $1, c.id, c.data, c.hash, c.version, c.data, $3, $4, $4, NULL, c.seq
    FROM incoming c WHERE c.action <> 'deleted'
    ON CONFLICT (stream_id, record_id) DO UPDATE SET data = EXCLUDED.data, hash = EXCLUDED.hash,
      provider_version = EXCLUDED.provider_version, base = EXCLUDED.base,
      seen_generation = EXCLUDED.seen_generation, last_modified_at = EXCLUDED.last_modified_at,
      deleted_at = NULL, seq = EXCLUDED.seq,
      first_seen_at = CASE WHEN r.deleted_at IS NULL THEN r.first_seen_at ELSE EXCLUDED.first_seen_at END
  ),
  tombstoned AS (
    UPDATE sync_records AS r SET deleted_at = $4, last_modified_at = $4, seq = t.seq,
      seen_generation = GREATEST(r.seen_generation, $3)
    FROM (SELECT c.seq, f.tid FROM incoming c
          CROSS JOIN LATERAL (${ROW_OF_ID('c.id', 'ctid AS tid')}) AS f WHERE c.action = 'deleted') AS t
    WHERE r.ctid = t.tid
  ),
  marked AS (
    UPDATE sync_records AS r SET seen_generation = $3
    FROM (SELECT f.tid FROM unnest($5::text[]) AS i(id)
          CROSS JOIN LATERAL (${ROW_OF_ID('i.id', 'ctid AS tid')}) AS f
          WHERE EXISTS (SELECT FROM moved)) AS t
    WHERE r.ctid = t.tid AND r.seen_generation < $3
  ),
  logged AS (
    INSERT INTO sync_changes (stream_id, seq, record_id, action, committed_at)
    SELECT $1, c.seq, c.id, c.action, $4 FROM incoming c WHERE c.logged
  )
  SELECT count(*)::int AS moved, max(version) AS version FROM moved`;

const WITHOUT_RUN = MOVE_STREAM(false) + WRITE_CHANGES;
const WITH_RUN = MOVE_STREAM(true) + WRITE_CHANGES;

/**
 * One statement that writes a batch of changes decided on `state` (the next sequence numbers are
 * `state.lastSeq + 1…`): the records, the tombstones, the change rows, the generation of the records `seen`
 * but not written, and the stream's `last_seq` (with `run`, the run's page too). A `silent` change (the
 * application's own write coming back) moves the record but logs no change row. Either the writer holds the
 * stream's lock, taken when it read `state`, or `rowVersion` is the version of the row `state` was read
 * from, and the statement writes only if it is still that one (it answers `moved` 1, else 0, and the row's
 * version it leaves: the transaction's own).
 */
export function commitStatement(
  state: StreamState,
  pending: Pending[],
  seen: string[],
  run: RunPage | undefined,
  now: Date,
  rowVersion?: string,
): { sql: string; params: unknown[]; name: string; last: number } {
  const last = state.lastSeq + pending.length;
  // One JSON document of the rows (PostgreSQL reads it once; no array literal to escape per record).
  const changes = JSON.stringify(
    pending.map((p, i) => ({
      id: p.id,
      action: p.action,
      seq: state.lastSeq + 1 + i,
      logged: p.silent !== true,
      ...(p.action === 'deleted'
        ? {}
        : { data: p.record?.data ?? {}, hash: p.hash, version: p.record?.version ?? null }),
    })),
  );
  const params: unknown[] = [state.streamId, changes, state.generation, now, seen, last, rowVersion ?? null];
  if (!run) return { sql: WITHOUT_RUN, params, name: 'junction_sync_commit', last };
  const { counts } = run;
  params.push(
    JSON.stringify(run.nextPage),
    run.runCursor,
    counts.added,
    counts.updated,
    counts.deleted,
    counts.unchanged,
    counts.skipped,
    counts.invalid,
  );
  return { sql: WITH_RUN, params, name: 'junction_sync_commit_page', last };
}

/** What the store holds of a page's records, and the stream's last sequence number in the same snapshot. */
export interface StoredRows {
  lastSeq: number | undefined;
  rows: Map<string, StoredRow>;
}

/**
 * The stored hash, version and deletion of those of `ids` that are stored, read in one snapshot with the
 * stream's `last_seq`. Every writer of records moves `last_seq` in the statement that writes them, so a read
 * whose `lastSeq` equals the one of a stream row read apart from it saw the records as they were when that
 * row was.
 */
export async function lookupStored(
  executor: SqlExecutor,
  streamId: string,
  ids: string[],
): Promise<StoredRows> {
  return storedRowsOf(await executor.query<LookupRow>(LOOKUP, [streamId, ids], 'junction_sync_lookup'));
}

type LookupRow = StoredRow & { stream_seq: string | null } & Record<string, unknown>;

/**
 * The stream's `last_seq` (a row without a record), then a row for each stored record only: a page of new
 * records answers one row, not one per id.
 */
const LOOKUP = `SELECT NULL::text AS record_id, NULL::text AS hash, NULL::text AS provider_version,
         NULL::timestamptz AS deleted_at, last_seq AS stream_seq
  FROM sync_streams WHERE stream_id = $1
  UNION ALL
  SELECT r.record_id, r.hash, r.provider_version, r.deleted_at, NULL
  FROM unnest($2::text[]) AS i(id)
  CROSS JOIN LATERAL (${ROW_OF_ID('i.id', 'record_id, hash, provider_version, deleted_at')}) AS r`;

function storedRowsOf({ rows }: { rows: LookupRow[] }): StoredRows {
  const seq = rows.find((row) => row.record_id === null)?.stream_seq;
  return {
    lastSeq: seq === null || seq === undefined ? undefined : Number(seq),
    rows: new Map(rows.filter((row) => row.record_id !== null).map((row) => [row.record_id, row])),
  };
}

/** The newest version of each record of a batch (webhooks applied together): never merely the later. */
export function newestOf(records: IncomingRecord[]): Map<string, IncomingRecord> {
  const latest = new Map<string, IncomingRecord>();
  for (const record of records) {
    const seen = latest.get(record.id);
    if (!seen || !isOlderVersion(record.version, seen.version)) latest.set(record.id, record);
  }
  return latest;
}
