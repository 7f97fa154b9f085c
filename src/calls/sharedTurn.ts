import type { CallAttempt } from './attempt';
import { localNow } from './clockOffset';
import { callFailure } from './failures';
import { lateTurnToleranceMs, sharedTurnInterval, type SharedPacing, type Turn } from './limiter';
import { takeStep, type PacingDeps, type PacingStep } from './pacing';

/** Turns a caller may find itself late for, one after another, before it retries the attempt later. */
const MAX_LATE_TURNS = 3;

/** One turn from the limiter; a limiter that cannot be reached is a retryable `rate_limited`. */
async function take(shared: SharedPacing, call: CallAttempt, intervalMs: number, reserveUpToMs: number) {
  try {
    return await shared.limiter.take(call.provider.id, intervalMs, reserveUpToMs);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    call.log.warn({ reason }, 'the shared rate limiter is unavailable: retrying the call later');
    const message = `no turn at "${call.provider.id}" (the shared rate limiter is unavailable)`;
    throw callFailure('rate_limited', message, call.attempt, { retry: true, delayMs: 1_000 });
  }
}

/** Go now, wait for the reserved turn, or (not reserved: too far off) retry when it would come. */
function turnStep(turn: Turn): PacingStep {
  if (turn.waitMs <= 0) return { action: 'go' };
  return { action: turn.granted ? 'wait' : 'retry_later', delayMs: turn.waitMs, reason: 'provider_rate' };
}

/**
 * Takes a strict provider's turn from the shared limiter and waits for it; called last before the request
 * goes out (after the credentials are at hand), so that little sits between the turn and the arrival. A
 * caller that finds itself late for its turn (its process was held up while waiting, or the round trip
 * was slow) gives the turn up and takes another: a late call bunched with the punctual ones after it is
 * what would put a one-second window at the provider over the limit.
 */
export async function takeSharedTurn(
  deps: PacingDeps,
  call: CallAttempt,
  maxInlineWaitMs: number,
): Promise<void> {
  const shared = deps.sharedPacing;
  const interval = shared && sharedTurnInterval(call.provider.calls, shared.share);
  if (!shared || !interval) return;
  const toleranceMs = lateTurnToleranceMs(shared.share);
  for (let late = 0; ; late++) {
    const turn = await take(shared, call, interval, maxInlineWaitMs);
    await takeStep(deps, call, turnStep(turn));
    const lateMs = localNow() - turn.at;
    if (lateMs <= toleranceMs) return;
    deps.metrics?.rateLimitWaits.inc({ provider: call.provider.id, reason: 'late_turn' });
    call.log.debug({ lateMs: Math.round(lateMs) }, 'pacing: late for the turn, taking another');
    if (late + 1 >= MAX_LATE_TURNS) {
      const message = `pacing calls to "${call.provider.id}" (late for ${MAX_LATE_TURNS} turns in a row)`;
      throw callFailure('rate_limited', message, call.attempt, { retry: true, delayMs: interval });
    }
  }
}
