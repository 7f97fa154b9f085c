import type { EnqueueOrderedInput } from '../shared/ordering';
import { DeliveryLog } from './deliveryLog';
import type {
  DeadLetterMemo,
  DeliveryState,
  FailureRecord,
  ForwardInput,
  StartAppWorkflowInput,
  TargetProgress,
  ValidateEventInput,
  WebhookDeliveryInput,
  WebhookDeliveryStatus,
} from '../shared/webhooks';

/** An operator's answer to a dead letter. */
export type OperatorDecision = { action: 'retry' } | { action: 'discard'; reason?: string };

/** The memo that takes a dead letter off the list again (a retry). */
export const CLEARED_DEAD_LETTER: DeadLetterMemo = { deadLetteredAt: null, lastError: null };

const terminal = (t: TargetProgress) => t.status === 'delivered' || t.status === 'discarded';

/**
 * The state of one webhook delivery and the decisions taken on it, free of Temporal: the workflow function
 * only wires signals, activities and search attributes around it, and unit tests drive it directly. Every
 * method that needs the time takes it as an argument.
 */
export class WebhookDeliveryModel {
  readonly status: WebhookDeliveryStatus;
  /** The sequencers that order some of this event's targets, each once, in the order of the targets. */
  readonly sequencers: string[];
  private decision: OperatorDecision | undefined;
  private readonly proceeded = new Set<string>();
  private readonly released = new Set<string>();
  private readonly inFlight = new Set<TargetProgress>();
  private changeCount = 0;
  /** The delivery log, in executions that keep one (see DELIVERY_LOG_PATCH). */
  readonly log: DeliveryLog | undefined;

  constructor(
    private readonly input: WebhookDeliveryInput,
    options: { attemptLog?: boolean } = {},
  ) {
    const targets: TargetProgress[] = input.targets.map((target) => ({
      target,
      status: target.orderedBy ? 'waiting' : 'pending',
      attempts: 0,
    }));
    this.status = {
      state: targets.length > 0 ? 'delivering' : 'unrouted',
      sourceId: input.event.sourceId,
      deliveryId: input.event.deliveryId,
      eventType: input.event.eventType,
      targets,
    };
    this.sequencers = [...new Set(input.targets.flatMap((t) => (t.orderedBy ? [t.orderedBy] : [])))];
    if (options.attemptLog) this.log = new DeliveryLog((this.status.log = []));
  }

  /** Bumped by every accepted signal and finished attempt, so the workflow's loop wakes on any change. */
  get changes(): number {
    return this.changeCount;
  }

  /** Where the delivery stands (mirrored into the search attribute by the workflow). */
  get state(): DeliveryState {
    return this.status.state;
  }

  /** Each target's progress, in the order the routes selected them. */
  get targets(): TargetProgress[] {
    return this.status.targets;
  }

  /** An operator's decision is waiting to be taken. */
  get hasDecision(): boolean {
    return this.decision !== undefined;
  }

  /** Sequencers that gave this delivery its turn (a live view: turns given later show up while iterating). */
  get turnsGiven(): ReadonlySet<string> {
    return this.proceeded;
  }

  /** Records an operator's `retry` or `discard`; refused (false, nothing changes) unless dead-lettered. */
  decide(decision: OperatorDecision): boolean {
    if (this.status.state !== 'dead_lettered') return false;
    this.decision = decision;
    this.changeCount++;
    return true;
  }

  /** A sequencer gives this delivery its turn. A repeated turn is handed straight back once targets are done. */
  proceed(sequencerId: string): void {
    this.proceeded.add(sequencerId);
    this.released.delete(sequencerId);
    this.changeCount++;
  }

  /** Counts a finished attempt (delivered, failed or cancelled), so the loop looks again. */
  attemptFinished(): void {
    this.changeCount++;
  }

  /** Whether this delivery's turn with `sequencerId` has come. */
  hasTurn(sequencerId: string): boolean {
    return this.proceeded.has(sequencerId);
  }

  /** Holds the turn of `sequencerId` and has not handed it back. */
  holdsTurn(sequencerId: string): boolean {
    return this.proceeded.has(sequencerId) && !this.released.has(sequencerId);
  }

  /** Holds the turn of `sequencerId` and every target it orders is done: time to hand it back. */
  shouldRelease(sequencerId: string): boolean {
    return (
      this.holdsTurn(sequencerId) &&
      this.targets.filter((t) => t.target.orderedBy === sequencerId).every(terminal)
    );
  }

  /** The turn of `sequencerId` is handed back (before the signal is sent, so it is never sent twice). */
  markReleased(sequencerId: string): void {
    this.released.add(sequencerId);
  }

  /** What putting this delivery in the line of `sequencerId` again needs (its route, its workflow id). */
  enqueueInput(sequencerId: string, workflowId: string): EnqueueOrderedInput {
    const route = this.input.targets.find((t) => t.orderedBy === sequencerId)?.route ?? '';
    return { sequencerId, sourceId: this.input.event.sourceId, route, workflowId };
  }

  /** What the schema check needs: the event as received. */
  validationInput(): ValidateEventInput {
    const { event } = this.input;
    return {
      sourceId: event.sourceId,
      eventType: event.eventType,
      contentType: event.contentType,
      body: event.body,
    };
  }

