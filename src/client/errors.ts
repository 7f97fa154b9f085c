import { status } from '@grpc/grpc-js';
import { WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { grpcStatusOf } from './grpc';

/** Answers that mean the Temporal server could not be reached, or did not answer in time. */
const UNAVAILABLE = new Set<number>([
  status.CANCELLED,
  status.DEADLINE_EXCEEDED,
  status.RESOURCE_EXHAUSTED,
  status.UNAVAILABLE,
]);

/** Node's socket errors (by their documented `code`), for a request that never reached the server. */
const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ETIMEDOUT', 'ENOTFOUND']);

/**
 * Whether an error means Temporal could not be reached (or did not answer in time), so the caller should
 * try again later: the event was not stored, and must not be acknowledged.
 */
export function isTemporalUnavailable(error: unknown): boolean {
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  const code = grpcStatusOf(error);
  if (code !== undefined) return UNAVAILABLE.has(code);
  for (let current: unknown = error, depth = 0; current && depth < 8; depth++) {
    const socketCode = (current as NodeJS.ErrnoException).code;
    if (typeof socketCode === 'string' && SOCKET_ERRORS.has(socketCode)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
