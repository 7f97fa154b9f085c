import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { status } from '@grpc/grpc-js';
import { ConnectionError } from '../shared/errors';
import { readFailure } from '../shared/failures';
import { grpcStatusOf } from './grpc';

/**
 * Maps Temporal's errors for a connection onto Junction's codes: a workflow that does not exist or no longer
 * runs (gRPC NOT_FOUND) is `connection_not_found`; a failed update carries the workflow's own code.
 */
export function toConnectionError(error: unknown, connectionId: string): unknown {
  if (error instanceof WorkflowNotFoundError || grpcStatusOf(error) === status.NOT_FOUND) {
    return new ConnectionError('connection_not_found', `no running connection "${connectionId}"`, {
      cause: error,
    });
  }
  if (error instanceof WorkflowUpdateFailedError) return readFailure(error, 'refresh_failed');
  return error;
}

/**
 * The connection's workflow cannot run its code: its workflow task fails on every attempt (a bug, or a
 * change to workflow code that does not replay its history). Nothing is lost, but no credentials are served
 * until an operator repairs it (see the README: a stuck connection).
 */
export class ConnectionStuckError extends ConnectionError {
  constructor(
    readonly connectionId: string,
    readonly workflowTaskAttempt: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      'connection_stuck',
      `connection "${connectionId}" is stuck: its workflow task keeps failing${
        workflowTaskAttempt ? ` (attempt ${workflowTaskAttempt})` : ''
      }; see the worker log and the workflow in the Temporal UI`,
      {
        ...options,
        retryable: true,
        retryAfterMs: 60_000,
        details: { connectionId, state: 'stuck', workflowTaskAttempt },
      },
    );
  }
}

/** Why a connection start was refused: it already exists (running). */
export class ConnectionExistsError extends ConnectionError {
  constructor(connectionId: string, options?: { cause?: unknown }) {
    super(
      'connection_exists',
      `connection "${connectionId}" already exists; delete it first or reconnect it`,
      options,
    );
  }
}