  /** Records the schema check's reasons; answers whether the payload passed (no reasons). */
  recordValidation(errors: string[]): boolean {
    if (errors.length === 0) {
      this.status.validationErrors = undefined;
      return true;
    }
    this.status.validationErrors = errors;
    this.status.lastError = { code: 'schema_invalid', message: errors.join('; ') };
    return false;
  }

  /** Dead-letters the event; answers the memo that lists it with its last error. */
  deadLetter(now: number): DeadLetterMemo {
    this.status.deadLetteredAt = new Date(now).toISOString();
    this.status.state = 'dead_lettered';
    return {
      eventType: this.input.event.eventType,
      deliveryId: this.input.event.deliveryId,
      deadLetteredAt: this.status.deadLetteredAt,
      lastError: this.status.lastError,
    };
  }

  /**
   * Takes the waiting decision: a retry puts the event back to `delivering` and its failed targets back in
   * line; a discard gives up on the failed targets.
   */
  takeDecision(): OperatorDecision {
    const chosen = this.decision;
    if (chosen === undefined) throw new Error('no operator decision is waiting');
    this.decision = undefined;
    if (chosen.action === 'retry') {
      this.status.deadLetteredAt = undefined;
      this.status.state = 'delivering';
    } else {
      this.status.discardReason = chosen.reason;
    }
    for (const t of this.targets) {
      if (t.status === 'failed') t.status = chosen.action === 'retry' ? 'pending' : 'discarded';
    }
    return chosen;
  }

  /** Every target is discarded (a payload that failed its schema, discarded by an operator). */
  discardAll(): void {
    for (const t of this.targets) t.status = 'discarded';
    this.status.state = 'discarded';
  }

  /**
   * Lets the targets whose turn came go, and claims every target ready for an attempt and not in one already;
   * the caller starts an attempt for each and calls `attemptSettled` when it ends.
   */
  claimAttempts(): TargetProgress[] {
    const claimed: TargetProgress[] = [];
    for (const progress of this.targets) {
      if (progress.status === 'waiting' && this.proceeded.has(progress.target.orderedBy ?? ''))
        progress.status = 'pending';
      if (progress.status === 'pending' && !this.inFlight.has(progress)) {
        this.inFlight.add(progress);
        claimed.push(progress);
      }
    }
    return claimed;
  }

  /** The attempt at `progress` is over: its target may be claimed again (after a retry). */
  attemptSettled(progress: TargetProgress): void {
    this.inFlight.delete(progress);
  }

  /** What the forward activity needs for one attempt at `progress`'s target. */
  forwardInput(progress: TargetProgress): ForwardInput {
    const { event } = this.input;
    return {
      sourceId: event.sourceId,
      deliveryId: event.deliveryId,
      eventType: event.eventType,
      route: progress.target.route,
      receivedAt: event.receivedAt,
      contentType: event.contentType,
      body: event.body,
      priorAttempts: progress.attempts,
      timeoutMs: progress.target.timeoutMs,
      target: progress.target.target,
      ...(this.log ? { reportAttempts: true } : {}),
    };
  }

  /** What starting the application's workflow needs; its id derives from this delivery's workflow id. */
  appWorkflowInput(progress: TargetProgress, deliveryWorkflowId: string): StartAppWorkflowInput {
    return { ...this.forwardInput(progress), target: progress.target.target ?? '', deliveryWorkflowId };
  }

  /** Records a delivered target: the attempt that got through and, for a workflow target, the workflow started. */
  recordDelivered(
    progress: TargetProgress,
    result: { attempt: number; workflowId?: string },
    now: number,
  ): void {
    progress.attempts = result.attempt;
    if (result.workflowId !== undefined) progress.workflowId = result.workflowId;
    progress.status = 'delivered';
    progress.deliveredAt = new Date(now).toISOString();
    progress.lastError = undefined;
    this.log?.outcome(progress, { attempt: result.attempt, outcome: 'delivered', at: progress.deliveredAt });
  }

  /**
   * Records a failed attempt. Without an attempt count from the activity, the round is taken to have used
   * every attempt its retry policy allows.
   */
  recordFailure(progress: TargetProgress, error: FailureRecord, attempt?: number, now = Date.now()): void {
    progress.attempts = attempt ?? progress.attempts + this.input.retry.maximumAttempts;
    progress.status = 'failed';
    progress.lastError = error;
    this.status.lastError = error;
    const { status, ...cause } = error;
    const at = new Date(now).toISOString();
    this.log?.outcome(progress, { attempt: progress.attempts, outcome: 'failed', at, status, error: cause });
  }

  /** Every target delivered or discarded. */
  done(): boolean {
    return this.targets.every(terminal);
  }

  /**
   * Dead-lettered once nothing is in flight and a target has failed. Targets still waiting for their turn
   * are not held up by it: they go when their sequencer lets them, dead letter or not.
   */
  shouldDeadLetter(): boolean {
    return (
      this.status.state !== 'dead_lettered' &&
      this.inFlight.size === 0 &&
      this.targets.some((t) => t.status === 'failed') &&
      !this.targets.some((t) => t.status === 'pending')
    );
  }

  /** Ends the delivery: `discarded` when any target was given up on, else `delivered`. */
  finish(): DeliveryState {
    this.status.state = this.targets.some((t) => t.status === 'discarded') ? 'discarded' : 'delivered';
    return this.status.state;
  }
}
