import { setTimeout as delay } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { Agent, type Dispatcher } from 'undici';
import { CallBudgets } from '../calls/budget';
import { CircuitOpenError, ProviderBreakers } from '../calls/breaker';
import { nextPageRequest, pageItems } from '../calls/pagination';
import { ResponseTooLargeError, sendRequest, type RawResponse } from '../calls/request';
import type { CallProvider, CallSettings } from '../calls/settings';
import { classifyError, classifyResponse, type RetryDecision } from '../http/classify';
import type { Logger } from '../logging/logger';
import type { CallMetrics } from '../calls/metrics';
import { ConnectionError, JunctionError, ProviderCallError } from '../shared/errors';
import { toApplicationFailure } from '../shared/failures';
import type {
  CallFailureDetails,
  CallFailureType,
  CallProviderInput,
  ProviderRequest,
  ProviderResponse,
} from '../shared/calls';

/** Auth headers for a connection, and one forced refresh after the provider answers 401. */
export interface CallCredentials {
  authHeaders(
    connectionId: string,
  ): Promise<{ headers: Record<string, string>; apiBaseUrl?: string; providerId?: string }>;
  authHeadersAfterUnauthorized(
    connectionId: string,
    rejected: Record<string, string>,
  ): Promise<{ headers: Record<string, string>; apiBaseUrl?: string }>;
}

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

const FAILURE_TYPES: Record<Exclude<RetryDecision['reason'], 'ok'>, CallFailureType> = {
  client_error: 'provider_rejected',
  unauthorized: 'provider_unauthorized',
  server_error: 'provider_error',
  throttled: 'provider_throttled',
  request_timeout: 'provider_timeout',
  timeout: 'provider_timeout',
  network_error: 'provider_unreachable',
};

/** Outcome of one exchange as the breaker sees it: a provider failure counts, a 4xx or 429 does not. */
interface Exchange {
  countsAsFailure: boolean;
  decision: RetryDecision;
  response?: RawResponse;
  error?: unknown;
}

