import { parseRetryAfter } from '../http/retryAfter';
import { OAuthError } from '../shared/errors';
import type { OAuthLib } from './lib';

const MAX_DESCRIPTION = 200;

const clip = (text: string) => text.slice(0, MAX_DESCRIPTION);

/**
 * A fetch Response, global or undici's own (the outbound fetch is undici's, whose class is not the global
 * one): recognised by its `Symbol.toStringTag`, as oauth4webapi itself does.
 */
function isResponse(value: unknown): value is Response {
  return value instanceof Response || Object.prototype.toString.call(value) === '[object Response]';
}

/** A status the token endpoint answered with that another attempt may get past: 408, 429 or 5xx. */
const transientStatus = (status: number) => status === 408 || status === 429 || status >= 500;

/**
 * A token endpoint failure in Junction's vocabulary, matched by oauth4webapi's error classes: an OAuth error
 * body (`ResponseBodyError`: `invalid_grant` means re-authorization, RFC 6749 §5.2; other errors are permanent
 * unless the status is 429 or 5xx or the error `temporarily_unavailable`), an answer that is not OAuth at all
 * (`OperationProcessingError` with the response as cause: its status decides), a timeout or a network error
 * (retried). Retry-After is honoured. The message holds the OAuth error, its description and the status,
 * never a secret.
 */
export function tokenEndpointError(error: unknown, lib: OAuthLib, now: number = Date.now()): OAuthError {
  if (error instanceof lib.ResponseBodyError) {
    const description = error.error_description ? `: ${clip(error.error_description)}` : '';
    const message = `the token endpoint answered ${error.error}${description} (HTTP ${error.status})`;
    const details = { oauthError: error.error, status: error.status };
    if (error.error === 'invalid_grant')
      return new OAuthError('invalid_grant', message, { cause: error, details });
    if (transientStatus(error.status) || error.error === 'temporarily_unavailable') {
      return new OAuthError('token_endpoint_unavailable', message, {
        cause: error,
        details,
        retryable: true,
        retryAfterMs: parseRetryAfter(error.response.headers.get('retry-after') ?? undefined, now),
      });
    }
    return new OAuthError('token_request_rejected', message, { cause: error, details });
  }
  if (error instanceof lib.OperationProcessingError && isResponse(error.cause)) {
    const status = error.cause.status;
    const retryable = transientStatus(status);
    return new OAuthError(
      retryable ? 'token_endpoint_unavailable' : 'token_request_rejected',
      `the token endpoint answered HTTP ${status}`,
      {
        cause: error,
        details: { status },
        retryable,
        retryAfterMs: retryable
          ? parseRetryAfter(error.cause.headers.get('retry-after') ?? undefined, now)
          : undefined,
      },
    );
  }
  if (error instanceof lib.OperationProcessingError || error instanceof lib.UnsupportedOperationError) {
    return new OAuthError('token_request_rejected', `the token request failed: ${clip(error.message)}`, {
      cause: error,
    });
  }
  if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return new OAuthError('token_endpoint_unavailable', 'the token endpoint did not answer in time', {
      cause: error,
      retryable: true,
    });
  }
  if (error instanceof TypeError) {
    // fetch rejects with a TypeError when the connection fails (refused, reset, DNS).
    return new OAuthError('token_endpoint_unavailable', 'the token request failed: network error', {
      cause: error,
      retryable: true,
    });
  }
  return new OAuthError(
    'token_request_rejected',
    `the token request failed: ${clip(error instanceof Error ? error.message : String(error))}`,
    { cause: error },
  );
}
