import type { StreamState } from './recordTypes';

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
