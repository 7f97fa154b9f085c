import { parseRetryAfter } from './retryAfter';

/** What to do about an HTTP outcome. Temporal owns the retrying; this only decides. */
export interface RetryDecision {
  retry: boolean;
  /** A stable code for the outcome, used as the ApplicationFailure type. */
  reason:
    'ok' | 'client_error' | 'server_error' | 'throttled' | 'request_timeout' | 'timeout' | 'network_error';
  /** Delay the peer asked for (Retry-After), in milliseconds. */
  delayMs?: number;
  status?: number;
}

export type HeaderLookup = (name: string) => string | undefined;

/** Upper bound on a peer-requested delay, so a bogus `Retry-After: 99999999` cannot park a retry for years. */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1_000;

/**
 * Classifies an HTTP response: 2xx/3xx is success; 408, 429 and 5xx are retryable; any other 4xx is not.
 * `Retry-After` on a retryable answer becomes the delay before the next attempt.
 */
export function classifyResponse(status: number, header: HeaderLookup, now: number): RetryDecision {
  if (status < 400) return { retry: false, reason: 'ok', status };
  const retryAfter = parseRetryAfter(header('retry-after'), now);
  const delayMs = retryAfter === undefined ? undefined : Math.min(retryAfter, MAX_RETRY_AFTER_MS);
  if (status === 429) return { retry: true, reason: 'throttled', status, delayMs };
  if (status === 408) return { retry: true, reason: 'request_timeout', status, delayMs };
  if (status >= 500) return { retry: true, reason: 'server_error', status, delayMs };
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
