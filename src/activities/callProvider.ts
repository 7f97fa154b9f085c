import { Context } from '@temporalio/activity';
import { providerAnswer } from '../calls/answer';
import type { CallAttempt } from '../calls/attempt';
import { authForCall, sendWithRefresh, type CallCredentials } from '../calls/auth';
import type { CallBudgets } from '../calls/budget';
import { CircuitOpenError, type ProviderBreakers } from '../calls/breaker';
import { createDispatchers, exchange, type Exchange, type ExchangeDeps } from '../calls/exchange';
import { callFailure, exchangeFailure } from '../calls/failures';
import { recordAttempt, recordCircuitOpen, type CallMetrics } from '../calls/metrics';
import { paceCall } from '../calls/pacing';
import { ResponseTooLargeError } from '../calls/request';
import type { CallProvider } from '../calls/settings';
import { providerUrl } from '../calls/url';
import type { Logger } from '../logging/logger';
import type { CallProviderInput, ProviderResponse } from '../shared/calls';
import { ConnectionError, ProviderCallError } from '../shared/errors';
import { toApplicationFailure } from '../shared/failures';

export type { CallCredentials } from '../calls/auth';

export interface CallProviderDeps {
  findProvider(providerId: string): CallProvider | undefined;
  credentials?: CallCredentials;
  breakers: ProviderBreakers;
  budgets: CallBudgets;
  metrics?: CallMetrics;
  logger: Logger;
  /** Waits up to this long in the activity for the connection budget or quota reset; longer waits retry later. */
  maxInlineWaitMs?: number;
  now?: () => number;
}

/** The attempt's answer, or the failure it ends with; either is logged. */
function settle(
  call: CallAttempt,
  result: Exchange,
  apiBaseUrl: string,
  elapsedSeconds: number,
): ProviderResponse {
  const { decision, response, error } = result;
  if (error instanceof ResponseTooLargeError) {
    call.log.warn({ limit: error.limit }, 'response too large');
    throw callFailure('response_too_large', error.message, call.attempt);
  }
  if (decision.reason === 'ok' && response) {
    const elapsedMs = Math.round(elapsedSeconds * 1000);
    call.log.info({ status: response.status, elapsedMs }, 'provider call succeeded');
    return providerAnswer(response, call, apiBaseUrl);
  }
  const failure = exchangeFailure(call.provider.id, call.input.request, result, call.attempt);
  call.log.warn(
    { status: response?.status, retry: decision.retry, delayMs: decision.delayMs },
    failure.message,
  );
  throw failure;
}

/** The `callProvider` activity: one attempt at one provider API call; Temporal owns the retrying. */
export function createCallProviderActivity(deps: CallProviderDeps) {
  const now = deps.now ?? Date.now;
  const maxInlineWaitMs = deps.maxInlineWaitMs ?? 2_000;
  const exchangeDeps: ExchangeDeps = { budgets: deps.budgets, now, dispatcherFor: createDispatchers() };

  /** One exchange through the provider's breaker; an open one fails fast, retryable when it half-opens. */
  const guarded = async (call: CallAttempt, url: URL, headers: Record<string, string>) => {
    const { provider } = call;
    try {
      return await deps.breakers.run(provider.id, provider.calls.breaker, () =>
        exchange(exchangeDeps, call, url, headers),
      );
    } catch (error) {
      if (!(error instanceof CircuitOpenError)) throw error;
      recordCircuitOpen(deps.metrics, provider.id);
      call.log.warn({ retryInMs: error.retryInMs }, 'circuit open: failing fast');
      throw callFailure('circuit_open', error.message, call.attempt, {
        retry: true,
        delayMs: error.retryInMs,
      });
    }
  };

  // Pacing, the connection's credentials, the exchange through the breaker (a 401 refreshes once), then the
  // answer or a ProviderCallError, which leaves as an ApplicationFailure: non-retryable, or with its delay.
  const attempt = async (call: CallAttempt): Promise<ProviderResponse> => {
    await paceCall(deps, call, maxInlineWaitMs);
    const auth = await authForCall(deps.credentials, call);
    const url = providerUrl(auth.apiBaseUrl, call.input.request);
    const started = now();
    const result = await sendWithRefresh(deps, call, auth.headers, (headers) => guarded(call, url, headers));
    const elapsedSeconds = (now() - started) / 1_000;
    recordAttempt(deps.metrics, call.provider.id, {
      outcome: result.decision.reason,
      status: result.response?.status,
      elapsedSeconds,
      attempt: call.attempt,
    });
    return settle(call, result, auth.apiBaseUrl, elapsedSeconds);
  };

  return async function callProvider(input: CallProviderInput): Promise<ProviderResponse> {
    const context = Context.current();
    const provider = deps.findProvider(input.providerId);
    if (!provider) {
      throw toApplicationFailure(
        new ConnectionError('unknown_provider', `no provider "${input.providerId}" is configured`),
      );
    }
    const call: CallAttempt = {
      provider,
      input,
      attempt: context.info.attempt,
      cancellation: context.cancellationSignal,
      log: deps.logger.child({
        workflowId: context.info.workflowExecution?.workflowId,
        providerId: provider.id,
        connectionId: input.connectionId,
        method: input.request.method,
        path: input.request.path,
        attempt: context.info.attempt,
      }),
    };
    try {
      return await attempt(call);
    } catch (error) {
      // Junction's own call failures leave as ApplicationFailures; anything else (a credentials store that is
      // down, the activity's cancellation) leaves as it came, for Temporal to retry or cancel.
      throw error instanceof ProviderCallError ? toApplicationFailure(error) : error;
    }
  };
}
