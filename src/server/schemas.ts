import { z } from 'zod';
import { CONNECTION_ID_PATTERN } from '../shared/connectionContract';
import type { JunctionCode } from '../shared/errors';
import { httpStatus } from './errorStatus';

/**
 * The schemas the routes declare (params, query, bodies and answers), shared where several routes use them.
 * The OpenAPI document at /openapi.json is generated from these, so it cannot drift from what is served.
 */

/** The JSON body of an error answer whose code is one of `codes`. */
export function errorBody(codes: [JunctionCode, ...JunctionCode[]]) {
  return z
    .looseObject({
      code: z.enum(codes).describe('stable error code (see the troubleshooting guide)'),
      message: z.string().describe('what went wrong, for a person'),
    })
    .describe(`error: ${codes.join(' | ')}`);
}

/**
 * The error answers of a route: its codes grouped by the status the one table gives them (per route, where
 * the table says a route answers a code differently).
 */
export function errorResponses(route: { method: string; url: string }, codes: JunctionCode[]) {
  const byStatus = new Map<number, JunctionCode[]>();
  for (const code of new Set(codes)) {
    const status = httpStatus(code, route);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [status, errorBody(list as [JunctionCode, ...JunctionCode[]])]),
  );
}

/** Codes any route can answer: a body that is not JSON, a failed schema check, an unexpected error. */
export const COMMON_CODES: JunctionCode[] = ['bad_request', 'malformed_body', 'internal_error'];

/** What a connection id may be, said to a person (the rule is `CONNECTION_ID_PATTERN`). */
export const CONNECTION_ID_RULE = 'connectionId must be 1-128 letters, digits, "_", ".", ":" or "-"';

export const connectionId = z
  .string()
  .regex(CONNECTION_ID_PATTERN, CONNECTION_ID_RULE)
  .describe('your id for the connection (e.g. your customer id)');

/** RFC 6749 §3.3 scope-token: printable ASCII without space, `"` or `\`. */
export const scopes = z
  .array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'a scope has no spaces or quotes'))
  .max(100)
  .describe('OAuth scopes');

/** Values for a provider's connection parameters (`{shop}`, `{subdomain}` in its URLs). */
export const connectionParams = z
  .record(z.string().max(64), z.string().max(255))
  .describe('values for the provider’s connection parameters, e.g. {"shop": "acme"} (docs/providers.md)');

const isoTime = z.string().describe('ISO 8601 time');

/** What a connection looks like from outside: never a secret. */
export const connectionStatus = z.object({
  connectionId: z.string(),
  providerId: z.string(),
  mode: z.enum(['oauth2', 'client_credentials', 'jwt_bearer', 'api_key', 'basic']),
  state: z.enum(['pending', 'active', 'needs_reauth', 'deleted']),
  scopes: z.array(z.string()),
  expiresAt: isoTime.optional().describe('when the access token expires (the horizon callers can rely on)'),
  lastRefreshAt: isoTime.optional(),
  refreshCount: z.number().int(),
  createdAt: isoTime,
  apiBaseUrl: z.string().optional(),
  lastError: z.object({ code: z.string(), message: z.string() }).optional(),
  reauthReason: z.string().optional(),
  revision: z.number().int().optional().describe('bumped on every refresh, failure or state change'),
  params: z
    .record(z.string(), z.string())
    .optional()
    .describe('the connection’s parameter values (e.g. {"shop": "acme"}); a reconnect keeps them'),
});

/** How a route authenticates, for the OpenAPI document (the schemes are declared in ./openapi.ts). */
type Security = Array<Record<string, string[]>>;

/** An admin API key. */
export const ADMIN_SECURITY: Security = [{ adminKey: [] }];
/** An admin API key, or a token for one connection's actions. */
export const ACTION_SECURITY: Security = [{ adminKey: [] }, { connectionToken: [] }];
/** An operator token, or the codec sign-in cookie. */
export const CODEC_SECURITY: Security = [{ operatorToken: [] }, { codecSession: [] }];
