import { parseRetryAfter } from './retryAfter';

/** What to do about an HTTP outcome. Temporal owns the retrying; this only decides. */
export interface RetryDecision {
  retry: boolean;
  /** A stable code for the outcome, used as the ApplicationFailure type. */
  reason:
    | 'ok'
    | 'client_error'
    | 'unauthorized'
    | 'server_error'
    | 'throttled'
    | 'request_timeout'
    | 'timeout'
    | 'network_error';
  /** Delay the peer asked for (Retry-After or a provider's quota reset), in milliseconds. */
  delayMs?: number;
  status?: number;
}

export type HeaderLookup = (name: string) => string | undefined;

/** How a provider reports its quota, when it does (GitHub, Shopify, many others use these names). */
export interface QuotaHeaders {
  /** Header with the calls left in the current window, e.g. `x-ratelimit-remaining`. */
  remainingHeader: string;
  /** Header with when the window resets, e.g. `x-ratelimit-reset`. */
  resetHeader: string;
  /** `epoch-seconds` (GitHub), `delta-seconds` (IETF RateLimit drafts) or `epoch-ms`. */
  resetFormat: 'epoch-seconds' | 'delta-seconds' | 'epoch-ms';
}

/** Upper bound on a peer-requested delay, so a bogus `Retry-After: 99999999` cannot park a retry for years. */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1_000;

/** Milliseconds until a provider's quota window resets, from its reset header; undefined when absent. */
export function quotaResetDelay(quota: QuotaHeaders, header: HeaderLookup, now: number): number | undefined {
  const raw = header(quota.resetHeader);
  if (raw === undefined || !/^\d+(\.\d+)?$/.test(raw.trim())) return undefined;
  const value = Number(raw);
  const delay =
    quota.resetFormat === 'delta-seconds'
      ? value * 1_000
      : quota.resetFormat === 'epoch-ms'
        ? value - now
        : value * 1_000 - now;
  return Math.min(Math.max(0, delay), MAX_RETRY_AFTER_MS);
}

/** Calls left in the provider's quota window, from its remaining header; undefined when absent. */
export function quotaRemaining(quota: QuotaHeaders, header: HeaderLookup): number | undefined {
  const raw = header(quota.remainingHeader);
  if (raw === undefined || !/^\d+$/.test(raw.trim())) return undefined;
  return Number(raw);
}

/**
 * Classifies an HTTP response: 2xx/3xx is success; 408, 429 and 5xx are retryable; any other 4xx is not
 * (401 is reported apart, so a caller holding a refreshable credential can refresh once). `Retry-After`
 * (RFC 9110 §10.2.3) on a retryable answer becomes the delay before the next attempt; without it, a
 * provider's declared quota-reset header does. A 403 with the quota at zero is throttling, as GitHub
 * answers it.
 */
export function classifyResponse(
  status: number,
  header: HeaderLookup,
  now: number,
  quota?: QuotaHeaders,
): RetryDecision {
  if (status < 400) return { retry: false, reason: 'ok', status };
  const retryAfter = parseRetryAfter(header('retry-after'), now);
  const delayMs =
    retryAfter !== undefined
      ? Math.min(retryAfter, MAX_RETRY_AFTER_MS)
      : quota
        ? quotaResetDelay(quota, header, now)
        : undefined;
  if (status === 429) return { retry: true, reason: 'throttled', status, delayMs };
  if (status === 403 && quota && quotaRemaining(quota, header) === 0) {
    return { retry: true, reason: 'throttled', status, delayMs };
  }
  if (status === 408) return { retry: true, reason: 'request_timeout', status, delayMs };
  if (status >= 500) return { retry: true, reason: 'server_error', status, delayMs };
  if (status === 401) return { retry: false, reason: 'unauthorized', status };
  return { retry: false, reason: 'client_error', status };
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

/** Classifies a failure to get a response at all: every network error and timeout is retryable. */
export function classifyError(error: unknown): RetryDecision {
  const err = error as { name?: string; code?: string; cause?: { code?: string } } | undefined;
  const code = err?.code ?? err?.cause?.code;
  if (err?.name === 'TimeoutError' || (code !== undefined && TIMEOUT_CODES.has(code))) {
    return { retry: true, reason: 'timeout' };
  }
  return { retry: true, reason: 'network_error' };
}
