import { canonicalHash, canonicalJson, isOlderVersion } from '../canonical';
import type { SqlDatabase, SqlExecutor } from './sql';
import {
  emptyOutcome,
  type Change,
  type IncomingRecord,
  type PageOutcome,
  type Pending,
  type PageWrite,
  type StoredRow,
  type StreamRow,
  type StreamState,
} from './recordTypes';
import { changeOf, laterCursor, rowOf, stateOf, STREAM_COLUMNS } from './streamRow';
import { commitStatement, lookupStored, newestOf, type RunPage } from './commitSql';

export type { Change, IncomingRecord, PageOutcome, PageWrite, StreamRow, StreamState } from './recordTypes';

import { streamIdOf } from './recordTypes';
export { streamIdOf };

/**
 * Synced records, their change log and their checkpoints, in one SQL database. Every write of a page commits
 * at once under the stream's row lock (one statement, or a transaction): records, their change rows and the
 * checkpoint they advance commit together, and change sequence numbers are allocated under that lock, so
 * their order is commit order and a consumer following them never skips one.
 */
export class RecordStore {
  constructor(
    readonly db: SqlDatabase,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Creates the stream's row once; later calls leave it as it is. */
  async ensureStream(connectionId: string, syncName: string, providerId: string): Promise<string> {
    const streamId = streamIdOf(connectionId, syncName);
    await this.db.query(
      `INSERT INTO sync_streams (stream_id, connection_id, sync_name, provider_id)
       VALUES ($1, $2, $3, $4) ON CONFLICT (stream_id) DO NOTHING`,
      [streamId, connectionId, syncName, providerId],
    );
    return streamId;
  }

  async stream(streamId: string, executor: SqlExecutor = this.db): Promise<StreamState | undefined> {
    const { rows } = await executor.query(`SELECT * FROM sync_streams WHERE stream_id = $1`, [streamId]);
    return stateOf(streamId, rows[0]);
  }

  /** The stream's state with its row's version (see {@link writeRunPage}). */
  async streamRow(streamId: string): Promise<StreamRow | undefined> {
    const { rows } = await this.db.query(
      `SELECT ${STREAM_COLUMNS}, xmin::text AS row_version FROM sync_streams WHERE stream_id = $1`,
      [streamId],
      'junction_sync_stream_row',
    );
    return rowOf(streamId, rows[0]);
  }

  /** Takes the stream's row lock for the transaction (its writers go one at a time) and reads its state. */
  async lockStream(tx: SqlExecutor, streamId: string): Promise<StreamState> {
    const { rows } = await tx.query(`SELECT * FROM sync_streams WHERE stream_id = $1 FOR UPDATE`, [streamId]);
    const state = stateOf(streamId, rows[0]);
    if (!state) throw new Error(`no sync stream "${streamId}"`);
    return state;
  }

  /**
   * Starts a run: its first page (from the checkpoint, which `reset` forgets), and for a full run a new
   * generation (what the sweep compares against). Starting the run that is already the stream's changes
   * nothing: a resumed or retried start continues from the stored checkpoint.
   */
  async beginRun(
    streamId: string,
    run: {
      runId: string;
      mode: 'incremental' | 'full';
      firstPage: (checkpoint: string | null) => unknown;
      reset?: boolean;
    },
  ): Promise<StreamState> {
    return this.db.transaction(async (tx) => {
      const state = await this.lockStream(tx, streamId);
      if (state.runId === run.runId) return state;
      const reset = run.reset === true;
      await tx.query(
        `UPDATE sync_streams SET run_id = $2, run_mode = $3, next_page = $4, updated_at = now(),
           cursor = CASE WHEN $5 THEN NULL ELSE cursor END,
           run_cursor = CASE WHEN $5 THEN NULL ELSE cursor END,
           generation = CASE WHEN $3 = 'full' THEN generation + 1 ELSE generation END,
           run_counted = true, run_pages = 0, run_added = 0, run_updated = 0, run_deleted = 0,
           run_unchanged = 0, run_skipped = 0, run_invalid = 0
         WHERE stream_id = $1`,
        [streamId, run.runId, run.mode, JSON.stringify(run.firstPage(reset ? null : state.cursor)), reset],
      );
      return (await this.stream(streamId, tx)) as StreamState;
    });
  }

  /**
   * Writes one page of the run `runId` in one transaction: the records (unchanged ones write nothing but
   * their generation), their change rows, and the checkpoint (`nextPage`, the largest cursor value seen).
   * `page` is the request this page answered: a retry of a page already written finds the checkpoint moved
   * on and writes nothing again.
   */
  async writePage(streamId: string, write: PageWrite): Promise<PageOutcome> {
    return (await this.writeRunPage(streamId, write)).outcome;
  }

  /**
   * {@link writePage}, for a writer that takes the pages of a run one after another: `known` is the stream's
   * row as the writer's previous page left it (`row` of its answer), so that this page need not read it
   * again. Still checked: the page is decided on the records read only if no writer moved the row since, and
   * written only if the row is still that version; otherwise it is written under the lock.
   */
  async writeRunPage(
    streamId: string,
    write: PageWrite,
    known?: StreamRow,
  ): Promise<{ outcome: PageOutcome; row?: StreamRow }> {
    const latest = newestOf(write.records);
    // The run's counters and checkpoint move in the same statement as the records and their change rows.
    const runPage = (state: StreamState) => (counted: PageOutcome) => ({
      nextPage: write.nextPage ?? null,
      runCursor: laterCursor(state.runCursor, write.cursorSeen),
      counts: { ...counted, invalid: write.invalid ?? 0 },
    });
    if (latest.size > 0) {
      const written = await this.writePageUnlocked(streamId, write, latest, runPage, known);
      if (written) return written;
    }
    const outcome = await this.db.transaction(async (tx) => {
      const state = await this.lockStream(tx, streamId);
      return pageRefused(state, write) ?? this.applyRecords(tx, state, latest, runPage(state));
    });
    return { outcome };
  }

  /**
   * A page in two round trips and no explicit transaction, when nobody else writes the stream meanwhile (the
   * usual case: its workflow is its only writer of pages). The stream's row (or the `known` version of it the
   * writer's previous page left) and what is stored of the page's records are read side by side; the one
   * statement that writes it all checks, under the row's lock, that the row is still the version read, and
   * writes nothing otherwise. Every transaction that changes the stream's records updates that row, so an
   * unchanged version means the reads still hold. Undefined when the page has to be written under the lock
   * instead: a writer came in between, or the run or the page is not the stream's (decided there).
   */
  private async writePageUnlocked(
    streamId: string,
    write: PageWrite,
    latest: Map<string, IncomingRecord>,
    runPage: (state: StreamState) => (counted: PageOutcome) => RunPage,
    known?: StreamRow,
  ): Promise<{ outcome: PageOutcome; row?: StreamRow } | undefined> {
    const reading = Promise.all([
      known ?? this.streamRow(streamId),
      lookupStored(this.db, streamId, [...latest.keys()]),
    ]);
    // Hashed while the database answers.
    const hashes = hashesOf(latest);
    const [row, stored] = await reading;
    // The records were read with the stream's `last_seq`: the same as the row's, they are as the row saw them.
    if (!row || stored.lastSeq !== row.state.lastSeq) return undefined;
    const { state } = row;
    if (pageRefused(state, write)) return undefined;
    const { pending, seen, outcome } = decide(latest, stored.rows, hashes);
    const moved = runPage(state)(outcome);
    const statement = commitStatement(state, pending, seen, moved, this.now(), row.version);
    const answer = await this.db.query<{ moved: number; version: string | null }>(
      statement.sql,
      statement.params,
      statement.name,
    );
    if (answer.rows[0]?.moved !== 1) return undefined;
    const version = answer.rows[0].version;
    if (typeof version !== 'string') return { outcome };
    // The row as this statement left it (its counters aside, which the writer of pages does not read).
    const after: StreamState = {
      ...state,
      lastSeq: statement.last,
      nextPage: moved.nextPage,
      runCursor: moved.runCursor,
    };
    return { outcome, row: { state: after, version } };
  }

  /**
   * Records a provider webhook brought (or asked to refetch), outside any run: the newer version wins. With
   * `runId` (a provider's "deleted since" listing, part of that run), their deletions count with the run.
   */
  async writeRecords(streamId: string, records: IncomingRecord[], runId?: string): Promise<PageOutcome> {
    return this.db.transaction(async (tx) => {
      const state = await this.lockStream(tx, streamId);
      const outcome = await this.applyRecords(tx, state, newestOf(records));
      if (runId !== undefined && state.runId === runId && outcome.deleted > 0) {
        await tx.query(`UPDATE sync_streams SET run_deleted = run_deleted + $2 WHERE stream_id = $1`, [
          streamId,
          outcome.deleted,
        ]);
      }
      return outcome;
    });
  }

  /**
   * Ends a run: the incremental checkpoint becomes the largest cursor the run committed. Finishing a run that
   * is no longer the stream's (a retried finish) changes nothing.
   */
  async finishRun(streamId: string, runId: string): Promise<StreamState> {
    await this.db.query(
      `UPDATE sync_streams SET cursor = COALESCE(run_cursor, cursor), run_id = NULL, run_mode = NULL,
         next_page = NULL, last_success_at = $3, updated_at = now()
       WHERE stream_id = $1 AND run_id = $2`,
      [streamId, runId, this.now()],
    );
    return (await this.stream(streamId)) as StreamState;
  }

  /** Removes tombstones (and their change rows) deleted before `before`; returns how many. */
  async pruneTombstones(streamId: string, before: Date): Promise<number> {
    return this.db.transaction(async (tx) => {
      await this.lockStream(tx, streamId);
      const { rows } = await tx.query<{ record_id: string }>(
        `DELETE FROM sync_records WHERE stream_id = $1 AND deleted_at < $2 RETURNING record_id`,
        [streamId, before],
      );
      if (rows.length > 0) {
        await tx.query(`DELETE FROM sync_changes WHERE stream_id = $1 AND record_id = ANY($2::text[])`, [
          streamId,
          rows.map((row) => row.record_id),
        ]);
        // A new version of the stream's row: a page decided on the records before this waits for the lock.
        await tx.query(`UPDATE sync_streams SET updated_at = now() WHERE stream_id = $1`, [streamId]);
      }
      return rows.length;
    });
  }

  /** Live records, and those a complete full run of `generation` did not see (the sweep's candidates). */
  async sweepCandidates(streamId: string, generation: number): Promise<{ live: number; unseen: number }> {
    const { rows } = await this.db.query<{ live: string; unseen: string }>(
      `SELECT count(*) AS live, count(*) FILTER (WHERE seen_generation < $2) AS unseen
       FROM sync_records WHERE stream_id = $1 AND deleted_at IS NULL`,
      [streamId, generation],
    );
    return { live: Number(rows[0]?.live ?? 0), unseen: Number(rows[0]?.unseen ?? 0) };
  }

  /**
   * Deletes (tombstones) the live records the full run of `generation` did not see, with their change rows,
   * in one transaction. Only after a complete, successful pass: a partial run never gets here.
   */
  async sweep(streamId: string, generation: number): Promise<number> {
    return this.db.transaction(async (tx) => {
      const state = await this.lockStream(tx, streamId);
      const { rows } = await tx.query<{ record_id: string }>(
        `SELECT record_id FROM sync_records
         WHERE stream_id = $1 AND deleted_at IS NULL AND seen_generation < $2 ORDER BY record_id`,
        [streamId, generation],
      );
      const pending: Pending[] = rows.map((row) => ({ id: row.record_id, action: 'deleted' }));
      await this.commitChanges(tx, state, pending);
      // The sweep is part of the run in progress: its deletions count with the run.
      await tx.query(
        `UPDATE sync_streams SET reconciled_generation = $2,
           run_deleted = CASE WHEN run_id IS NULL THEN run_deleted ELSE run_deleted + $3 END
         WHERE stream_id = $1`,
        [streamId, generation, pending.length],
      );
      return pending.length;
    });
  }

  /** Changes after `afterSeq` in commit order, each with its record as it is now. */
  async changes(streamId: string, afterSeq: number, limit: number): Promise<Change[]> {
    const { rows } = await this.db.query(
      `SELECT c.seq, c.record_id, c.action, c.committed_at, r.data, r.first_seen_at, r.last_modified_at,
              r.deleted_at, r.seq AS version
       FROM sync_changes c JOIN sync_records r ON r.stream_id = c.stream_id AND r.record_id = c.record_id
       WHERE c.stream_id = $1 AND c.seq > $2 ORDER BY c.seq LIMIT $3`,
      [streamId, afterSeq, limit],
    );
    return rows.map(changeOf);
  }

  /**
   * Decides what each incoming record (`latest`: the newest of each id, see {@link newestOf}) changes, then
   * writes it all: one statement reads what is stored (the caller holds the stream's lock, so it sees every
   * earlier writer's commit), one writes the records, their change rows, the generation that saw them and,
   * with `run`, the run's page on the stream's row.
   */
  private async applyRecords(
    tx: SqlExecutor,
    state: StreamState,
    latest: Map<string, IncomingRecord>,
    run?: (outcome: PageOutcome) => RunPage,
  ): Promise<PageOutcome> {
    if (latest.size === 0 && !run) return emptyOutcome();
    const reading = latest.size === 0 ? undefined : lookupStored(tx, state.streamId, [...latest.keys()]);
    // Hashed while the database answers.
    const hashes = hashesOf(latest);
    const stored = (await reading)?.rows ?? new Map<string, StoredRow>();
    const { pending, seen, outcome } = decide(latest, stored, hashes);
    await this.commitChanges(tx, state, pending, { seen, ...(run ? { run: run(outcome) } : {}) });
    return outcome;
  }

  /**
   * Writes decided changes in one statement ({@link commitStatement}) under the stream's lock, which the
   * caller took when it read `state`. Returns the stream's last sequence number.
   */
  async commitChanges(
    tx: SqlExecutor,
    state: StreamState,
    pending: Pending[],
    options: { seen?: string[]; run?: RunPage } = {},
  ): Promise<number> {
    const seen = options.seen ?? [];
    const { run } = options;
    if (pending.length === 0 && seen.length === 0 && !run) return state.lastSeq;
    const { sql, params, name, last } = commitStatement(state, pending, seen, run, this.now());
    await tx.query(sql, params, name);
    return last;
  }
}

/** Why a page is not written: its run is no longer the stream's (stale), or it was written already. */
function pageRefused(state: StreamState, write: { runId: string; page: unknown }): PageOutcome | undefined {
  if (state.runId !== write.runId) return { ...emptyOutcome(), stale: true };
  // jsonb keeps keys in its own order: compare canonically.
  if (canonicalJson(state.nextPage) !== canonicalJson(write.page))
    return { ...emptyOutcome(), duplicate: true };
  return undefined;
}

/** The canonical hash of each record that is not a deletion. */
function hashesOf(latest: Map<string, IncomingRecord>): Map<string, string> {
  const hashes = new Map<string, string>();
  for (const record of latest.values()) {
    if (!record.deleted) hashes.set(record.id, canonicalHash(record.data));
  }
  return hashes;
}

/**
 * What each record changes against what is stored: added (new, or back after a deletion), updated (another
 * hash), deleted, or nothing; an older provider version than the stored one is skipped. Records not written
 * are `seen` by the generation (a full run's sweep spares them).
 */
function decide(
  latest: Map<string, IncomingRecord>,
  stored: Map<string, StoredRow>,
  hashes: Map<string, string>,
): { pending: Pending[]; seen: string[]; outcome: PageOutcome } {
  const outcome = emptyOutcome();
  const pending: Pending[] = [];
  const seen: string[] = [];
  for (const record of latest.values()) {
    const existing = stored.get(record.id);
    if (existing && isOlderVersion(record.version, existing.provider_version)) {
      outcome.skipped++;
      seen.push(record.id);
      continue;
    }
    if (record.deleted) {
      if (existing && !existing.deleted_at) pending.push({ id: record.id, action: 'deleted' });
      else {
        outcome.unchanged++;
        seen.push(record.id);
      }
      continue;
    }
    const hash = hashes.get(record.id);
    if (!existing || existing.deleted_at) pending.push({ id: record.id, action: 'added', record, hash });
    else if (existing.hash !== hash) pending.push({ id: record.id, action: 'updated', record, hash });
    else {
      outcome.unchanged++;
      seen.push(record.id);
    }
  }
  for (const change of pending) outcome[change.action]++;
  return { pending, seen, outcome };
}
