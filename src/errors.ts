/**
 * Every error Junction raises on purpose carries a stable `code`. HTTP answers, CLI messages and
 * `ApplicationFailure.type` across the activity boundary all use it; nothing branches on `instanceof`
 * across process boundaries.
 */
export type JunctionErrorCode =
  | 'config_invalid'
  | 'config_not_found'
  | 'temporal_cli_unavailable'
  | 'temporal_unavailable'
  | 'unknown_source'
  | 'missing_signature'
  | 'invalid_signature'
  | 'timestamp_out_of_range'
  | 'malformed_headers'
  | 'malformed_body'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'not_found'
  | 'method_not_allowed'
  | 'bad_request'
  | 'not_dead_lettered'
  | 'workflow_not_found'
  | 'internal_error'
  | 'codec_key_unknown'
  | 'codec_decrypt_failed'
  | 'unauthorized'
  | 'unknown_provider'
  | 'unsupported_auth_mode'
  | 'invalid_state'
  | 'state_expired'
  | 'state_used'
  | 'connect_session_required'
  | 'invalid_connect_session'
  | 'connect_session_expired'
  | 'connect_session_used'
  | 'connect_session_mismatch'
  | 'return_to_not_allowed'
  | 'authorization_failed'
  | 'connection_exists'
  | 'connection_not_found'
  | 'connection_stuck'
  | 'unknown_action'
  | 'forbidden'
  | 'connection_required'
  | 'invalid_input'
  | 'idempotency_key_reused'
  | 'action_failed'
  | 'connection_deleted'
  | 'needs_reauth'
  | 'invalid_grant'
  | 'token_request_rejected'
  | 'token_endpoint_unavailable'
  | 'refresh_failed';

/** Base class for Junction's own errors: a stable code, a message a person can act on, the cause kept. */
export class JunctionError extends Error {
  readonly code: JunctionErrorCode;

  constructor(code: JunctionErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A configuration problem found at start-up; the message names the offending key. */
export class ConfigError extends JunctionError {
  constructor(message: string, options?: { cause?: unknown; code?: 'config_invalid' | 'config_not_found' }) {
    super(options?.code ?? 'config_invalid', message, options);
  }
}

/** An error whose message is safe to show to a caller, with the HTTP status to answer with. */
export class HttpError extends JunctionError {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  /** Fields added to the JSON body beside `code` and `message` (never a secret). */
  readonly details: Record<string, unknown>;

  constructor(
    statusCode: number,
    code: JunctionErrorCode,
    message: string,
    options?: { cause?: unknown; headers?: Record<string, string>; details?: Record<string, unknown> },
  ) {
    super(code, message, options);
    this.statusCode = statusCode;
    this.headers = options?.headers ?? {};
    this.details = options?.details ?? {};
  }
}
