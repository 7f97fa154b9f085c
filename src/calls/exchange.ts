import type { Dispatcher } from 'undici';
import { classifyError, classifyResponse, type RetryDecision } from '../http/classify';
import { destinationRefusal } from '../network/destinations';
import type { Outbound } from '../network/outbound';
import type { ProviderRequest } from '../shared/calls';
import type { CallAttempt } from './attempt';
import type { CallBudgets } from './budget';
import { ResponseTooLargeError, sendRequest, type OutgoingRequest, type RawResponse } from './request';
import type { CallProvider } from './settings';

/** Outcome of one exchange as the breaker sees it: a provider failure counts, a 4xx or 429 does not. */
export interface Exchange {
  countsAsFailure: boolean;
  decision: RetryDecision;
  response?: RawResponse;
  error?: unknown;
}

export interface ExchangeDeps {
  budgets: CallBudgets;
  now: () => number;
  dispatcherFor: (provider: CallProvider) => Dispatcher;
}

/**
 * One checked undici agent per provider, made on first use: each provider's connect timeout and pool its
 * own, every connection through the outbound network policy.
 */
export function createDispatchers(outbound: Outbound): (provider: CallProvider) => Dispatcher {
  const dispatchers = new Map<string, Dispatcher>();
  return (provider) => {
    let dispatcher = dispatchers.get(provider.id);
    if (!dispatcher) {
      dispatcher = outbound.agent({ connectTimeoutMs: provider.calls.timeouts.connectMs });
      dispatchers.set(provider.id, dispatcher);
    }
    return dispatcher;
  };
}

/** The HTTP request for a provider request: accepts JSON, the caller's headers, credentials last. */
export function outgoingRequest(
  url: URL,
  request: ProviderRequest,
  authHeaders: Record<string, string>,
): OutgoingRequest {
  const headers: Record<string, string> = { accept: 'application/json', ...request.headers, ...authHeaders };
  let body = request.body;
  if (request.json !== undefined) {
    body = JSON.stringify(request.json);
    headers['content-type'] ??= 'application/json';
  }
  return { method: request.method, url, headers, body };
}

/** One HTTP exchange, classified, its reported quota noted; throws only for the activity's cancellation. */
export async function exchange(
  deps: ExchangeDeps,
  call: CallAttempt,
  url: URL,
  authHeaders: Record<string, string>,
): Promise<Exchange> {
  const { provider, input, cancellation } = call;
  const settings = provider.calls;
  const outgoing = outgoingRequest(url, input.request, authHeaders);
  const { connectMs, headersMs, bodyMs } = settings.timeouts;
  const signal = AbortSignal.any([cancellation, AbortSignal.timeout(connectMs + headersMs + bodyMs)]);
  // The provider's failures are results, not exceptions: the breaker counts them from `countsAsFailure`.
  try {
    const response = await sendRequest(outgoing, settings, signal, deps.dispatcherFor(provider));
    const header = (name: string) => response.headers[name];
    deps.budgets.noteResponse(provider.id, input.connectionId, settings, header);
    const decision = classifyResponse(response.status, header, deps.now(), settings.rateLimit?.quotaHeaders);
    const countsAsFailure = decision.reason === 'server_error' || decision.reason === 'request_timeout';
    return { countsAsFailure, decision, response };
  } catch (error) {
    if (cancellation.aborted) throw cancellation.reason;
    if (error instanceof ResponseTooLargeError) {
      return { countsAsFailure: false, decision: { retry: false, reason: 'client_error' }, error };
    }
    // A refused destination is Junction's policy, not the provider failing: final, and not the breaker's.
    const refusal = destinationRefusal(error);
    if (refusal) {
      return { countsAsFailure: false, decision: { retry: false, reason: 'client_error' }, error: refusal };
    }
    return { countsAsFailure: true, decision: classifyError(error), error };
  }
}
