import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export const SYNC_WORKFLOW = 'sync';

/** `sync:<connectionId>:<syncName>`: the one writer of a synced stream. */
export function syncWorkflowId(connectionId: string, syncName: string): string {
  return `sync:${connectionId}:${syncName}`;
}

/** Webhook source id of Junction's own "a sync changed something" notifications (dead letters list it). */
export const SYNC_NOTIFY_SOURCE = 'junction-syncs';

/** What a stream is doing; also its `JunctionState` search attribute. */
export type SyncState = 'idle' | 'syncing' | 'paused' | 'awaiting_approval' | 'failed';

export interface SyncWorkflowInput {
  connectionId: string;
  providerId: string;
  syncName: string;
  /** The stream's timer until its first run reads the declaration (each run reads it again). */
  frequencyMs: number;
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
  /** Older than the stored version (a poll that lost to a webhook). */
  skipped: number;
  /** Refused by the model's schema (the run goes on without them). */
  invalid: number;
}

export interface InvalidRecordReport {
  id?: string;
  reasons: string[];
}

export interface RunSummary extends RunCounts {
  runId: string;
  mode: 'incremental' | 'full';
  startedAt: string;
  finishedAt?: string;
  error?: { code: string; message: string };
  /** A few records the model refused, with the reasons. */
  invalidRecords?: InvalidRecordReport[];
}

/** A run that has begun and not finished: resumed from the store's checkpoint by its id. */
export interface PendingRun {
  runId: string;
  mode: 'incremental' | 'full';
  reset: boolean;
  startedAt: string;
  counts: RunCounts;
  invalidRecords: InvalidRecordReport[];
  /** Its pages are all written (what is left: deletions, the sweep, the finish). */
  pagesDone?: boolean;
}

export interface PendingSweep {
  generation: number;
  unseen: number;
  live: number;
  since: string;
}

export interface SyncCarried {
  runs: number;
  paused: boolean;
  frequencyMs: number;
  /** When the next run is due on its own (ISO-8601). */
  nextRunAt?: string;
  lastSuccessAt?: string;
  lastRun?: RunSummary;
  pendingRun?: PendingRun;
  pendingSweep?: PendingSweep;
  requested?: SyncNowRequest;
  incoming: RecordsChanged[];
  /** Application writes: "writes waiting" signals received, and how many of them a drain has covered. */
  writeSignals?: number;
  writesDrained?: number;
  /** The provider failed a write: the next attempt waits until then (ISO-8601). */
  writesRetryAt?: string;
  /** Conflicts an operator resolved by signal, to record before the next drain. */
  resolutions?: ResolveConflictInput[];
}

/** An operator's decision on a parked write: take the provider's record, the application's, or a value. */
export interface ResolveConflictInput {
  writeId: string;
  take?: 'provider' | 'app';
  value?: Record<string, unknown>;
}

/** One application write applied (or parked, or refused), or none left to apply. */
export type SyncWriteResult =
  { done: true } | { done: false; writeId: string; state: 'applied' | 'parked' | 'failed' };

export interface SyncStatus {
  connectionId: string;
  providerId: string;
  syncName: string;
  state: SyncState;
  paused: boolean;
  runs: number;
  lastSuccessAt?: string;
  lastRun?: RunSummary;
  /** The run in progress (or waiting to resume). */
  currentRun?: PendingRun;
  /** While awaiting approval: the sweep that waits. */
  pendingDeletes?: PendingSweep;
  /** Webhook records waiting to be applied. */
  incomingWaiting: number;
  nextRunAt?: string;
}

export interface SyncNowRequest {
  /** A full pass (with deletion reconcile, when declared), not only what changed. */
  full?: boolean;
  /** Forget the incremental checkpoint first (implies full). */
  reset?: boolean;
}

/** Records a provider webhook brought, or ids to fetch again: applied by the stream's workflow, newer version wins. */
export interface RecordsChanged {
  /** Records in the provider's shape. */
  records?: unknown[];
  /** Ids to fetch from the provider (the webhook said "this changed" without the record). */
  refetch?: string[];
}

/** What a run works from: the declaration as configured now. */
export interface SyncPlan {
  streamId: string;
  generation: number;
  frequencyMs: number;
  deletion: 'none' | 'full-reconcile' | 'deleted-endpoint' | 'field';
  /** Every how many runs a full pass reconciles deletions. */
  fullEveryRuns: number;
  /** The sync's own mode (`full` syncs run in full every time). */
  mode: 'incremental' | 'full';
  guard: { percent: number; count?: number };
}

