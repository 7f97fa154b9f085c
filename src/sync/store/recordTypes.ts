import type { RunCounts } from '../../shared/syncContract';

/** The shapes the record store reads and writes. */
/** A record as a page (or a provider webhook) brings it, already mapped to the model and validated. */
export interface IncomingRecord {
  id: string;
  data: Record<string, unknown>;
  /** The provider's version or modification time; the newer of two writes wins, whatever their order. */
  version?: string;
  /** The provider says it is gone (a deletion field, a "deleted since" endpoint). */
  deleted?: boolean;
}

export interface StreamState {
  streamId: string;
  connectionId: string;
  syncName: string;
  providerId: string;
  cursor: string | null;
  runId: string | null;
  runMode: 'incremental' | 'full' | null;
  nextPage: unknown;
  runCursor: string | null;
  generation: number;
  lastSeq: number;
  lastSuccessAt: Date | null;
  /**
   * What the run in progress (or the last one, once finished) wrote, counted in the store with its pages;
   * absent for a run begun before the store counted runs.
   */
  runCounts?: RunCounts;
}

export interface PageOutcome {
  /** The write was done before (a retried activity): nothing written again. */
  duplicate?: boolean;
  /** Another run owns the stream now: nothing written. */
  stale?: boolean;
  added: number;
  updated: number;
  deleted: number;
  unchanged: number;
  /** Older than what the store holds (a poll that lost to a webhook): kept out. */
  skipped: number;
}

export interface Change {
  seq: number;
  recordId: string;
  action: 'added' | 'updated' | 'deleted';
  committedAt: Date;
  data: Record<string, unknown>;
  firstSeenAt: Date;
  lastModifiedAt: Date;
  deletedAt: Date | null;
  /** The change sequence of the record's latest change. */
  version: number;
}

export interface StoredRow {
  record_id: string;
  hash: string;
  provider_version: string | null;
  deleted_at: Date | null;
}

export type Pending = {
  id: string;
  action: 'added' | 'updated' | 'deleted';
  record?: IncomingRecord;
  hash?: string;
  /** No change row: the application's own write, which it knows of already. */
  silent?: boolean;
};

export const emptyOutcome = (): PageOutcome => ({
  added: 0,
  updated: 0,
  deleted: 0,
  unchanged: 0,
  skipped: 0,
});

/** The stream of a connection's sync: `<connectionId>:<syncName>`. */
export function streamIdOf(connectionId: string, syncName: string): string {
  return `${connectionId}:${syncName}`;
}

/** One page of a run, as `RecordStore.writePage` writes it. */
export interface PageWrite {
  runId: string;
  /** The request this page answered (the checkpoint a first write finds). */
  page: unknown;
  records: IncomingRecord[];
  nextPage: unknown;
  cursorSeen?: string;
  /** Records of the page the model refused (counted with the run). */
  invalid?: number;
}

/** The stream's row at one version (`xmin`): a statement conditioned on that version writes only if it holds. */
export interface StreamRow {
  state: StreamState;
  version: string;
}