function buildUrl(apiBaseUrl: string, request: ProviderRequest): URL {
  if (!request.path.startsWith('/') || request.path.startsWith('//')) {
    throw toApplicationFailure(
      new ProviderCallError(
        'invalid_request',
        'request.path must be a path under the provider API base URL, starting with a single "/"',
      ),
    );
  }
  const base = new URL(apiBaseUrl);
  // Credentials go only to the provider's own origin: a path cannot change it.
  const url = new URL(base.pathname.replace(/\/$/, '') + request.path, base.origin);
  if (url.origin !== base.origin) {
    throw toApplicationFailure(
      new ProviderCallError('invalid_request', 'request.path leaves the provider origin'),
    );
  }
  for (const [name, value] of Object.entries(request.query ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(name, String(item));
  }
  return url;
}

function parseBody(response: RawResponse): unknown {
  const text = response.body.toString('utf8');
  if (/\bjson\b/i.test(response.headers['content-type'] ?? '') && text.length > 0) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

/** Connection states no retry can fix: the call fails at once and says why. */
const CONNECTION_GONE = new Set<string>(['needs_reauth', 'connection_deleted', 'connection_not_found']);

/** Gets a connection's credentials; a connection that needs a person (re-auth, deleted) fails for good. */
async function lookupCredentials<T>(lookup: () => Promise<T>): Promise<T> {
  try {
    return await lookup();
  } catch (error) {
    if (error instanceof JunctionError && CONNECTION_GONE.has(error.code)) {
      throw toApplicationFailure(
        new ProviderCallError('connection_unavailable', error.message, {
          cause: error,
          details: { reason: error.code },
        }),
      );
    }
    throw error;
  }
}

/** Waits out a pacing delay; cancellation of the activity ends the wait with the cancellation itself. */
async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch (error) {
    throw signal.aborted ? signal.reason : error;
  }
}

/**
 * The `callProvider` activity: one attempt at one provider API call. Auth comes from the connection, the
 * breaker fails fast while the provider is down, the per-connection budget and the provider's reported
 * quota pace calls, and the outcome becomes an ApplicationFailure (non-retryable, or with
 * `nextRetryDelay`) so Temporal does the retrying.
 */
export function createCallProviderActivity(deps: CallProviderDeps) {
  const now = deps.now ?? Date.now;
  const maxInlineWaitMs = deps.maxInlineWaitMs ?? 2_000;
  const dispatchers = new Map<string, Dispatcher>();
  const dispatcherFor = (provider: CallProvider): Dispatcher => {
    let dispatcher = dispatchers.get(provider.id);
    if (!dispatcher) {
      dispatcher = new Agent({ connect: { timeout: provider.calls.timeouts.connectMs } });
      dispatchers.set(provider.id, dispatcher);
    }
    return dispatcher;
  };

  return async function callProvider(input: CallProviderInput): Promise<ProviderResponse> {
    const context = Context.current();
    const attempt = context.info.attempt;
    const provider = deps.findProvider(input.providerId);
    if (!provider) {
      throw toApplicationFailure(
        new ConnectionError('unknown_provider', `no provider "${input.providerId}" is configured`),
      );
    }
    const settings: CallSettings = provider.calls;
    const log = deps.logger.child({
      workflowId: context.info.workflowExecution?.workflowId,
      providerId: provider.id,
      connectionId: input.connectionId,
      method: input.request.method,
      path: input.request.path,
      attempt,
    });
    const fail = (
      type: CallFailureType,
      message: string,
      options: { retry: boolean; delayMs?: number; details?: CallFailureDetails },
    ) =>
      toApplicationFailure(
        new ProviderCallError(type, message, {
          retryable: options.retry,
          retryAfterMs: options.retry ? options.delayMs : undefined,
          details: { ...(options.details ?? { attempt }) },
        }),
      );

    const pace = deps.budgets.delayBefore(provider.id, input.connectionId, settings, maxInlineWaitMs);
    if (pace.delayMs > 0) {
      deps.metrics?.rateLimitWaits.inc({ provider: provider.id, reason: pace.reason ?? 'unknown' });
      if (pace.delayMs > maxInlineWaitMs) {
        log.info(
          { delayMs: pace.delayMs, reason: pace.reason },
          'pacing: retrying after the budget frees up',
        );
        throw fail('rate_limited', `pacing calls to "${provider.id}" (${pace.reason})`, {
          retry: true,
          delayMs: pace.delayMs,
        });
      }
      await pause(pace.delayMs, context.cancellationSignal);
    }

    let auth: Record<string, string> = {};
    // Where the provider's API is: its declaration, or the connection's own (Salesforce's instance URL).
    let baseUrl = provider.apiBaseUrl;
    if (input.connectionId) {
      if (!deps.credentials) {
        throw fail('connection_unavailable', 'this worker has no connection credentials configured', {
          retry: false,
        });
      }
      const credentials = await lookupCredentials(() => deps.credentials!.authHeaders(input.connectionId!));
      if (credentials.providerId !== undefined && credentials.providerId !== provider.id) {
        throw fail(
          'connection_unavailable',
          `connection "${input.connectionId}" belongs to provider "${credentials.providerId}", not "${provider.id}"`,
          { retry: false },
        );
      }
      auth = credentials.headers;
      baseUrl = credentials.apiBaseUrl ?? baseUrl;
    }
    const url = buildUrl(baseUrl, input.request);

    const exchange = async (authHeaders: Record<string, string>): Promise<Exchange> => {
      const headers: Record<string, string> = {
        accept: 'application/json',
        ...input.request.headers,
        ...authHeaders,
      };
      let body = input.request.body;
      if (input.request.json !== undefined) {
        body = JSON.stringify(input.request.json);
        headers['content-type'] ??= 'application/json';
      }
      const signal = AbortSignal.any([
        context.cancellationSignal,
        AbortSignal.timeout(
          settings.timeouts.connectMs + settings.timeouts.headersMs + settings.timeouts.bodyMs,
        ),
      ]);
      try {
        const response = await sendRequest(
          { method: input.request.method, url, headers, body },
          settings,
          signal,
          dispatcherFor(provider),
        );
        const header = (name: string) => response.headers[name];
        deps.budgets.noteResponse(provider.id, input.connectionId, settings, header);
        const decision = classifyResponse(response.status, header, now(), settings.rateLimit?.quotaHeaders);
        const countsAsFailure = decision.reason === 'server_error' || decision.reason === 'request_timeout';
        return { countsAsFailure, decision, response };
      } catch (error) {
        if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;
        if (error instanceof ResponseTooLargeError) {
          return { countsAsFailure: false, decision: { retry: false, reason: 'client_error' }, error };
        }
        return { countsAsFailure: true, decision: classifyError(error), error };
      }
    };

    const started = now();
    let result: Exchange;
    try {
      result = await deps.breakers.run(provider.id, settings.breaker, () => exchange(auth));
      if (result.decision.reason === 'unauthorized' && input.connectionId && deps.credentials) {
        // One forced refresh (shared by every caller that saw the same stale token), then one more try.
        log.info('provider answered 401: refreshing the connection once');
        deps.metrics?.unauthorizedRefreshes.inc({ provider: provider.id });
        const connectionId = input.connectionId;
        const rejected = auth;
        auth = (
          await lookupCredentials(() =>
            deps.credentials!.authHeadersAfterUnauthorized(connectionId, rejected),
          )
        ).headers;
        result = await deps.breakers.run(provider.id, settings.breaker, () => exchange(auth));
      }
    } catch (error) {
      if (error instanceof CircuitOpenError) {
        deps.metrics?.calls.inc({ provider: provider.id, outcome: 'circuit_open', status: '' });
        log.warn({ retryInMs: error.retryInMs }, 'circuit open: failing fast');
        throw fail('circuit_open', error.message, { retry: true, delayMs: error.retryInMs });
      }
      throw error;
    }
    const elapsedSeconds = (now() - started) / 1_000;
    const status = result.response?.status;
    const outcome = result.decision.reason;
    deps.metrics?.calls.inc({
      provider: provider.id,
      outcome,
      status: status === undefined ? '' : String(status),
    });
    deps.metrics?.latency.observe({ provider: provider.id, outcome }, elapsedSeconds);
    if (attempt > 1) deps.metrics?.retries.inc({ provider: provider.id });

    if (result.error instanceof ResponseTooLargeError) {
      log.warn({ limit: result.error.limit }, 'response too large');
      throw fail('response_too_large', result.error.message, { retry: false });
    }
    if (outcome === 'ok' && result.response) {
      log.info({ status, elapsedMs: Math.round(elapsedSeconds * 1000) }, 'provider call succeeded');
      const body = parseBody(result.response);
      const answer: ProviderResponse = {
        status: result.response.status,
        headers: result.response.headers,
        body,
        attempt,
      };
      if (input.page) {
        if (!settings.pagination) {
          throw fail('invalid_request', `provider "${provider.id}" declares no pagination`, { retry: false });
        }
        const itemsPath = typeof input.page === 'object' ? input.page.itemsPath : undefined;
        const next = nextPageRequest(
          settings.pagination,
          input.request,
          { body, headers: answer.headers },
          baseUrl,
          itemsPath,
        );
        answer.page = { items: pageItems(settings.pagination, body, itemsPath), ...(next ? { next } : {}) };
      }
      return answer;
    }
    const type = FAILURE_TYPES[outcome as Exclude<RetryDecision['reason'], 'ok'>];
    const message =
      status !== undefined
        ? `${provider.id} answered HTTP ${status} to ${input.request.method} ${input.request.path}`
        : `${provider.id} could not be reached (${outcome === 'timeout' ? 'timed out' : 'network error'})`;
    log.warn({ status, retry: result.decision.retry, delayMs: result.decision.delayMs }, message);
    throw fail(type, message, {
      retry: result.decision.retry,
      delayMs: result.decision.delayMs,
      details: {
        status,
        attempt,
        body: result.response && !result.decision.retry ? parseBody(result.response) : undefined,
      },
    });
  };
}