export interface SyncStreamRef {
  connectionId: string;
  providerId: string;
  syncName: string;
}

export interface SyncBeginInput extends SyncStreamRef {
  runId: string;
  /** Asked for a full pass (`sync now` with `full`). */
  full: boolean;
  reset: boolean;
  /** The stream's run count: every `everyRuns`-th run reconciles deletions in full. */
  runNumber: number;
}

export interface SyncBeginResult {
  plan: SyncPlan;
  mode: 'incremental' | 'full';
  /** The run is the stream's (false: the store holds another writer's run; start again). */
  current: boolean;
}

export interface SyncRunInput extends SyncStreamRef {
  runId: string;
}

export interface SyncPageResult {
  added: number;
  updated: number;
  deleted: number;
  unchanged: number;
  skipped: number;
  invalid: number;
  invalidRecords: InvalidRecordReport[];
  /** The run has no page left (or is no longer the stream's run). */
  done: boolean;
  /** Pages this result covers (one activity takes several); absent: one. */
  pages?: number;
}

export interface SyncSweepInput extends SyncStreamRef {
  generation: number;
  guard: SyncPlan['guard'];
}

export interface SweepCandidates {
  live: number;
  unseen: number;
  /** Over the mass-delete guard: waits for an operator. */
  parked: boolean;
}

export interface SyncFinishResult {
  finishedAt: string;
  /** The stream's change sequence after the run: the `cursor` of its notification. */
  lastSeq: number;
  pruned: number;
  /**
   * The run's counts as the store kept them with its pages (exact even when a page's answer was lost to a
   * killed worker); absent for a run begun before the store counted runs.
   */
  counts?: RunCounts;
}

export interface SyncNotifyInput extends SyncStreamRef {
  runId: string;
  added: number;
  updated: number;
  deleted: number;
  /** The stream's change sequence at the end of the run (the notification carries it as a cursor). */
  lastSeq: number;
}

export interface SyncApplyInput extends SyncStreamRef {
  batch: RecordsChanged;
}

export const syncNowUpdate = defineUpdate<{ accepted: true; runs: number }, [SyncNowRequest]>('syncNow');
export const pauseSyncSignal = defineSignal('pause');
export const resumeSyncSignal = defineSignal('resume');
export const approveDeletesSignal = defineSignal('approveDeletes');
export const rejectDeletesSignal = defineSignal('rejectDeletes');
export const recordsChangedSignal = defineSignal<[RecordsChanged]>('recordsChanged');
/** The application wrote (or an operator resolved a conflict through the API): drain the stream's writes. */
export const writesWaitingSignal = defineSignal('writesWaiting');
/** An operator's decision on a parked conflict, e.g. from the Temporal UI. */
export const resolveConflictSignal = defineSignal<[ResolveConflictInput]>('resolveConflict');
export const syncStatusQuery = defineQuery<SyncStatus>('syncStatus');

/** The sync activities on Junction's own task queue (the store alone). */
export interface SyncStoreActivityTypes {
  syncBegin(input: SyncBeginInput): Promise<SyncBeginResult>;
  syncSweepCandidates(input: SyncSweepInput): Promise<SweepCandidates>;
  syncSweep(input: SyncSweepInput): Promise<number>;
  syncDropSweep(input: SyncSweepInput): Promise<void>;
  syncFinish(input: SyncRunInput): Promise<SyncFinishResult>;
  syncNotify(input: SyncNotifyInput): Promise<boolean>;
  syncResolveConflict(
    input: SyncStreamRef & ResolveConflictInput,
  ): Promise<'resolved' | 'unknown' | 'not_parked' | 'invalid'>;
}

/** The sync activities on the provider's task queue (they call the provider). */
export interface SyncPageActivityTypes {
  syncPage(input: SyncRunInput): Promise<SyncPageResult>;
  syncDeleted(input: SyncRunInput): Promise<number>;
  syncApply(input: SyncApplyInput): Promise<SyncPageResult>;
  /** The stream's next application write, carried out at the provider (or parked on a conflict). */
  syncWriteNext(input: SyncStreamRef): Promise<SyncWriteResult>;
}
