import { setTimeout as delay } from 'node:timers/promises';
import type { CallAttempt } from './attempt';
import type { CallBudgets, Pace } from './budget';
import { callFailure } from './failures';
import type { SharedPacing } from './limiter';
import type { CallMetrics } from './metrics';

/** What a call does about its pacing delay. */
export type PacingStep =
  | { action: 'go' }
  | { action: 'wait'; delayMs: number; reason?: Pace['reason'] }
  | { action: 'retry_later'; delayMs: number; reason?: Pace['reason'] };

/** Go now, wait the delay out in the activity (up to `maxInlineWaitMs`), or retry after it from Temporal. */
export function pacingStep(pace: Pace, maxInlineWaitMs: number): PacingStep {
  if (pace.delayMs <= 0) return { action: 'go' };
  // A long wait goes back to Temporal as a retry with that delay, so it does not hold a worker slot.
  const action = pace.delayMs > maxInlineWaitMs ? 'retry_later' : 'wait';
  return { action, delayMs: pace.delayMs, reason: pace.reason };
}

/** Waits out a pacing delay; cancellation of the activity ends the wait with the cancellation itself. */
async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch (error) {
    throw signal.aborted ? signal.reason : error;
  }
}

export interface PacingDeps {
  budgets: CallBudgets;
  /** Strict providers take turns from it, across every worker process (see `sharedTurn.ts`). */
  sharedPacing?: SharedPacing;
  metrics?: CallMetrics;
}

/**
 * Paces an attempt within this process by budget, reported quota and (without a shared limiter) the
 * provider's strict spacing; a long wait is a retryable `rate_limited`.
 */
export async function paceCall(deps: PacingDeps, call: CallAttempt, maxInlineWaitMs: number): Promise<void> {
  const { provider, input } = call;
  const pace = deps.budgets.delayBefore(provider.id, input.connectionId, provider.calls, maxInlineWaitMs);
  await takeStep(deps, call, pacingStep(pace, maxInlineWaitMs));
}

/** Goes, waits, or ends the attempt with a retryable `rate_limited` carrying the delay. */
export async function takeStep(deps: PacingDeps, call: CallAttempt, step: PacingStep): Promise<void> {
  const { provider } = call;
  if (step.action === 'go') return;
  deps.metrics?.rateLimitWaits.inc({ provider: provider.id, reason: step.reason ?? 'unknown' });
  if (step.action === 'retry_later') {
    call.log.info(
      { delayMs: step.delayMs, reason: step.reason },
      'pacing: retrying after the budget frees up',
    );
    throw callFailure('rate_limited', `pacing calls to "${provider.id}" (${step.reason})`, call.attempt, {
      retry: true,
      delayMs: step.delayMs,
    });
  }
  await pause(step.delayMs, call.cancellation);
}
