import type { RetryDecision } from '../http/classify';
import type { CallFailureDetails, CallFailureType, ProviderRequest } from '../shared/calls';
import { ProviderCallError } from '../shared/errors';
import { readBody, type RawResponse } from './request';

type FailedReason = Exclude<RetryDecision['reason'], 'ok'>;

const FAILURE_TYPES: Record<FailedReason, CallFailureType> = {
  client_error: 'provider_rejected',
  unauthorized: 'provider_unauthorized',
  server_error: 'provider_error',
  throttled: 'provider_throttled',
  request_timeout: 'provider_timeout',
  timeout: 'provider_timeout',
  network_error: 'provider_unreachable',
};

/** A provider-call failure with the attempt in its details; a delay is kept only on a retryable one. */
export function callFailure(
  code: CallFailureType,
  message: string,
  attempt: number,
  options: { retry?: boolean; delayMs?: number } = {},
): ProviderCallError {
  const retry = options.retry ?? false;
  return new ProviderCallError(code, message, {
    retryable: retry,
    retryAfterMs: retry ? options.delayMs : undefined,
    details: { attempt } satisfies CallFailureDetails,
  });
}

/** The failure for an unsuccessful exchange: retryable with the peer's delay, or final with its body. */
export function exchangeFailure(
  providerId: string,
  request: ProviderRequest,
  outcome: { decision: RetryDecision; response?: RawResponse },
  attempt: number,
): ProviderCallError {
  const { decision, response } = outcome;
  const status = response?.status;
  // Only a failed outcome gets here: an 'ok' one always has a response and is answered instead.
  const code = FAILURE_TYPES[decision.reason as FailedReason];
  const message =
    status !== undefined
      ? `${providerId} answered HTTP ${status} to ${request.method} ${request.path}`
      : `${providerId} could not be reached (${decision.reason === 'timeout' ? 'timed out' : 'network error'})`;
  return new ProviderCallError(code, message, {
    retryable: decision.retry,
    retryAfterMs: decision.retry ? decision.delayMs : undefined,
    details: {
      status,
      attempt,
      body: response && !decision.retry ? readBody(response) : undefined,
    } satisfies CallFailureDetails,
  });
}
