import type { Logger } from '../logging/logger';
import { SyncError } from '../shared/errors';
import { toApplicationFailure } from '../shared/failures';
import type {
  ResolveConflictInput,
  SyncBeginInput,
  SyncBeginResult,
  SyncFinishResult,
  SyncNotifyInput,
  SyncRunInput,
  SyncStreamRef,
  SyncSweepInput,
  SweepCandidates,
  SyncStoreActivityTypes,
} from '../shared/syncContract';
import { firstPageRequest, syncPlan, type ResolvedSync, type SyncCatalogue } from './catalogue';
import type { SyncMetrics } from './metrics';
import { streamIdOf, type RecordStore } from './store/recordStore';
import type { WriteStore } from './store/writeStore';

export interface SyncActivityDeps {
  store: RecordStore;
  /** The application's writes (two-way syncs). */
  writes?: WriteStore;
  catalogue: SyncCatalogue;
  logger: Logger;
  metrics?: SyncMetrics;
  /** Tombstones older than this many days are pruned when a run finishes; never when undefined. */
  tombstoneRetentionDays?: number;
  /** Hands a "this run changed something" notification to a durable delivery (absent: none configured). */
  notify?: (input: SyncNotifyInput) => Promise<void>;
  now?: () => Date;
}

/** The declared sync of a stream, or a non-retryable `unknown_sync` (the declaration was removed). */
export function resolveSync(catalogue: SyncCatalogue, ref: SyncStreamRef): ResolvedSync {
  const sync = catalogue.find(ref.providerId, ref.syncName);
  if (!sync) {
    throw toApplicationFailure(
      new SyncError('unknown_sync', `provider "${ref.providerId}" declares no sync "${ref.syncName}"`),
    );
  }
  return sync;
}

/** A sweep deleting more than the guard's share (or count) of the live records waits for approval. */
export function overGuard(guard: SyncSweepInput['guard'], live: number, unseen: number): boolean {
  if (unseen === 0) return false;
  if (guard.count !== undefined && unseen > guard.count) return true;
  return live > 0 && (unseen / live) * 100 > guard.percent;
}

/** The mode of a new run: the declaration's, or full when asked, on a reset, or on a reconcile turn. */
export function runMode(sync: ResolvedSync, input: SyncBeginInput): 'incremental' | 'full' {
  const { declaration } = sync;
  if (declaration.mode === 'full' || input.full || input.reset) return 'full';
  const deletion = declaration.deletion;
  if (deletion?.strategy === 'full-reconcile' && input.runNumber % deletion.everyRuns === 0) return 'full';
  return 'incremental';
}

/** An operator's decision on a parked write, sent as a signal: checked like the API checks it, then recorded. */
async function resolveBySignal(
  deps: SyncActivityDeps,
  input: SyncStreamRef & ResolveConflictInput,
): Promise<'resolved' | 'unknown' | 'not_parked' | 'invalid'> {
  if (!deps.writes) return 'unknown';
  const resolution = input.value
    ? { value: input.value }
    : input.take === 'provider' || input.take === 'app'
      ? { take: input.take }
      : undefined;
  const write = await deps.writes.get(input.writeId);
  const sync = resolveSync(deps.catalogue, input);
  const stored = write?.recordId ? await deps.writes.record(write.streamId, write.recordId) : undefined;
  const problems =
    resolution && 'value' in resolution ? sync.shaper.problems({ ...stored?.data, ...resolution.value }) : [];
  const streamId = streamIdOf(input.connectionId, input.syncName);
  if (!resolution || problems.length > 0 || (write && write.streamId !== streamId)) {
    deps.logger.warn({ writeId: input.writeId, problems }, 'conflict resolution refused: invalid');
    return 'invalid';
  }
  const outcome = await deps.writes.resolve(input.writeId, resolution);
  deps.logger.info({ writeId: input.writeId, outcome }, 'conflict resolution by signal');
  return outcome;
}

/**
 * The sync activities that work on the store alone (on Junction's own task queue): beginning a run, the
 * deletion sweep and its guard's count, finishing a run, and the notification. The page activities, which
 * call the provider, run on the provider's task queue (see `pageActivities`).
 */
export function createSyncStoreActivities(deps: SyncActivityDeps): SyncStoreActivityTypes {
  const now = deps.now ?? (() => new Date());
  const streamOf = (ref: SyncStreamRef) => streamIdOf(ref.connectionId, ref.syncName);

  return {
    async syncBegin(input: SyncBeginInput): Promise<SyncBeginResult> {
      const sync = resolveSync(deps.catalogue, input);
      const streamId = await deps.store.ensureStream(input.connectionId, input.syncName, input.providerId);
      const mode = runMode(sync, input);
      const state = await deps.store.beginRun(streamId, {
        runId: input.runId,
        mode,
        reset: input.reset,
        firstPage: (checkpoint) => firstPageRequest(sync, mode, checkpoint),
      });
      return {
        plan: syncPlan(sync, streamId, state.generation),
        mode: state.runMode ?? mode,
        // A run that is no longer the stream's (another writer began one): the workflow starts afresh.
        current: state.runId === input.runId,
      };
    },

    /** What the sweep would delete, and whether the mass-delete guard parks it for an operator. */
    async syncSweepCandidates(input: SyncSweepInput): Promise<SweepCandidates> {
      const { live, unseen } = await deps.store.sweepCandidates(streamOf(input), input.generation);
      const parked = overGuard(input.guard, live, unseen);
      deps.metrics?.parked(input, parked ? unseen : 0);
      if (parked) {
        deps.logger.warn(
          { ...input, live, unseen },
          'sync sweep parked: it would delete more than the mass-delete guard allows; approve or reject it',
        );
      }
      return { live, unseen, parked };
    },

    async syncSweep(input: SyncSweepInput): Promise<number> {
      const deleted = await deps.store.sweep(streamOf(input), input.generation);
      deps.metrics?.written(input, 'deleted', deleted);
      deps.metrics?.parked(input, 0);
      deps.logger.info({ ...input, deleted }, 'sync sweep deleted records a full pass did not see');
      return deleted;
    },

    /** An operator rejected a parked sweep: nothing is deleted. */
    async syncDropSweep(input: SyncSweepInput): Promise<void> {
      deps.metrics?.parked(input, 0);
      deps.logger.info(input, 'parked sync deletes rejected: nothing deleted');
    },

    async syncFinish(input: SyncRunInput): Promise<SyncFinishResult> {
      const streamId = streamOf(input);
      const state = await deps.store.finishRun(streamId, input.runId);
      let pruned = 0;
      if (deps.tombstoneRetentionDays !== undefined) {
        const before = new Date(now().getTime() - deps.tombstoneRetentionDays * 86_400_000);
        pruned = await deps.store.pruneTombstones(streamId, before);
      }
      deps.metrics?.finished(input, state.lastSuccessAt ?? now());
      return {
        finishedAt: (state.lastSuccessAt ?? now()).toISOString(),
        lastSeq: state.lastSeq,
        pruned,
        ...(state.runCounts ? { counts: state.runCounts } : {}),
      };
    },

    /** An operator's decision from a signal (the UI): recorded like one from the API, or refused. */
    syncResolveConflict: (input) => resolveBySignal(deps, input),

    async syncNotify(input: SyncNotifyInput): Promise<boolean> {
      if (!deps.notify) return false;
      await deps.notify(input);
      return true;
    },
  };
}

export type SyncStoreActivities = SyncStoreActivityTypes;
