import { quotaRemaining, quotaResetDelay, type HeaderLookup } from '../http/classify';
import { taskQueueRate, type CallSettings } from './settings';

interface Bucket {
  /** Earliest time the next call may start (GCRA's theoretical arrival time). */
  nextAt: number;
}

interface Quota {
  remaining: number;
  resetAt: number;
}

/** Why a call waits: the provider's strict spacing, the connection's budget, or the reported quota. */
export type PaceReason = 'provider_rate' | 'connection_budget' | 'provider_quota';

/** How long the next call must wait (0: go now), and why. */
export interface Pace {
  delayMs: number;
  reason?: PaceReason;
}

/**
 * Pacing for provider calls in one worker process: a per-connection budget (calls per second) and the
 * provider's own quota as its response headers report it. The cross-worker limit is the shared limiter
 * (`limiter.ts`) or the server-side rate on the provider's task queue; this only adds what a single process
 * can know. `providerSpacing: false` leaves strict providers' spacing to the shared limiter.
 */
export class CallBudgets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly quotas = new Map<string, Quota>();
  private readonly providerSpacing: boolean;

  constructor(
    private readonly now: () => number = Date.now,
    options: { providerSpacing?: boolean } = {},
  ) {
    this.providerSpacing = options.providerSpacing ?? true;
  }

  private key(providerId: string, connectionId: string | undefined): string {
    return `${providerId}\u0000${connectionId ?? '*'}`;
  }

  /**
   * How long the next call must wait, in ms (0: go now). A wait up to `reserveUpTo` is reserved (the
   * caller is expected to wait it out); a longer one is not, so the caller can retry later instead.
   */
  delayBefore(
    providerId: string,
    connectionId: string | undefined,
    settings: CallSettings,
    reserveUpTo: number,
  ): Pace {
    const now = this.now();
    const quota = this.quotas.get(this.key(providerId, connectionId));
    const slowDownBelow = settings.rateLimit?.quotaHeaders?.slowDownBelow ?? 0;
    if (quota && quota.remaining <= slowDownBelow && quota.resetAt > now) {
      return { delayMs: quota.resetAt - now, reason: 'provider_quota' };
    }
    // Slots this call must fit: the provider's strict spacing (so calls a stalled worker held back do not
    // reach the provider in a bunch) and the connection's own budget.
    const slots: Array<{ key: string; interval: number; reason: 'provider_rate' | 'connection_budget' }> = [];
    const strict = this.providerSpacing && settings.rateLimit?.mode === 'strict';
    const providerRate = strict ? taskQueueRate(settings) : undefined;
    if (providerRate)
      slots.push({
        key: this.key(providerId, undefined),
        interval: 1_000 / providerRate,
        reason: 'provider_rate',
      });
    const perConnection = settings.rateLimit?.perConnectionPerSecond;
    if (perConnection && connectionId) {
      slots.push({
        key: this.key(providerId, connectionId),
        interval: 1_000 / perConnection,
        reason: 'connection_budget',
      });
    }
    let startAt = now;
    let reason: 'provider_rate' | 'connection_budget' | undefined;
    for (const slot of slots) {
      const nextAt = this.buckets.get(slot.key)?.nextAt ?? now;
      if (nextAt > startAt) {
        startAt = nextAt;
        reason = slot.reason;
      }
    }
    const delayMs = startAt - now;
    if (delayMs <= reserveUpTo) {
      for (const slot of slots) this.buckets.set(slot.key, { nextAt: startAt + slot.interval });
    }
    return delayMs > 0 ? { delayMs, reason } : { delayMs: 0 };
  }

  /** Records the quota a response reports, so the calls after it can slow down before a 429. */
  noteResponse(
    providerId: string,
    connectionId: string | undefined,
    settings: CallSettings,
    header: HeaderLookup,
  ) {
    const quotaHeaders = settings.rateLimit?.quotaHeaders;
    if (!quotaHeaders) return;
    const remaining = quotaRemaining(quotaHeaders, header);
    const resetIn = quotaResetDelay(quotaHeaders, header, this.now());
    if (remaining === undefined || resetIn === undefined) return;
    this.quotas.set(this.key(providerId, connectionId), { remaining, resetAt: this.now() + resetIn });
  }
}
