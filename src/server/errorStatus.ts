import type { JunctionCode } from '../shared/errors';

/**
 * The HTTP status of every code: the one place a failure becomes an HTTP answer. Codes that only ever appear
 * inside a failure record (a delivery's last error, an action's failed outcome) still have one, so that an
 * error that escapes where it was not expected is answered sensibly rather than as a 500.
 */
export const HTTP_STATUS: Record<JunctionCode, number> = {
  config_invalid: 500,
  config_not_found: 500,
  temporal_unavailable: 503,
  temporal_overloaded: 503,
  temporal_cli_unavailable: 503,
  temporal_server_unavailable: 503,
  temporal_not_set_up: 503,
  workflow_not_found: 404,
  not_dead_lettered: 409,
  activity_timeout: 504,
  bad_request: 400,
  not_found: 404,
  method_not_allowed: 405,
  malformed_body: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid_cursor: 400,
  internal_error: 500,
  unauthorized: 401,
  forbidden: 403,
  unknown_source: 404,
  missing_signature: 401,
  invalid_signature: 401,
  timestamp_out_of_range: 400,
  malformed_headers: 400,
  codec_key_unknown: 400,
  codec_decrypt_failed: 400,
  invalid_state: 400,
  state_expired: 400,
  state_used: 400,
  connect_session_required: 401,
  invalid_connect_session: 401,
  connect_session_expired: 401,
  connect_session_used: 409,
  connect_session_mismatch: 403,
  return_to_not_allowed: 400,
  authorization_failed: 502,
  invalid_grant: 409,
  token_request_rejected: 502,
  token_endpoint_unavailable: 503,
  unknown_provider: 404,
  invalid_connection_params: 400,
  unsupported_auth_mode: 400,
  connection_exists: 409,
  connection_params_differ: 409,
  connection_not_found: 404,
  connection_deleted: 410,
  connection_stuck: 503,
  needs_reauth: 409,
  refresh_failed: 502,
  unknown_action: 404,
  connection_required: 400,
  connection_provider_mismatch: 400,
  invalid_input: 400,
  idempotency_key_reused: 409,
  action_failed: 502,
  provider_rejected: 502,
  provider_unauthorized: 502,
  provider_error: 502,
  provider_throttled: 503,
  provider_timeout: 504,
  provider_unreachable: 502,
  circuit_open: 503,
  rate_limited: 503,
  response_too_large: 502,
  invalid_request: 400,
  connection_unavailable: 409,
  target_rejected: 502,
  target_error: 502,
  target_throttled: 503,
  target_timeout: 504,
  target_unreachable: 502,
  route_not_configured: 500,
  transform_failed: 500,
  workflow_start_failed: 502,
  schema_invalid: 400,
  delivery_failed: 502,
  unknown_sync: 404,
  sync_not_enabled: 404,
  not_awaiting_approval: 409,
  sync_failed: 502,
  unknown_record: 404,
  record_exists: 409,
  invalid_record: 400,
  write_not_declared: 405,
  unknown_write: 404,
  unknown_conflict: 404,
  conflict_resolved: 409,
  // The server understood the request and refuses where it would send Junction: a policy, not a fault.
  destination_not_allowed: 403,
};

/**
 * Where a route answers a code differently. A name in the URL path that matches nothing is a missing resource
 * (404); the same name in a request body is a bad request (400).
 */
const ROUTE_STATUS: Record<string, Partial<Record<JunctionCode, number>>> = {
  'POST /connect/sessions': { unknown_provider: 400, destination_not_allowed: 400 },
  'POST /connections': { unknown_provider: 400 },
};

/** The status for `code` on the route `method url` (fastify's route template). */
export function httpStatus(code: JunctionCode, route?: { method: string; url?: string }): number {
  const override = route?.url ? ROUTE_STATUS[`${route.method} ${route.url}`]?.[code] : undefined;
  return override ?? HTTP_STATUS[code];
}
