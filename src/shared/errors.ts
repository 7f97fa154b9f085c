/**
 * One vocabulary of failure codes for everything that crosses activity → workflow → client → HTTP, grouped by
 * family, and one error class per family (the way jose keeps its errors: a code union, a class a family, the
 * cause kept). An activity turns a JunctionError into an ApplicationFailure whose `type` is the code
 * (`toApplicationFailure`); workflows and clients read it back with `readFailure`; the HTTP server maps codes to
 * statuses in one table. Pure: workflows import it too.
 */
export const ERROR_CODES = {
  config: ['config_invalid', 'config_not_found'],
  temporal: [
    'temporal_unavailable',
    'temporal_overloaded',
    'temporal_cli_unavailable',
    'temporal_server_unavailable',
    'temporal_not_set_up',
    'workflow_not_found',
    'not_dead_lettered',
    'activity_timeout',
  ],
  request: [
    'bad_request',
    'not_found',
    'method_not_allowed',
    'malformed_body',
    'payload_too_large',
    'unsupported_media_type',
    'invalid_cursor',
    'internal_error',
  ],
  auth: ['unauthorized', 'forbidden'],
  webhook: [
    'unknown_source',
    'missing_signature',
    'invalid_signature',
    'timestamp_out_of_range',
    'malformed_headers',
  ],
  codec: ['codec_key_unknown', 'codec_decrypt_failed'],
  oauth: [
    'invalid_state',
    'state_expired',
    'state_used',
    'connect_session_required',
    'invalid_connect_session',
    'connect_session_expired',
    'connect_session_used',
    'connect_session_mismatch',
    'return_to_not_allowed',
    'authorization_failed',
    'invalid_grant',
    'token_request_rejected',
    'token_endpoint_unavailable',
  ],
  connection: [
    'unknown_provider',
    'invalid_connection_params',
    'unsupported_auth_mode',
    'connection_exists',
    'connection_params_differ',
    'connection_not_found',
    'connection_deleted',
    'connection_stuck',
    'needs_reauth',
    'refresh_failed',
  ],
  action: [
    'unknown_action',
    'connection_required',
    'connection_provider_mismatch',
    'invalid_input',
    'idempotency_key_reused',
    'action_failed',
  ],
  call: [
    'provider_rejected',
    'provider_unauthorized',
    'provider_error',
    'provider_throttled',
    'provider_timeout',
    'provider_unreachable',
    'circuit_open',
    'rate_limited',
    'response_too_large',
    'invalid_request',
    'connection_unavailable',
  ],
  delivery: [
    'target_rejected',
    'target_error',
    'target_throttled',
    'target_timeout',
    'target_unreachable',
    'route_not_configured',
    'transform_failed',
    'workflow_start_failed',
    'schema_invalid',
    'delivery_failed',
  ],
  sync: [
    'unknown_sync',
    'sync_not_enabled',
    'not_awaiting_approval',
    'sync_failed',
    'unknown_record',
    'record_exists',
    'invalid_record',
    'write_not_declared',
    'unknown_write',
    'unknown_conflict',
    'conflict_resolved',
  ],
  network: ['destination_not_allowed'],
} as const;

export type ErrorFamily = keyof typeof ERROR_CODES;
export type CodeOf<F extends ErrorFamily> = (typeof ERROR_CODES)[F][number];
/** Every code Junction answers, records in a failure, or branches on. */
export type JunctionCode = CodeOf<ErrorFamily>;

const FAMILY_OF = new Map<string, ErrorFamily>(
  (Object.entries(ERROR_CODES) as Array<[ErrorFamily, readonly string[]]>).flatMap(([family, codes]) =>
    codes.map((code) => [code, family] as const),
  ),
);

export function isJunctionCode(value: unknown): value is JunctionCode {
  return typeof value === 'string' && FAMILY_OF.has(value);
}

export function familyOf(code: JunctionCode): ErrorFamily {
  return FAMILY_OF.get(code) as ErrorFamily;
}

