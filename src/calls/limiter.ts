import type { CallSettings } from './settings';

/** A provider's next turn as the shared limiter hands it out. */
export interface Turn {
  /** How long to wait before calling, in ms (0: now). */
  waitMs: number;
  /** When the turn is, on this process's clock (`localNow()`): a caller past it by much is late. */
  at: number;
  /** The turn is reserved for this caller; when false (the wait was over the bound) nothing was reserved. */
  granted: boolean;
}

/**
 * Turns at a provider shared by every worker process (a GCRA schedule: turns `intervalMs` apart, the next
 * one never before now). One call to `take` is one atomic reservation wherever the state is held.
 */
export interface SharedRateLimiter {
  /** What backs it, for logs and docs (`postgres`). */
  readonly kind: string;
  /** Reserves the provider's next turn if it comes within `reserveUpToMs`; reports the wait either way. */
  take(key: string, intervalMs: number, reserveUpToMs: number): Promise<Turn>;
  close(): Promise<void>;
}

/** The shared limiter a worker paces strict providers with, and the share of `perSecond` it hands out. */
export interface SharedPacing {
  limiter: SharedRateLimiter;
  /** Turns per second = `perSecond` × share; the rest absorbs jitter between a turn and the request's arrival. */
  share: number;
}

/** The spacing between a strict provider's turns under the shared limiter, or undefined when it has none. */
export function sharedTurnInterval(settings: CallSettings, share: number): number | undefined {
  const rateLimit = settings.rateLimit;
  if (!rateLimit?.perSecond || rateLimit.mode !== 'strict') return undefined;
  return 1_000 / (rateLimit.perSecond * share);
}

/**
 * How late (ms) a caller may be for its turn and still use it. Turns `1/share` of a second apart leave
 * `1/share - 1` seconds of slack for any two calls `perSecond` turns apart; half of it may go to a caller
 * held up before sending (a busy event loop, a slow round trip), the other half to the request on its way.
 */
export function lateTurnToleranceMs(share: number): number {
  return Math.max(5, (1_000 / share - 1_000) / 2);
}
