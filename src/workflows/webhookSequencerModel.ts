import type { SequencerInput } from '../shared/ordering';

export const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;
export const DEFAULT_HOLDER_CHECK_MS = 10 * 60_000;
/** Well below Temporal's history limits; `continueAsNewSuggested` may come earlier. */
export const DEFAULT_MAX_TICKETS_PER_RUN = 500;

/**
 * One sequencer's line of deliveries and the turn being held, free of Temporal: the workflow function only
 * wires the signals, the `proceed` it sends and the checks on the holder around it.
 */
export class WebhookSequencerModel {
  readonly idleTimeoutMs: number;
  readonly holderCheckMs: number;
  private readonly maxTickets: number;
  private readonly queue: string[];
  private holder: string | undefined;
  private turnReleased = false;
  private handled = 0;

  constructor(private readonly input: SequencerInput) {
    this.queue = [...(input.queue ?? [])];
    this.idleTimeoutMs = input.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    this.holderCheckMs = input.holderCheckMs ?? DEFAULT_HOLDER_CHECK_MS;
    this.maxTickets = input.maxTicketsPerRun ?? DEFAULT_MAX_TICKETS_PER_RUN;
  }

  /** No delivery waits in line. */
  get isEmpty(): boolean {
    return this.queue.length === 0;
  }

  /** The delivery holding the turn has handed it back. */
  get released(): boolean {
    return this.turnReleased;
  }

  /** Puts a delivery in line; one already in line or holding the turn is not put in twice (false). */
  enqueue(workflowId: string): boolean {
    if (workflowId === this.holder || this.queue.includes(workflowId)) return false;
    this.queue.push(workflowId);
    return true;
  }

  /** A delivery hands its turn back; only the holder's release counts. */
  release(workflowId: string): void {
    if (workflowId === this.holder) this.turnReleased = true;
  }

  /** Gives the turn to the first delivery in line; undefined when the line is empty. */
  nextTurn(): string | undefined {
    const next = this.queue.shift();
    if (next === undefined) return undefined;
    this.holder = next;
    this.turnReleased = false;
    return next;
  }

  /** The delivery given the turn had closed already: nothing to wait for, and no ticket counted. */
  skipTurn(): void {
    this.holder = undefined;
  }

  /** The holder released its turn or closed: the ticket is done. */
  endTurn(): void {
    this.holder = undefined;
    this.handled++;
  }

  /** Continue as new once this run handled its share of tickets, or when Temporal suggests it. */
  shouldContinueAsNew(suggested: boolean): boolean {
    return this.handled >= this.maxTickets || suggested;
  }

  /** The next run's input: the settings and the deliveries still in line. */
  continuation(): SequencerInput {
    return { ...this.input, queue: [...this.queue] };
  }
}
