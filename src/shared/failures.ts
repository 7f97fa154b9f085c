import { ApplicationFailure, TimeoutFailure } from '@temporalio/common';
import { isJunctionCode, junctionError, JunctionError, type JunctionCode } from './errors';

/**
 * A retryable failure is always retried: a provider's `Retry-After: 0` (or a date already past) becomes this
 * small delay, never a zero that Temporal would not retry after.
 */
export const MIN_RETRY_DELAY_MS = 1_000;

/**
 * The one way an error leaves an activity: an ApplicationFailure whose `type` is the code, non-retryable unless
 * the error says it may succeed later, with its delay and details. Workflows branch on `type`, never on
 * classes.
 */
export function toApplicationFailure(error: JunctionError): ApplicationFailure {
  // A delay that is not a finite number is no delay (the retry policy's backoff applies): the SDK cannot
  // encode NaN or Infinity, and the failure would not reach the server as itself.
  const delay =
    error.retryable && error.retryAfterMs !== undefined && Number.isFinite(error.retryAfterMs)
      ? Math.max(MIN_RETRY_DELAY_MS, Math.round(error.retryAfterMs))
      : undefined;
  return ApplicationFailure.create({
    type: error.code,
    message: error.message,
    nonRetryable: !error.retryable,
    nextRetryDelay: delay,
    details: [error.details],
  });
}

/**
 * The one way a failure is read back, wherever it surfaces (an activity failure in a workflow, a failed update,
 * workflow or activity at a client): the first ApplicationFailure in the cause chain becomes the JunctionError
 * of its code, its first detail the details. A timeout becomes `activity_timeout`; anything else, or a type
 * that is not one of Junction's codes, the `fallback` code with the failure's message.
 */
export function readFailure(error: unknown, fallback: JunctionCode): JunctionError {
  if (error instanceof JunctionError) return error;
  let message: string | undefined;
  for (let current: unknown = error, depth = 0; current && depth < 10; depth++) {
    if (current instanceof ApplicationFailure) {
      const details = current.details?.[0];
      return junctionError(isJunctionCode(current.type) ? current.type : fallback, current.message, {
        cause: error,
        retryable: !current.nonRetryable,
        details: details && typeof details === 'object' ? (details as Record<string, unknown>) : {},
      });
    }
    if (current instanceof TimeoutFailure) {
      return junctionError('activity_timeout', `the attempt timed out (${current.timeoutType})`, {
        cause: error,
        retryable: true,
      });
    }
    // The innermost message says what happened; the wrappers around it only say where.
    message = current instanceof Error ? current.message : typeof current === 'string' ? current : message;
    current = (current as { cause?: unknown }).cause;
  }
  return junctionError(fallback, message ?? 'unknown failure', { cause: error });
}
