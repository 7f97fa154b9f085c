import { status } from '@grpc/grpc-js';
import { WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { TemporalError } from '../shared/errors';
import { JUNCTION_SEARCH_ATTRIBUTES } from '../shared/searchAttributes';
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

/**
 * How Temporal refuses a call that names an unregistered attribute: a start, a visibility query on the dev
 * server (SQLite), one on a cluster with PostgreSQL visibility.
 */
const UNREGISTERED_ATTRIBUTE = [
  /no mapping defined for search attribute (\w+)/,
  /column name '(\w+)' is not a valid search attribute/,
  /invalid search attribute: (\w+)/,
];

/**
 * The Junction search attribute the namespace lacks, when `error` is Temporal refusing a call because of it
 * (the namespace was not prepared with `junction temporal setup`); undefined for any other error.
 */
export function missingSearchAttribute(error: unknown): string | undefined {
  if (grpcStatusOf(error) !== status.INVALID_ARGUMENT) return undefined;
  for (let current: unknown = error, depth = 0; current && depth < 8; depth++) {
    const message = (current as { message?: unknown }).message;
    for (const pattern of UNREGISTERED_ATTRIBUTE) {
      const name = typeof message === 'string' ? pattern.exec(message)?.[1] : undefined;
      if (name && JUNCTION_SEARCH_ATTRIBUTES.some((key) => key.name === name)) return name;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** How long a caller refused for an unprepared namespace should wait before trying again. */
const SETUP_RETRY_AFTER_MS = 60_000;

/**
 * `error` as Junction's `temporal_not_set_up` when it is Temporal refusing a call for want of one of
 * Junction's search attributes (nothing was started or read): what to run, instead of Temporal's message.
 */
export function namespaceNotSetUp(error: unknown): TemporalError | undefined {
  const attribute = missingSearchAttribute(error);
  if (!attribute) return undefined;
  return new TemporalError(
    'temporal_not_set_up',
    `the Temporal namespace has no search attribute "${attribute}", which Junction needs: run ` +
      '`junction temporal setup` against it (with the same TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE)',
    { cause: error, retryable: true, retryAfterMs: SETUP_RETRY_AFTER_MS },
  );
}
