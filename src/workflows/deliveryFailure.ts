import { readFailure } from '../shared/failures';
import type { FailureRecord } from '../shared/webhooks';

/** What a failed delivery activity tells the record: a stable code, a message, the status and attempts. */
export function describeFailure(error: unknown): { error: FailureRecord; attempt: number | undefined } {
  const failure = readFailure(error, 'delivery_failed');
  const { status, attempt } = failure.details;
  return {
    error: {
      code: failure.code,
      message: failure.message,
      ...(typeof status === 'number' ? { status } : {}),
    },
    attempt: typeof attempt === 'number' ? attempt : undefined,
  };
}
