import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ProviderRequest } from './calls';

export const SYNC_WORKFLOW = 'sync';

/** `sync:<connectionId>:<syncName>`: the one writer of a synced stream. */
export function syncWorkflowId(connectionId: string, syncName: string): string {
  return `sync:${connectionId}:${syncName}`;
}

/** What a stream is doing; also its `JunctionState` search attribute. */
export type SyncState = 'idle' | 'syncing' | 'paused' | 'awaiting_approval' | 'failed';

export interface SyncWorkflowInput {
  connectionId: string;
  providerId: string;
  syncName: string;
  /** The stream's timer: a run at least this often. */
  frequencyMs: number;
  /** Every how many runs a full pass reconciles deletions (`full-reconcile`); 0 when it does not. */
  fullEveryRuns: number;
  /** The sync's own mode: full syncs run in full every time. */
  mode: 'incremental' | 'full';
  /** Deleted records are learned from an endpoint after each run. */
  deletedEndpoint: boolean;
  /** Mass-delete guard: a sweep above this share (0-100) or count waits for approval. */
  guard: { percent: number; count?: number };
  /** Continue-as-new past this many history events. */
  historyEventLimit: number;
  /** Carried across continue-as-new. */
  carried?: SyncCarried;
}

export interface RunCounts {
  pages: number;
  added: number;
  updated: number;
  deleted: number;
  unchanged: number;
  skipped: number;
  invalid: number;
}

export interface RunSummary extends RunCounts {
  runId: string;
  mode: 'incremental' | 'full';
  startedAt: string;
  finishedAt?: string;
  error?: { code: string; message: string };
  /** A few records the model refused, with the reasons. */
  invalidRecords?: Array<{ id?: string; reasons: string[] }>;
}

export interface SyncCarried {
  runs: number;
  paused: boolean;
  lastSuccessAt?: string;
  lastRun?: RunSummary;
}

export interface SyncStatus {
  connectionId: string;
  syncName: string;
  state: SyncState;
  paused: boolean;
  runs: number;
  lastSuccessAt?: string;
  lastRun?: RunSummary;
  /** While awaiting approval: the sweep that waits. */
  pendingDeletes?: { generation: number; unseen: number; live: number };
}

export interface SyncNowRequest {
  /** A full pass (with deletion reconcile, when declared), not only what changed. */
  full?: boolean;
  /** Forget the incremental checkpoint first (implies full). */
  reset?: boolean;
}

/** A provider webhook's record for the stream: applied by the stream's own workflow, newer version wins. */
export interface RecordsChanged {
  /** The records in the provider's shape. */
  records: unknown[];
}

export interface SyncBeginInput {
  connectionId: string;
  providerId: string;
  syncName: string;
  runId: string;
  mode: 'incremental' | 'full';
  reset: boolean;
}

export interface SyncBeginResult {
  streamId: string;
  generation: number;
  /** The page to fetch first (a resumed run continues where its checkpoint is). */
  page: ProviderRequest | null;
}

export interface SyncPageInput {
  connectionId: string;
  providerId: string;
  syncName: string;
  streamId: string;
  runId: string;
  page: ProviderRequest;
}

export interface SyncPageResult extends Omit<RunCounts, 'pages'> {
  next: ProviderRequest | null;
  invalidRecords: Array<{ id?: string; reasons: string[] }>;
}

export const syncNowUpdate = defineUpdate<{ queued: boolean; runs: number }, [SyncNowRequest]>('syncNow');
export const pauseSyncSignal = defineSignal('pause');
export const resumeSyncSignal = defineSignal('resume');
export const approveDeletesSignal = defineSignal('approveDeletes');
export const rejectDeletesSignal = defineSignal('rejectDeletes');
export const recordsChangedSignal = defineSignal<[RecordsChanged]>('recordsChanged');
export const syncStatusQuery = defineQuery<SyncStatus>('syncStatus');
