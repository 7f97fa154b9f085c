import { Context } from '@temporalio/activity';
import {
  createProviderCaller,
  type CallContext,
  type ProviderCaller,
  type ProviderCallerDeps,
} from '../calls/caller';
import type { CallProviderInput, ProviderResponse } from '../shared/calls';
import { ConnectionError, DestinationError, ProviderCallError } from '../shared/errors';
import { toApplicationFailure } from '../shared/failures';

export type { CallCredentials } from '../calls/auth';
export type CallProviderDeps = ProviderCallerDeps;

/** The running activity's attempt, cancellation and workflow, as the provider-call path needs them. */
export function activityCallContext(): CallContext {
  const info = Context.current().info;
  return {
    attempt: info.attempt,
    cancellation: Context.current().cancellationSignal,
    workflowId: info.workflowExecution?.workflowId,
  };
}

/**
 * A call's own failures (a refused destination and an unknown provider too) leave an activity as
 * ApplicationFailures; anything else (a credentials store that is down, the activity's cancellation) leaves
 * as it came, for Temporal to retry or cancel.
 */
export function asActivityFailure(error: unknown): unknown {
  const own =
    error instanceof ProviderCallError ||
    error instanceof DestinationError ||
    (error instanceof ConnectionError && error.code === 'unknown_provider');
  return own ? toApplicationFailure(error) : error;
}

/** The `callProvider` activity: one attempt at one provider API call; Temporal owns the retrying. */
export function createCallProviderActivity(deps: CallProviderDeps) {
  return callProviderActivity(createProviderCaller(deps));
}

/** The `callProvider` activity over a provider caller that others (sync pages) share. */
export function callProviderActivity(call: ProviderCaller) {
  return async function callProvider(input: CallProviderInput): Promise<ProviderResponse> {
    try {
      return await call(input, activityCallContext());
    } catch (error) {
      throw asActivityFailure(error);
    }
  };
}
