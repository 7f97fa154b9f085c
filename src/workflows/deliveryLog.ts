import { DELIVERY_LOG_SIZE, type DeliveryAttempt, type TargetProgress } from '../shared/webhooks';

const sameAttempt = (a: DeliveryAttempt, b: Pick<DeliveryAttempt, 'route' | 'target' | 'attempt'>) =>
  a.route === b.route && a.target === b.target && a.attempt === b.attempt;

/**
 * The latest attempts of one delivery, oldest first, bounded. Attempts arrive two ways: the forward activity
 * reports each one (status, duration), and the workflow records each round's outcome; whichever comes second
 * for the same attempt replaces nothing the first told, so an attempt is listed once. Pure: the time is
 * passed in.
 */
export class DeliveryLog {
  constructor(readonly entries: DeliveryAttempt[]) {}

  /** An attempt as the activity reported it (it wins over what the workflow inferred for the same attempt). */
  reported(entry: DeliveryAttempt): void {
    const index = this.entries.findIndex((e) => sameAttempt(e, entry));
    if (index >= 0) this.entries.splice(index, 1, entry);
    else this.append(entry);
  }

  /**
   * The outcome of a round the workflow learned from the activity's result or failure; logged only when the
   * activity did not report that attempt itself (it timed out, its worker died, or it failed before a request).
   */
  outcome(progress: TargetProgress, entry: Omit<DeliveryAttempt, 'route' | 'target'>): void {
    const full: DeliveryAttempt = {
      route: progress.target.route,
      ...(progress.target.target !== undefined ? { target: progress.target.target } : {}),
      ...entry,
    };
    if (!this.entries.some((e) => sameAttempt(e, full))) this.append(full);
  }

  private append(entry: DeliveryAttempt): void {
    this.entries.push(entry);
    if (this.entries.length > DELIVERY_LOG_SIZE)
      this.entries.splice(0, this.entries.length - DELIVERY_LOG_SIZE);
  }
}
