import { createHash, randomUUID } from 'node:crypto';
import { canonicalHash } from '../canonical';
import type { Conflict } from '../merge';
import type { RecordStore } from './recordStore';
import type { IncomingRecord, Pending } from './recordTypes';

export type WriteKind = 'create' | 'update' | 'delete';
export type WriteState = 'pending' | 'parked' | 'applied' | 'failed';
/** How an applied write ended: sent to the provider, lost to the provider's record, or deleted there. */
export type WriteOutcome = 'written' | 'created' | 'deleted' | 'provider_kept';

/** An operator's decision on a parked conflict. */
export type Resolution = { take: 'provider' | 'app' } | { value: Record<string, unknown> };

/** An application write, from acceptance to its end. */
export interface StoredWrite {
  writeId: string;
  streamId: string;
  connectionId: string;
  syncName: string;
  seq: number;
  kind: WriteKind;
  recordId: string | null;
  fields: Record<string, unknown>;
  state: WriteState;
  outcome: WriteOutcome | null;
  conflict: Conflict | null;
  resolution: Resolution | null;
  error: { code: string; message: string } | null;
  acceptedAt: Date;
  finishedAt: Date | null;
  resolvedAt: Date | null;
}

/** A stored record as a write reads it: its data, its base (what the provider last said) and version. */
export interface StoredRecord {
  data: Record<string, unknown>;
  base: Record<string, unknown>;
  providerVersion: string | null;
  deletedAt: Date | null;
}

/** What the provider answered a write with, to record in the store with the write's end. */
export interface WriteResult {
  recordId: string;
  /** The provider's record after the write (model shape), the new base. */
  record?: IncomingRecord;
  /** The record is gone at the provider. */
  deleted?: boolean;
  /** The result is what the application wrote: it moves the record but logs no change (echo suppression). */
  echo: boolean;
  outcome: WriteOutcome;
  conflict?: Conflict;
}

const WRITE_COLUMNS = `w.*, s.connection_id, s.sync_name`;

function toWrite(row: Record<string, unknown>): StoredWrite {
  return {
    writeId: String(row.write_id),
    streamId: String(row.stream_id),
    connectionId: String(row.connection_id),
    syncName: String(row.sync_name),
    seq: Number(row.seq),
    kind: row.kind as WriteKind,
    recordId: (row.record_id as string | null) ?? null,
    fields: row.fields as Record<string, unknown>,
    state: row.state as WriteState,
    outcome: (row.outcome as WriteOutcome | null) ?? null,
    conflict: (row.conflict as Conflict | null) ?? null,
    resolution: (row.resolution as Resolution | null) ?? null,
    error: (row.error as StoredWrite['error']) ?? null,
    acceptedAt: row.accepted_at as Date,
    finishedAt: (row.finished_at as Date | null) ?? null,
    resolvedAt: (row.resolved_at as Date | null) ?? null,
  };
}

/** The write id of an Idempotency-Key on a stream (a fresh one without a key). */
export function writeIdOf(streamId: string, idempotencyKey: string | undefined): string {
  const key = idempotencyKey ?? randomUUID();
  return `w_${createHash('sha256').update(`${streamId}\u0000${key}`).digest('hex').slice(0, 32)}`;
}

/**
 * The application's writes to synced records: accepted durably (the table is the queue the stream's workflow
 * drains in order), parked when a conflict needs a person, and applied with the provider's answer in one
 * transaction with the record it changes, under the stream's lock, like every other write of the stream.
 */
export class WriteStore {
  constructor(private readonly records: RecordStore) {}

  private get db() {
    return this.records.db;
  }

