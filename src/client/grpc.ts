import { status } from '@grpc/grpc-js';
import { isGrpcServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';

/** The gRPC status code behind a Temporal client error (it wraps the service error as `cause`), if any. */
export function grpcStatusOf(error: unknown): number | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 8; depth++) {
    if (isGrpcServiceError(current)) return current.code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Answers that say "not now" rather than "no": the server is busy (RESOURCE_EXHAUSTED, e.g. Temporal's limit
 * on concurrent updates of one workflow), an update was aborted and may be sent again (UNAVAILABLE), or the
 * call ran out of time (DEADLINE_EXCEEDED, e.g. a query no worker answered in time).
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  const code = grpcStatusOf(error);
  return (
    code === status.RESOURCE_EXHAUSTED || code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED
  );
}

/** The workflow's task is failing (the server answers WorkflowNotReady): no query or update can be served. */
export function isWorkflowNotReady(error: unknown): boolean {
  return grpcStatusOf(error) === status.FAILED_PRECONDITION;
}

export interface TransientRetryOptions {
  /** Give up (rethrow the last error) after this long. Default 60 s. */
  deadlineMs?: number;
  /** First pause; doubled each time up to `maxDelayMs`, with full jitter so a fleet does not retry in step. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  now?: () => number;
}

/**
 * Runs `call` again while it fails transiently. Only safe for calls that may be repeated: queries, describes,
 * and updates sent with a fixed update id (the server folds a repeat into the same update).
 */
export async function retryTransient<T>(
  call: () => Promise<T>,
  options: TransientRetryOptions = {},
): Promise<T> {
  const now = options.now ?? Date.now;
  const deadline = now() + (options.deadlineMs ?? 60_000);
  const maxDelayMs = options.maxDelayMs ?? 1_000;
  let delay = options.initialDelayMs ?? 50;
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (!isTransient(error) || now() + delay > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * delay));
      delay = Math.min(delay * 2, maxDelayMs);
    }
  }
}
