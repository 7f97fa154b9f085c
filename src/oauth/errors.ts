import type { JunctionErrorCode } from '../errors';
import { parseRetryAfter } from '../http/retryAfter';

export interface TokenErrorDecision {
  code: Extract<JunctionErrorCode, 'invalid_grant' | 'token_request_rejected' | 'token_endpoint_unavailable'>;
  retry: boolean;
  delayMs?: number;
  /** A message without secrets: the OAuth error code, its description and the HTTP status. */
  message: string;
  oauthError?: string;
  status?: number;
}

const MAX_DESCRIPTION = 200;

/**
 * Classifies a token endpoint failure (oauth4webapi's errors, network errors, timeouts). `invalid_grant`
 * (RFC 6749 §5.2: the grant or refresh token is invalid, expired or revoked) means re-authorization; other
 * 4xx answers are permanent; 429, 5xx and network failures are retried (Retry-After honoured).
 */
export function classifyTokenError(error: unknown, now: number = Date.now()): TokenErrorDecision {
  const e = error as {
    name?: string;
    code?: string;
    error?: string;
    status?: number;
    error_description?: string;
    response?: Response;
    cause?: unknown;
    message?: string;
  };
  const response = e?.response ?? (e?.cause instanceof Response ? e.cause : undefined);
  const status = typeof e?.status === 'number' ? e.status : response?.status;
  const retryAfter = response
    ? parseRetryAfter(response.headers.get('retry-after') ?? undefined, now)
    : undefined;
  if (typeof e?.error === 'string') {
    const description = e.error_description ? `: ${e.error_description.slice(0, MAX_DESCRIPTION)}` : '';
    const message = `the token endpoint answered ${e.error}${description}${status ? ` (HTTP ${status})` : ''}`;
    if (e.error === 'invalid_grant') {
      return { code: 'invalid_grant', retry: false, message, oauthError: e.error, status };
    }
    if (status === 429 || (status !== undefined && status >= 500) || e.error === 'temporarily_unavailable') {
      return {
        code: 'token_endpoint_unavailable',
        retry: true,
        delayMs: retryAfter,
        message,
        oauthError: e.error,
        status,
      };
    }
    return { code: 'token_request_rejected', retry: false, message, oauthError: e.error, status };
  }
  if (status !== undefined) {
    const retry = status === 408 || status === 429 || status >= 500;
    return {
      code: retry ? 'token_endpoint_unavailable' : 'token_request_rejected',
      retry,
      delayMs: retry ? retryAfter : undefined,
      message: `the token endpoint answered HTTP ${status}`,
      status,
    };
  }
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return {
      code: 'token_endpoint_unavailable',
      retry: true,
      message: 'the token endpoint did not answer in time',
    };
  }
  if (e?.name === 'TypeError' || typeof e?.code === 'string') {
    const reason =
      e?.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || e?.code?.startsWith('OAUTH_')
        ? e.message
        : 'network error';
    const permanent = typeof e?.code === 'string' && e.code.startsWith('OAUTH_');
    return {
      code: permanent ? 'token_request_rejected' : 'token_endpoint_unavailable',
      retry: !permanent,
      message: `the token request failed: ${String(reason).slice(0, MAX_DESCRIPTION)}`,
    };
  }
  return {
    code: 'token_request_rejected',
    retry: false,
    message: `the token request failed: ${String(e?.message ?? error).slice(0, MAX_DESCRIPTION)}`,
  };
}
