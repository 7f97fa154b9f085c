/** Rows of the record store as the shapes its callers use. */
import { isOlderVersion } from '../canonical';
import type { Change, StreamRow, StreamState } from './recordTypes';

/**
 * The columns of `sync_streams` that {@link stateOf} reads, named: a statement kept prepared must not select
 * `*`, or a column a later version's migration adds would change its result ("cached plan must not change
 * result type") in every process still running the earlier version.
 */
export const STREAM_COLUMNS = `connection_id, sync_name, provider_id, cursor, run_id, run_mode, next_page,
  run_cursor, generation, last_seq, last_success_at, run_counted, run_pages, run_added, run_updated,
  run_deleted, run_unchanged, run_skipped, run_invalid`;

/** A `sync_streams` row as the stream's state (undefined: no such stream). */
export function stateOf(streamId: string, row: Record<string, unknown> | undefined): StreamState | undefined {
  if (!row) return undefined;
  return {
    streamId,
    connectionId: String(row.connection_id),
    syncName: String(row.sync_name),
    providerId: String(row.provider_id),
    cursor: (row.cursor as string | null) ?? null,
    runId: (row.run_id as string | null) ?? null,
    runMode: (row.run_mode as StreamState['runMode']) ?? null,
    nextPage: row.next_page ?? null,
    runCursor: (row.run_cursor as string | null) ?? null,
    generation: Number(row.generation),
    lastSeq: Number(row.last_seq),
    lastSuccessAt: (row.last_success_at as Date | null) ?? null,
    ...(row.run_counted === true
      ? {
          runCounts: {
            pages: Number(row.run_pages),
            added: Number(row.run_added),
            updated: Number(row.run_updated),
            deleted: Number(row.run_deleted),
            unchanged: Number(row.run_unchanged),
            skipped: Number(row.run_skipped),
            invalid: Number(row.run_invalid),
          },
        }
      : {}),
  };
}

/** A change row joined with its record, as the change stream hands it over. */
export function changeOf(row: Record<string, unknown>): Change {
  return {
    seq: Number(row.seq),
    recordId: String(row.record_id),
    action: row.action as Change['action'],
    committedAt: row.committed_at as Date,
    data: row.data as Record<string, unknown>,
    firstSeenAt: row.first_seen_at as Date,
    lastModifiedAt: row.last_modified_at as Date,
    deletedAt: (row.deleted_at as Date | null) ?? null,
    version: Number(row.version),
  };
}

/** The later of two cursor values (the incremental checkpoint only moves forward). */
export function laterCursor(current: string | null, seen: string | undefined): string | null {
  if (seen === undefined) return current;
  if (current === null) return seen;
  return isOlderVersion(current, seen) ? seen : current;
}

/** A `sync_streams` row read with its version (`xmin::text AS row_version`) as a {@link StreamRow}. */
export function rowOf(streamId: string, row: Record<string, unknown> | undefined): StreamRow | undefined {
  const state = stateOf(streamId, row);
  const version = row?.row_version;
  return state && typeof version === 'string' ? { state, version } : undefined;
}
