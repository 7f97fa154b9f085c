import { isGrpcServiceError } from '@temporalio/client';

/** gRPC status codes: CANCELLED 1, DEADLINE_EXCEEDED 4, RESOURCE_EXHAUSTED 8, UNAVAILABLE 14. */
const UNAVAILABLE_CODES = new Set<number>([1, 4, 8, 14]);

/**
 * Whether an error means Temporal could not be reached (or did not answer in time), so the caller should
 * try again later: the event was not stored, and must not be acknowledged.
 */
export function isTemporalUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 8; depth++) {
    if (isGrpcServiceError(current) && UNAVAILABLE_CODES.has(current.code)) return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ETIMEDOUT|ENOTFOUND)$/.test(code))
      return true;
    const message = (current as { message?: unknown }).message;
    if (
      typeof message === 'string' &&
      /Failed to connect|transport error|Connection refused|DEADLINE_EXCEEDED|UNAVAILABLE/i.test(message)
    ) {
      return true;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