  async record(streamId: string, recordId: string): Promise<StoredRecord | undefined> {
    const { rows } = await this.db.query(
      `SELECT data, base, provider_version, deleted_at FROM sync_records WHERE stream_id = $1 AND record_id = $2`,
      [streamId, recordId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      data: row.data as Record<string, unknown>,
      base: row.base as Record<string, unknown>,
      providerVersion: (row.provider_version as string | null) ?? null,
      deletedAt: (row.deleted_at as Date | null) ?? null,
    };
  }

  /**
   * Accepts a write once per write id: the first call stores it; a repeat answers the stored write and
   * whether it was first made with the same input (`sameInput: false` is a reused key).
   */
  async accept(write: {
    writeId: string;
    streamId: string;
    kind: WriteKind;
    recordId: string | null;
    fields: Record<string, unknown>;
    acceptedAt: Date;
  }): Promise<{ write: StoredWrite; created: boolean; sameInput: boolean }> {
    const inputHash = canonicalHash({ kind: write.kind, recordId: write.recordId, fields: write.fields });
    const { rows } = await this.db.query(
      `INSERT INTO sync_writes (write_id, stream_id, kind, record_id, fields, input_hash, state, accepted_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7) ON CONFLICT (write_id) DO NOTHING RETURNING write_id`,
      [
        write.writeId,
        write.streamId,
        write.kind,
        write.recordId,
        JSON.stringify(write.fields),
        inputHash,
        write.acceptedAt,
      ],
    );
    const stored = await this.get(write.writeId);
    if (!stored) throw new Error(`write ${write.writeId} vanished after it was accepted`);
    const { rows: hashes } = await this.db.query<{ input_hash: string }>(
      'SELECT input_hash FROM sync_writes WHERE write_id = $1',
      [write.writeId],
    );
    return { write: stored, created: rows.length > 0, sameInput: hashes[0]?.input_hash === inputHash };
  }

  async get(writeId: string): Promise<StoredWrite | undefined> {
    const { rows } = await this.db.query(
      `SELECT ${WRITE_COLUMNS} FROM sync_writes w JOIN sync_streams s ON s.stream_id = w.stream_id
       WHERE w.write_id = $1`,
      [writeId],
    );
    return rows[0] ? toWrite(rows[0]) : undefined;
  }

  /**
   * The stream's next write to apply, in acceptance order: a write waits behind a parked one for the same
   * record (its outcome depends on how that conflict is resolved); the other records go on.
   */
  async next(streamId: string): Promise<StoredWrite | undefined> {
    const { rows } = await this.db.query(
      `SELECT ${WRITE_COLUMNS} FROM sync_writes w JOIN sync_streams s ON s.stream_id = w.stream_id
       WHERE w.stream_id = $1 AND w.state = 'pending'
         AND NOT EXISTS (SELECT 1 FROM sync_writes p WHERE p.stream_id = w.stream_id AND p.state = 'parked'
                           AND p.record_id = w.record_id AND p.seq < w.seq)
       ORDER BY w.seq LIMIT 1`,
      [streamId],
    );
    return rows[0] ? toWrite(rows[0]) : undefined;
  }

  /** Writes waiting (pending or parked) on a stream. */
  async open(streamId: string): Promise<{ pending: number; parked: number }> {
    const { rows } = await this.db.query<{ pending: string; parked: string }>(
      `SELECT count(*) FILTER (WHERE state = 'pending') AS pending, count(*) FILTER (WHERE state = 'parked') AS parked
       FROM sync_writes WHERE stream_id = $1 AND state IN ('pending', 'parked')`,
      [streamId],
    );
    return { pending: Number(rows[0]?.pending ?? 0), parked: Number(rows[0]?.parked ?? 0) };
  }

  async park(writeId: string, conflict: Conflict): Promise<void> {
    await this.db.query(
      `UPDATE sync_writes SET state = 'parked', conflict = $2 WHERE write_id = $1 AND state = 'pending'`,
      [writeId, JSON.stringify(conflict)],
    );
  }

  /** The provider refused the write for good (a 4xx other than a conflict): it ends failed, with the reason. */
  async fail(writeId: string, error: { code: string; message: string }): Promise<void> {
    await this.db.query(
      `UPDATE sync_writes SET state = 'failed', error = $2, finished_at = now()
       WHERE write_id = $1 AND state = 'pending'`,
      [writeId, JSON.stringify(error)],
    );
  }

  /**
   * An operator's decision on a parked write: it becomes pending again, carrying the decision. Answers
   * `unknown` or `not_parked` (resolved already, or never in conflict) when it cannot.
   */
  async resolve(writeId: string, resolution: Resolution): Promise<'resolved' | 'unknown' | 'not_parked'> {
    const { rows } = await this.db.query(
      `UPDATE sync_writes SET state = 'pending', resolution = $2, resolved_at = now()
       WHERE write_id = $1 AND state = 'parked' RETURNING write_id`,
      [writeId, JSON.stringify(resolution)],
    );
    if (rows.length > 0) return 'resolved';
    return (await this.get(writeId)) ? 'not_parked' : 'unknown';
  }

  /** Parked writes (oldest first), optionally of one connection or one of its syncs. */
  async parked(filter: { connectionId?: string; syncName?: string; limit: number }): Promise<StoredWrite[]> {
    const { rows } = await this.db.query(
      `SELECT ${WRITE_COLUMNS} FROM sync_writes w JOIN sync_streams s ON s.stream_id = w.stream_id
       WHERE w.state = 'parked' AND ($1::text IS NULL OR s.connection_id = $1)
         AND ($2::text IS NULL OR s.sync_name = $2)
       ORDER BY w.accepted_at, w.seq LIMIT $3`,
      [filter.connectionId ?? null, filter.syncName ?? null, filter.limit],
    );
    return rows.map(toWrite);
  }

  /**
   * Ends a write with the provider's answer, in one transaction with the record it changes: the answer is
   * the record's new data and base; a change row is logged unless it is the application's own write coming
   * back. A write that is no longer pending (a retried activity) changes nothing.
   */
  async apply(streamId: string, writeId: string, result: WriteResult): Promise<{ applied: boolean }> {
    return this.db.transaction(async (tx) => {
      const state = await this.records.lockStream(tx, streamId);
      const { rows } = await tx.query<{ state: string }>(
        'SELECT state FROM sync_writes WHERE write_id = $1 FOR UPDATE',
        [writeId],
      );
      if (rows[0]?.state !== 'pending') return { applied: false };
      const { rows: stored } = await tx.query<{ hash: string; deleted_at: Date | null }>(
        'SELECT hash, deleted_at FROM sync_records WHERE stream_id = $1 AND record_id = $2',
        [streamId, result.recordId],
      );
      const existing = stored[0];
      const live = existing !== undefined && existing.deleted_at === null;
      const pending: Pending[] = [];
      if (result.record) {
        const hash = canonicalHash(result.record.data);
        if (!live || existing.hash !== hash) {
          const action = live ? 'updated' : 'added';
          pending.push({ id: result.recordId, action, record: result.record, hash, silent: result.echo });
        }
      } else if (result.deleted && live) {
        pending.push({ id: result.recordId, action: 'deleted', silent: result.echo });
      }
      await this.records.commitChanges(tx, state, pending);
      await tx.query(
        `UPDATE sync_writes SET state = 'applied', record_id = $2, outcome = $3, conflict = COALESCE($4::jsonb, conflict),
           finished_at = now() WHERE write_id = $1`,
        [writeId, result.recordId, result.outcome, result.conflict ? JSON.stringify(result.conflict) : null],
      );
      return { applied: true };
    });
  }
}
