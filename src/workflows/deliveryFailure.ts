import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';
import type { DeliveryError, ForwardFailureDetails } from '../shared/webhooks';

/** What a failed delivery activity tells the record: a stable code, a message, the status and attempts. */
export function describeFailure(
  error: unknown,
  fallbackAttempts: number,
): { error: DeliveryError; attempts: number } {
  if (error instanceof ActivityFailure) {
    const cause = error.cause;
    if (cause instanceof ApplicationFailure) {
      const details = cause.details?.[0] as ForwardFailureDetails | undefined;
      return {
        error: { code: cause.type ?? 'delivery_failed', message: cause.message, status: details?.status },
        attempts: details?.attempt ?? fallbackAttempts,
      };
    }
    if (cause instanceof TimeoutFailure) {
      return {
        error: { code: 'activity_timeout', message: `the delivery attempt timed out (${cause.timeoutType})` },
        attempts: fallbackAttempts,
      };
    }
    return {
      error: { code: 'delivery_failed', message: cause?.message ?? error.message },
      attempts: fallbackAttempts,
    };
  }
  return {
    error: { code: 'delivery_failed', message: error instanceof Error ? error.message : String(error) },
    attempts: fallbackAttempts,
  };
}
