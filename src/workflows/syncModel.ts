import type {
  PendingRun,
  ResolveConflictInput,
  RecordsChanged,
  RunCounts,
  RunSummary,
  SyncCarried,
  SyncNowRequest,
  SyncPageResult,
  SyncState,
  SyncStatus,
  SyncWorkflowInput,
} from '../shared/syncContract';

/** How many webhook batches one apply activity takes at once. */
export const APPLY_BATCH = 50;
/** How many application writes one turn of the loop applies before it looks at the rest of its work. */
export const WRITES_PER_TURN = 25;
/** After the provider failed a write (its activity's attempts spent), the next try waits this long. */
export const WRITE_RETRY_MS = 15_000;

export const zeroCounts = (): RunCounts => ({
  pages: 0,
  added: 0,
  updated: 0,
  deleted: 0,
  unchanged: 0,
  skipped: 0,
  invalid: 0,
});

/**
 * A sync stream's state and decisions, pure (no Temporal calls), so that the workflow stays a thin loop and
 * the rules can be read in one place: when a run is due, what a request asks for, how a page adds up, and
 * what is carried across continue-as-new.
 */
export class SyncModel {
  readonly carried: SyncCarried;
  state: SyncState = 'idle';
  approval: 'approve' | 'reject' | undefined;
  /** Application writes are drained (the `sync-writes` patch); an older history never had them. */
  writesEnabled = false;

  constructor(readonly input: SyncWorkflowInput) {
    this.carried = input.carried ?? {
      runs: 0,
      paused: false,
      frequencyMs: input.frequencyMs,
      incoming: [],
    };
    if (this.carried.paused) this.state = 'paused';
    else if (this.carried.pendingSweep) this.state = 'awaiting_approval';
    else if (this.carried.lastRun?.error) this.state = 'failed';
  }

  /** `sync now`: merged with a request already waiting (full wins, reset wins). */
  request(request: SyncNowRequest): void {
    const waiting = this.carried.requested ?? {};
    this.carried.requested = {
      full: Boolean(waiting.full || request.full || request.reset),
      reset: Boolean(waiting.reset || request.reset),
    };
  }

  receive(batch: RecordsChanged): void {
    this.carried.incoming.push(batch);
  }

  /** The next webhook batches to apply, merged into one. */
  takeIncoming(): RecordsChanged {
    const taken = this.carried.incoming.splice(0, APPLY_BATCH);
    return {
      records: taken.flatMap((batch) => batch.records ?? []),
      refetch: [...new Set(taken.flatMap((batch) => batch.refetch ?? []))],
    };
  }

  /** The application wrote (a signal), or a run starts (it drains what a lost signal left behind). */
  writesWaiting(): void {
    this.carried.writeSignals = (this.carried.writeSignals ?? 0) + 1;
  }

  resolve(input: ResolveConflictInput): void {
    (this.carried.resolutions ??= []).push(input);
  }

  /** The oldest decision waiting to be recorded (it stays until `resolutionRecorded`). */
  nextResolution(): ResolveConflictInput | undefined {
    return this.carried.resolutions?.[0];
  }

  resolutionRecorded(): void {
    this.carried.resolutions?.shift();
  }

  /** Writes to drain now: signalled since the last drain, and not waiting out a provider failure. */
  writesDue(now: number): boolean {
    if (!this.writesEnabled || this.writesRetryInMs(now) > 0) return false;
    return this.writesWaitingNow();
  }

  /** Resolutions to record, or writes signalled since the last drain. */
  private writesWaitingNow(): boolean {
    if ((this.carried.resolutions?.length ?? 0) > 0) return true;
    return (this.carried.writeSignals ?? 0) > (this.carried.writesDrained ?? 0);
  }

  writesRetryInMs(now: number): number {
    const at = this.carried.writesRetryAt ? Date.parse(this.carried.writesRetryAt) : now;
    return Math.max(0, at - now);
  }

