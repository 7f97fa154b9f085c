import type { Logger } from '../logging/logger';
import type { Outbound } from '../network/outbound';
import type { CallProviderInput, ProviderResponse } from '../shared/calls';
import { ConnectionError, DestinationError } from '../shared/errors';
import { providerAnswer } from './answer';
import type { CallAttempt } from './attempt';
import { authForCall, sendWithRefresh, type CallCredentials } from './auth';
import type { CallBudgets } from './budget';
import { CircuitOpenError, type ProviderBreakers } from './breaker';
import { createDispatchers, exchange, type Exchange, type ExchangeDeps } from './exchange';
import { callFailure, exchangeFailure } from './failures';
import type { SharedPacing } from './limiter';
import { recordAttempt, recordCircuitOpen, type CallMetrics } from './metrics';
import { paceCall } from './pacing';
import { takeSharedTurn } from './sharedTurn';
import { ResponseTooLargeError } from './request';
import type { CallProvider } from './settings';
import { providerUrl } from './url';

export interface ProviderCallerDeps {
  findProvider(providerId: string): CallProvider | undefined;
  credentials?: CallCredentials;
  breakers: ProviderBreakers;
  budgets: CallBudgets;
  /** Strict providers' turns across every worker process (PostgreSQL); without it the task queue paces them. */
  sharedPacing?: SharedPacing;
  metrics?: CallMetrics;
  logger: Logger;
  /** Every provider call connects through the outbound network policy. */
  outbound: Outbound;
  /** Waits up to this long in the activity for the connection budget or quota reset; longer waits retry later. */
  maxInlineWaitMs?: number;
  now?: () => number;
}

/** Where one call runs: its activity's attempt number, cancellation and workflow. */
export interface CallContext {
  attempt: number;
  cancellation: AbortSignal;
  workflowId?: string;
}

/** One attempt at one provider API call; fails with a `ProviderCallError` (or a `ConnectionError`). */
export type ProviderCaller = (input: CallProviderInput, context: CallContext) => Promise<ProviderResponse>;

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
  if (error instanceof DestinationError) {
    call.log.warn({ ...error.details, code: error.code }, error.message);
    throw new DestinationError(error.code, error.message, {
      cause: error,
      details: { ...error.details, attempt: call.attempt },
    });
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

/**
 * The provider-call path every caller shares (the `callProvider` activity, sync pages): pacing, the
 * connection's credentials, the exchange through the provider's breaker (a 401 refreshes once), then the
 * answer or a `ProviderCallError` carrying the retry decision.
 */
export function createProviderCaller(deps: ProviderCallerDeps): ProviderCaller {
  const now = deps.now ?? Date.now;
  const maxInlineWaitMs = deps.maxInlineWaitMs ?? 2_000;
  const exchangeDeps: ExchangeDeps = {
    budgets: deps.budgets,
    now,
    dispatcherFor: createDispatchers(deps.outbound),
  };

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

  const attempt = async (call: CallAttempt): Promise<ProviderResponse> => {
    await paceCall(deps, call, maxInlineWaitMs);
    const auth = await authForCall(deps.credentials, call);
    const url = providerUrl(auth.apiBaseUrl, call.input.request);
    await takeSharedTurn(deps, call, maxInlineWaitMs);
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

  return async (input, context) => {
    const provider = deps.findProvider(input.providerId);
    if (!provider) {
      throw new ConnectionError('unknown_provider', `no provider "${input.providerId}" is configured`);
    }
    return attempt({
      provider,
      input,
      attempt: context.attempt,
      cancellation: context.cancellation,
      log: deps.logger.child({
        workflowId: context.workflowId,
        providerId: provider.id,
        connectionId: input.connectionId,
        method: input.request.method,
        path: input.request.path,
        attempt: context.attempt,
      }),
    });
  };
}
