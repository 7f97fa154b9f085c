import {
  allHandlersFinished,
  condition,
  ContinueAsNew,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { activityOptions } from '../shared/activityOptions';
import { readFailure } from '../shared/failures';
import { JUNCTION_LAST_SUCCESS_AT, JUNCTION_STATE } from '../shared/searchAttributes';
import {
  approveDeletesSignal,
  pauseSyncSignal,
  recordsChangedSignal,
  rejectDeletesSignal,
  resolveConflictSignal,
  writesWaitingSignal,
  resumeSyncSignal,
  syncNowUpdate,
  syncStatusQuery,
  type PendingRun,
  type SyncPageActivityTypes,
  type SyncStoreActivityTypes,
  type SyncPlan,
  type SyncState,
  type SyncStreamRef,
  type SyncWorkflowInput,
} from '../shared/syncContract';
import { SyncModel, WRITE_RETRY_MS, WRITES_PER_TURN } from './syncModel';

/**
 * One workflow per synced stream (`sync:<connectionId>:<syncName>`), the stream's only writer. It runs on its
 * timer or when asked (`syncNow`), one activity per page (the checkpoint is in the database, written with the
 * page's records), applies records that provider webhooks bring between pages, reconciles deletions only after
 * a complete full pass and parks a sweep over the mass-delete guard until an operator decides. Pause and
 * resume are signals; its state and last success are search attributes. It continues as new to stay short,
 * carrying a run in progress with it.
 */
export async function sync(input: SyncWorkflowInput): Promise<void> {
  const model = new SyncModel(input);
  // Two-way syncs: the application's writes, drained by this workflow (histories before it never had them).
  model.writesEnabled = patched('sync-writes');
  const runtime = new SyncRuntime(model);
  setHandler(writesWaitingSignal, () => model.writesWaiting());
  setHandler(resolveConflictSignal, (decision) => model.resolve(decision));
  setHandler(syncNowUpdate, (request) => {
    model.request(request ?? {});
    return { accepted: true as const, runs: model.carried.runs };
  });
  setHandler(pauseSyncSignal, () => {
    model.carried.paused = true;
  });
  setHandler(resumeSyncSignal, () => {
    model.carried.paused = false;
  });
  setHandler(approveDeletesSignal, () => {
    if (model.carried.pendingSweep) model.approval = 'approve';
  });
  setHandler(rejectDeletesSignal, () => {
    if (model.carried.pendingSweep) model.approval = 'reject';
  });
  setHandler(recordsChangedSignal, (batch) => model.receive(batch));
  setHandler(syncStatusQuery, () => model.status());
  await runtime.loop();
}

class SyncRuntime {
  private readonly store: SyncStoreActivityTypes;
  private readonly pages: SyncPageActivityTypes;
  private readonly listing: SyncPageActivityTypes;
  private readonly writer: SyncPageActivityTypes;
  private readonly ref: SyncStreamRef;

  constructor(private readonly model: SyncModel) {
    const { providerId } = model.input;
    this.store = proxyActivities<SyncStoreActivityTypes>(activityOptions.syncStore);
    this.pages = proxyActivities<SyncPageActivityTypes>(activityOptions.syncPage(providerId));
    this.listing = proxyActivities<SyncPageActivityTypes>(activityOptions.syncListing(providerId));
    this.writer = proxyActivities<SyncPageActivityTypes>(activityOptions.syncWrite(providerId));
    this.ref = {
      connectionId: model.input.connectionId,
      providerId,
      syncName: model.input.syncName,
    };
  }

  private setState(state: SyncState): void {
    if (this.model.state === state) return;
    this.model.state = state;
    upsertSearchAttributes([{ key: JUNCTION_STATE, value: state }]);
  }

  private historyFull(): boolean {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength > this.model.input.historyEventLimit;
  }

  private async continueIfLong(): Promise<void> {
    if (!this.historyFull()) return;
    await condition(allHandlersFinished);
    await continueAsNew<typeof sync>(this.model.continuation());
  }

  /** Waits while paused (nothing is written meanwhile), then takes up the state it had. */
  private async waitWhilePaused(resumeAs: SyncState): Promise<void> {
    if (!this.model.carried.paused) return;
    this.setState('paused');
    await condition(() => !this.model.carried.paused);
    this.setState(resumeAs);
  }

  /** Applies the webhook records waiting (newer version wins in the store, whatever the order). */
  private async applyIncoming(): Promise<void> {
    while (this.model.carried.incoming.length > 0 && !this.model.carried.paused) {
      await this.pages.syncApply({ ...this.ref, batch: this.model.takeIncoming() });
    }
  }

  /**
   * Applies the application's writes in the order they were accepted (the store is their queue): an
   * operator's resolutions first, then up to a turn's worth. When the provider fails one, the rest wait
   * (in order) and the drain tries again after a while; nothing is dropped.
   */
  private async drainWrites(): Promise<void> {
    const { model } = this;
    if (!model.writesDue(Date.now())) return;
    try {
      // One at a time, dropped once recorded: a decision is not lost when the store is away for a while.
      for (let next = model.nextResolution(); next; next = model.nextResolution()) {
        await this.store.syncResolveConflict({ ...this.ref, ...next });
        model.resolutionRecorded();
        model.writesWaiting();
      }
      const signals = model.carried.writeSignals ?? 0;
      for (let applied = 0; applied < WRITES_PER_TURN; applied++) {
        const result = await this.writer.syncWriteNext(this.ref);
        if (result.done) {
          model.carried.writesDrained = signals;
          model.carried.writesRetryAt = undefined;
          return;
        }
      }
    } catch (error) {
      if (isCancellation(error)) throw error;
      model.carried.writesRetryAt = new Date(Date.now() + WRITE_RETRY_MS).toISOString();
    }
  }

  async loop(): Promise<never> {
    const { model } = this;
    for (;;) {
      if (model.carried.paused) {
        this.setState('paused');
        await condition(() => !model.carried.paused);
        this.setState(model.carried.lastRun?.error ? 'failed' : 'idle');
      } else if (model.hasWork(Date.now())) {
        await this.applyIncoming();
        await this.drainWrites();
        const runDue = model.carried.requested !== undefined || model.dueInMs(Date.now()) === 0;
        if (!model.carried.paused && (model.carried.pendingRun || runDue)) await this.run();
      } else {
        // Nothing to do until the next run is due, unless asked, resumed or sent records before then.
        await condition(() => model.carried.paused || model.hasWork(Date.now()), model.sleepMs(Date.now()));
      }
      await this.continueIfLong();
    }
  }

  private async run(): Promise<void> {
    const { model } = this;
    const run = model.startRun(uuid4(), Date.now());
    // Each run also drains writes a lost "writes waiting" signal left behind (they wait in the store).
    if (model.writesEnabled) model.writesWaiting();
    this.setState(model.carried.pendingSweep ? 'awaiting_approval' : 'syncing');
    try {
      const begun = await this.store.syncBegin({
        ...this.ref,
        runId: run.runId,
        full: run.mode === 'full',
        reset: run.reset,
        runNumber: model.carried.runs,
      });
      run.mode = begun.mode;
      model.carried.frequencyMs = begun.plan.frequencyMs;
      await this.readPages(run);
      if (begun.plan.deletion === 'deleted-endpoint') {
        run.counts.deleted += await this.listing.syncDeleted({ ...this.ref, runId: run.runId });
      }
      if (run.mode === 'full' && begun.plan.deletion === 'full-reconcile')
        await this.reconcile(run, begun.plan);
      const finished = await this.store.syncFinish({ ...this.ref, runId: run.runId });
      // The store's counts are exact: a page whose answer was lost to a killed worker is in them too.
      if (patched('sync-run-counts-from-store') && finished.counts) run.counts = { ...finished.counts };
      const summary = model.endRun(run, Date.now(), { finishedAt: finished.finishedAt });
      upsertSearchAttributes([{ key: JUNCTION_LAST_SUCCESS_AT, value: new Date(finished.finishedAt) }]);
      this.setState(model.state);
      if (summary.added + summary.updated + summary.deleted > 0) {
        await this.store.syncNotify({
          ...this.ref,
          runId: run.runId,
          added: summary.added,
          updated: summary.updated,
          deleted: summary.deleted,
          lastSeq: finished.lastSeq,
        });
      }
    } catch (error) {
      if (isCancellation(error)) throw error;
      // Continuing as new mid-run carries the run with it: it is no failure (older histories recorded one).
      if (error instanceof ContinueAsNew && patched('sync-continue-mid-run')) throw error;
      const failure = readFailure(error, 'sync_failed');
      // The checkpoint in the store did not move: the next run starts again from it, and deletes nothing.
      model.endRun(run, Date.now(), { error: { code: failure.code, message: failure.message } });
      this.setState(model.state);
    }
  }

  private async readPages(run: PendingRun): Promise<void> {
    while (!run.pagesDone) {
      await this.applyIncoming();
      await this.drainWrites();
      await this.waitWhilePaused('syncing');
      this.model.addPage(run, await this.pages.syncPage({ ...this.ref, runId: run.runId }));
      await this.continueIfLong();
    }
  }

  /** The sweep of a complete full pass; over the guard it waits for an operator's approval or rejection. */
  private async reconcile(run: PendingRun, plan: SyncPlan): Promise<void> {
    const { model } = this;
    const sweep = { ...this.ref, generation: plan.generation, guard: plan.guard };
    if (!model.carried.pendingSweep) {
      const candidates = await this.store.syncSweepCandidates(sweep);
      if (!candidates.parked) {
        run.counts.deleted += await this.store.syncSweep(sweep);
        return;
      }
      model.carried.pendingSweep = {
        generation: plan.generation,
        live: candidates.live,
        unseen: candidates.unseen,
        since: new Date(Date.now()).toISOString(),
      };
    }
    this.setState('awaiting_approval');
    while (model.approval === undefined) {
      await condition(
        () =>
          model.approval !== undefined || model.carried.incoming.length > 0 || model.writesDue(Date.now()),
      );
      await this.applyIncoming();
      await this.drainWrites();
      // A decision already taken must not be lost to a continue-as-new (it is not carried).
      if (model.approval === undefined) await this.continueIfLong();
    }
    const decision = model.approval;
    model.approval = undefined;
    if (decision === 'approve') run.counts.deleted += await this.store.syncSweep(sweep);
    else await this.store.syncDropSweep(sweep);
    model.carried.pendingSweep = undefined;
    this.setState('syncing');
  }
}
