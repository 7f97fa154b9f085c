import { quotaRemaining, quotaResetDelay, type HeaderLookup } from '../http/classify';
import type { CallSettings } from './settings';

interface Bucket {
  /** Earliest time the next call may start (GCRA's theoretical arrival time). */
  nextAt: number;
}

interface Quota {
  remaining: number;
  resetAt: number;
}

/**
 * Pacing for provider calls in one worker process: a per-connection budget (calls per second) and the
 * provider's own quota as its response headers report it. The cross-worker limit is the server-side
 * rate on the provider's task queue; this only adds what a single process can know.
 */
export class CallBudgets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly quotas = new Map<string, Quota>();

  constructor(private readonly now: () => number = Date.now) {}

  private key(providerId: string, connectionId: string | undefined): string {
    return `${providerId}\u0000${connectionId ?? ''}`;
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
  ): { delayMs: number; reason?: 'connection_budget' | 'provider_quota' } {
    const now = this.now();
    const key = this.key(providerId, connectionId);
    const quota = this.quotas.get(key);
    const slowDownBelow = settings.rateLimit?.quotaHeaders?.slowDownBelow ?? 0;
    if (quota && quota.remaining <= slowDownBelow && quota.resetAt > now) {
      return { delayMs: quota.resetAt - now, reason: 'provider_quota' };
    }
    const perSecond = settings.rateLimit?.perConnectionPerSecond;
    if (!perSecond || !connectionId) return { delayMs: 0 };
    const interval = 1_000 / perSecond;
    const bucket = this.buckets.get(key) ?? { nextAt: now };
    const startAt = Math.max(now, bucket.nextAt);
    const delayMs = startAt - now;
    if (delayMs <= reserveUpTo) {
      bucket.nextAt = startAt + interval;
      this.buckets.set(key, bucket);
    }
    return delayMs > 0 ? { delayMs, reason: 'connection_budget' } : { delayMs: 0 };
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