  /** How long the loop may sleep: until the next run, or the next write retry when writes wait. */
  sleepMs(now: number): number {
    const due = this.dueInMs(now);
    return this.writesEnabled && this.writesWaitingNow() ? Math.min(due, this.writesRetryInMs(now)) : due;
  }

  /** Milliseconds until the next run is due on its own (0: now). */
  dueInMs(now: number): number {
    const at = this.carried.nextRunAt ? Date.parse(this.carried.nextRunAt) : now;
    return Math.max(0, at - now);
  }

  /** Something to do now: a run to resume, one asked for or due, or webhook records to apply. */
  hasWork(now: number): boolean {
    if (this.carried.paused) return false;
    return (
      this.carried.incoming.length > 0 ||
      this.writesDue(now) ||
      this.carried.pendingRun !== undefined ||
      this.carried.requested !== undefined ||
      this.dueInMs(now) === 0
    );
  }

  /** The run to work on: the one waiting to resume, or a new one with what was asked for. */
  startRun(runId: string, now: number): PendingRun {
    if (this.carried.pendingRun) return this.carried.pendingRun;
    const requested = this.carried.requested ?? {};
    this.carried.requested = undefined;
    this.carried.pendingRun = {
      runId,
      mode: requested.full ? 'full' : 'incremental',
      reset: requested.reset === true,
      startedAt: new Date(now).toISOString(),
      counts: zeroCounts(),
      invalidRecords: [],
    };
    return this.carried.pendingRun;
  }

  addPage(run: PendingRun, page: SyncPageResult): void {
    const { counts } = run;
    counts.pages += page.pages ?? 1;
    counts.added += page.added;
    counts.updated += page.updated;
    counts.deleted += page.deleted;
    counts.unchanged += page.unchanged;
    counts.skipped += page.skipped;
    counts.invalid += page.invalid;
    if (run.invalidRecords.length < 5) run.invalidRecords.push(...page.invalidRecords.slice(0, 5));
    if (page.done) run.pagesDone = true;
  }

  /** A run ended (well or not): its summary, the next run's time, and the state. */
  endRun(
    run: PendingRun,
    now: number,
    outcome: { finishedAt?: string; error?: RunSummary['error'] },
  ): RunSummary {
    const summary: RunSummary = {
      runId: run.runId,
      mode: run.mode,
      startedAt: run.startedAt,
      ...run.counts,
      ...(run.invalidRecords.length > 0 ? { invalidRecords: run.invalidRecords } : {}),
      ...outcome,
    };
    this.carried.lastRun = summary;
    this.carried.pendingRun = undefined;
    this.carried.pendingSweep = undefined;
    this.carried.runs++;
    if (outcome.finishedAt) this.carried.lastSuccessAt = outcome.finishedAt;
    this.carried.nextRunAt = new Date(now + this.carried.frequencyMs).toISOString();
    this.state = this.carried.paused ? 'paused' : outcome.error ? 'failed' : 'idle';
    return summary;
  }

  status(): SyncStatus {
    const { carried, input } = this;
    return {
      connectionId: input.connectionId,
      providerId: input.providerId,
      syncName: input.syncName,
      state: this.state,
      paused: carried.paused,
      runs: carried.runs,
      ...(carried.lastSuccessAt ? { lastSuccessAt: carried.lastSuccessAt } : {}),
      ...(carried.lastRun ? { lastRun: carried.lastRun } : {}),
      ...(carried.pendingRun ? { currentRun: carried.pendingRun } : {}),
      ...(carried.pendingSweep ? { pendingDeletes: carried.pendingSweep } : {}),
      ...(carried.nextRunAt ? { nextRunAt: carried.nextRunAt } : {}),
      incomingWaiting: carried.incoming.length,
    };
  }

  continuation(): SyncWorkflowInput {
    return { ...this.input, frequencyMs: this.carried.frequencyMs, carried: this.carried };
  }
}
