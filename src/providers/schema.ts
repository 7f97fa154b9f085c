import { z } from 'zod';
import { actionsSchema } from '../calls/actions';
import { callSettingsSchema } from '../calls/settings';
import { headerName, identifier } from '../config/primitives';
import { syncSchema } from '../sync/declaration';
import { SCHEME_IDS } from '../webhooks/schemes';
import { PLACEHOLDER, connectionParamsSchema, undeclaredPlaceholders } from './params';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether a URL points at this machine (plain http is accepted only there). */
export function isLoopbackUrl(value: string): boolean {
  try {
    return LOOPBACK.has(new URL(value).hostname);
  } catch {
    return false;
  }
}

/**
 * Protocol endpoints carry credentials: https only, except on loopback (local development and tests), as
 * RFC 6749 §3.1 and §3.2 require TLS for the authorization and token endpoints. A `{name}` placeholder
 * (a connection parameter: Shopify's shop, Zendesk's subdomain) is checked as if it were a plain label.
 */
export const endpointUrl = z.string().refine((value) => {
  try {
    const concrete = value.replace(PLACEHOLDER, 'param');
    const url = new URL(concrete);
    return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackUrl(concrete));
  } catch {
    return false;
  }
}, 'must be an absolute https:// URL (http:// only on loopback)');

const scopes = z.array(z.string().min(1).regex(/^\S+$/, 'a scope has no spaces')).default([]);
const refreshMarginSeconds = z.number().int().min(0).max(86_400).default(300);

/** How the client (Junction, registered at the provider) authenticates at the token endpoint (RFC 6749 §2.3). */
export const tokenEndpointAuthMethod = z.enum([
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'none',
]);

const oauthCommon = {
  /** The authorization server's issuer identifier; checked against `iss` (RFC 9207) and ID tokens. */
  issuer: endpointUrl.optional(),
  tokenUrl: endpointUrl,
  revocationUrl: endpointUrl.optional(),
  scopes,
  scopeSeparator: z.string().min(1).max(1).default(' '),
  tokenEndpointAuthMethod: tokenEndpointAuthMethod.default('client_secret_basic'),
  /** Refresh this long before the access token expires. */
  refreshMarginSeconds,
  /** Refresh at least this often even when the access token does not expire, so refresh tokens do not lapse. */
  idleRefreshSeconds: z.number().int().min(60).optional(),
  /**
   * For providers that rotate refresh tokens: how long the provider still accepts the previous refresh token
   * after issuing a new one (its reuse grace period), as its documentation states. A refresh whose answer was
   * lost (a worker killed mid-request) is retried within seconds, so with a grace of 10 s or more the retry
   * succeeds; without one the provider answers invalid_grant and the connection needs re-authorization.
   */
  refreshTokenReuseGraceSeconds: z.number().int().min(0).max(86_400).optional(),
  /** Extra parameters on token requests (e.g. `audience`). */
  tokenParams: z.record(z.string(), z.string()).default({}),
  /**
   * What the provider documents: each refresh answers a new refresh token and the previous one stops
   * working (after `refreshTokenReuseGraceSeconds`, if any). Junction always keeps the newest; this is
   * stated so a reader (and `junction providers show`) knows a lost refresh answer means re-authorization.
   */
  rotatesRefreshTokens: z.boolean().optional(),
};

export const oauth2AuthSchema = z
  .object({
    mode: z.literal('oauth2'),
    authorizationUrl: endpointUrl,
    /** PKCE S256 (RFC 7636); on by default, off only for providers that reject it. */
    pkce: z.boolean().default(true),
    /** Extra parameters on the authorization request (e.g. Google's `access_type: offline`). */
    authorizationParams: z.record(z.string(), z.string()).default({}),
    ...oauthCommon,
  })
  .strict();

export const clientCredentialsAuthSchema = z
  .object({ mode: z.literal('client_credentials'), ...oauthCommon })
  .strict();