export interface JunctionErrorOptions {
  cause?: unknown;
  /**
   * Whether trying again may succeed (a provider outage, a busy server). Across the activity boundary a
   * retryable failure is retried by Temporal; a permanent one is not. Default: false.
   */
  retryable?: boolean;
  /** How long to wait before trying again, when the other side said (Retry-After) or the error knows. */
  retryAfterMs?: number;
  /** Structured facts for the caller and the failure's details (never a secret). */
  details?: Record<string, unknown>;
}

/** Base class for Junction's own errors: a stable code, a message a person can act on, the cause kept. */
export class JunctionError extends Error {
  readonly code: JunctionCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly details: Record<string, unknown>;

  constructor(code: JunctionCode, message: string, options: JunctionErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details ?? {};
  }

  get family(): ErrorFamily {
    return familyOf(this.code);
  }
}

/** The base of one family's class: its constructor takes that family's codes only. */
function family<F extends ErrorFamily>() {
  return class extends JunctionError {
    declare readonly code: CodeOf<F>;
    constructor(code: CodeOf<F>, message: string, options?: JunctionErrorOptions) {
      super(code, message, options);
    }
  };
}

/** A configuration problem found at start-up; the message names the offending key. */
export class ConfigError extends JunctionError {
  declare readonly code: CodeOf<'config'>;
  constructor(message: string, options: JunctionErrorOptions & { code?: CodeOf<'config'> } = {}) {
    super(options.code ?? 'config_invalid', message, options);
  }
}
/** Temporal could not be reached, or the workflow asked about does not exist or is not in that state. */
export class TemporalError extends family<'temporal'>() {}
/** A request that is malformed, too large, or for nothing that exists. */
export class RequestError extends family<'request'>() {}
/** Missing or wrong credentials for Junction's own API. */
export class AuthError extends family<'auth'>() {}
/** A webhook that cannot be verified: unknown source, missing or wrong signature, stale timestamp. */
export class WebhookVerificationError extends family<'webhook'>() {}
/** A payload the codec cannot decrypt. */
export class CodecError extends family<'codec'>() {}
/** The OAuth flow: state, connect sessions, the authorization and the token endpoint. */
export class OAuthError extends family<'oauth'>() {}
/** A connection that does not exist, cannot be used, or cannot be created. */
export class ConnectionError extends family<'connection'>() {}
/** A durable action that cannot be started or failed. */
export class ActionError extends family<'action'>() {}
/** A call to a provider's API that failed (the provider's answer, the breaker, pacing). */
export class ProviderCallError extends family<'call'>() {}
/** A delivery to the application that failed. */
export class DeliveryError extends family<'delivery'>() {}
/** A sync that is not declared or not enabled, or an operation its state does not allow. */
export class SyncError extends family<'sync'>() {}
/**
 * An outbound destination the network policy refuses (loopback, private, link-local, metadata and other
 * special ranges unless allowlisted): never retried, since nothing but a configuration change can fix it.
 */
export class DestinationError extends family<'network'>() {}

type Make = (code: JunctionCode, message: string, options?: JunctionErrorOptions) => JunctionError;
// Each family's constructor takes only its own codes; FAMILY_OF guarantees the code belongs to it.
const make =
  (Family: new (code: never, message: string, options?: JunctionErrorOptions) => JunctionError): Make =>
  (code, message, options) =>
    new (Family as new (c: JunctionCode, m: string, o?: JunctionErrorOptions) => JunctionError)(
      code,
      message,
      options,
    );

const FACTORY: Record<ErrorFamily, Make> = {
  config: (code, message, options) =>
    new ConfigError(message, { ...options, code: code as CodeOf<'config'> }),
  temporal: make(TemporalError),
  request: make(RequestError),
  auth: make(AuthError),
  webhook: make(WebhookVerificationError),
  codec: make(CodecError),
  oauth: make(OAuthError),
  connection: make(ConnectionError),
  action: make(ActionError),
  call: make(ProviderCallError),
  delivery: make(DeliveryError),
  sync: make(SyncError),
  network: make(DestinationError),
};

/** The JunctionError of the right family for a code (reading a failure back, a code from a table). */
export function junctionError(
  code: JunctionCode,
  message: string,
  options?: JunctionErrorOptions,
): JunctionError {
  return FACTORY[familyOf(code)](code, message, options);
}