/** RFC 7523 §2.1: a signed JWT is the grant. */
export const jwtBearerAuthSchema = z
  .object({
    mode: z.literal('jwt_bearer'),
    ...oauthCommon,
    tokenEndpointAuthMethod: tokenEndpointAuthMethod.default('none'),
    /** The assertion's `aud`; the token URL when omitted. */
    audience: z.string().min(1).optional(),
    assertionLifetimeSeconds: z.number().int().min(30).max(3_600).default(300),
    /** JWS algorithm of the assertion. */
    signingAlgorithm: z.enum(['RS256', 'ES256', 'PS256', 'EdDSA']).default('RS256'),
    /** Where the scopes go: the `scope` request parameter, or a `scope` claim in the assertion (Google). */
    scopesIn: z.enum(['parameter', 'assertion']).default('parameter'),
  })
  .strict();

export const apiKeyAuthSchema = z
  .object({
    mode: z.literal('api_key'),
    /** The header that carries the key. */
    header: headerName.default('authorization'),
    /** Put before the key in the header value, e.g. `Bearer `. */
    prefix: z.string().default('Bearer '),
  })
  .strict();

export const basicAuthSchema = z.object({ mode: z.literal('basic') }).strict();

export const authSchema = z.discriminatedUnion('mode', [
  oauth2AuthSchema,
  clientCredentialsAuthSchema,
  jwtBearerAuthSchema,
  apiKeyAuthSchema,
  basicAuthSchema,
]);

/** The OAuth client Junction is registered as at the provider (the application's OAuth app). */
export const providerClientSchema = z
  .object({
    clientId: z.string().min(1),
    clientSecret: z.string().min(1).optional(),
    /** PKCS#8 PEM private key for `private_key_jwt` client authentication (RFC 7523 §2.2). */
    privateKey: z.string().min(1).optional(),
    keyId: z.string().min(1).optional(),
  })
  .strict();

/**
 * A provider declaration: how to authenticate, where its API is, how to call it (retry preset, timeouts,
 * rate limit, quota headers, circuit breaker, pagination) and its named actions. Data, validated at start-up.
 */
export const providerSchema = z
  .object({
    id: identifier,
    displayName: z.string().min(1).optional(),
    auth: authSchema,
    apiBaseUrl: endpointUrl,
    /** A token-response field that holds the per-account API base URL (Salesforce's `instance_url`). */
    apiBaseUrlFromToken: z.string().min(1).optional(),
    docsUrl: z.string().url().optional(),
    /** The provider's own documents each fact of the declaration comes from. */
    references: z.array(z.string().url()).default([]),
    /** Per-connection parameters (`{name}` in the URLs): a tenant's host or region, given on connect. */
    connectionParams: connectionParamsSchema,
    /** The Junction webhook scheme the provider's webhooks are verified with, where Junction has it. */
    webhookScheme: z.enum(SCHEME_IDS).optional(),
    client: providerClientSchema.optional(),
    calls: callSettingsSchema.prefault({}),
    actions: actionsSchema.default({}),
    /** Data syncs: provider records kept in step in Junction's store, by name. */
    syncs: z.record(identifier, syncSchema).default({}),
  })
  .strict()
  .superRefine((provider, ctx) => {
    for (const { path, name } of undeclaredPlaceholders(provider)) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `placeholder {${name}} is not a declared connection parameter (connectionParams)`,
      });
    }
    const auth = provider.auth;
    if (auth.mode === 'api_key' || auth.mode === 'basic' || !provider.client) return;
    const method = auth.tokenEndpointAuthMethod;
    if (
      (method === 'client_secret_basic' || method === 'client_secret_post') &&
      !provider.client.clientSecret
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['client', 'clientSecret'],
        message: `required for token endpoint auth method ${method}`,
      });
    }
    if (method === 'private_key_jwt' && !provider.client.privateKey) {
      ctx.addIssue({
        code: 'custom',
        path: ['client', 'privateKey'],
        message: 'required for token endpoint auth method private_key_jwt',
      });
    }
  });

export type ProviderDeclaration = z.output<typeof providerSchema>;
export type ProviderAuth = ProviderDeclaration['auth'];
export type ProviderClient = z.output<typeof providerClientSchema>;
export type TokenEndpointAuthMethod = z.output<typeof tokenEndpointAuthMethod>;
export type OAuthAuth = Extract<ProviderAuth, { tokenUrl: string }>;
