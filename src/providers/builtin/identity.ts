import type { BuiltinDeclaration } from './types';

/** Identity platforms: Google, Microsoft Entra ID, Okta. */
export const IDENTITY_PROVIDERS: Record<string, BuiltinDeclaration> = {
  google: {
    displayName: 'Google',
    auth: {
      mode: 'oauth2',
      issuer: 'https://accounts.google.com',
      authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
      tokenUrl: 'https://oauth2.googleapis.com/token',
      revocationUrl: 'https://oauth2.googleapis.com/revoke',
      tokenEndpointAuthMethod: 'client_secret_post',
      pkce: true,
      // Without these Google issues no refresh token (and none at all on a second consent).
      authorizationParams: { access_type: 'offline', prompt: 'consent' },
      rotatesRefreshTokens: false,
    },
    apiBaseUrl: 'https://www.googleapis.com',
    docsUrl: 'https://developers.google.com/identity/protocols/oauth2/web-server',
    references: [
      'https://developers.google.com/identity/protocols/oauth2/web-server',
      'https://cloud.google.com/apis/design/design_patterns#list_pagination',
    ],
    // Google APIs page with `pageToken` / `nextPageToken`; the items key differs per API (`items`, `files`…).
    calls: {
      pagination: {
        style: 'cursor',
        cursorParam: 'pageToken',
        nextCursorPath: 'nextPageToken',
        itemsPath: 'items',
      },
    },
  },
  'google-service-account': {
    displayName: 'Google (service account)',
    auth: {
      mode: 'jwt_bearer',
      tokenUrl: 'https://oauth2.googleapis.com/token',
      audience: 'https://oauth2.googleapis.com/token',
      signingAlgorithm: 'RS256',
      scopesIn: 'assertion',
    },
    apiBaseUrl: 'https://www.googleapis.com',
    docsUrl: 'https://developers.google.com/identity/protocols/oauth2/service-account',
    references: ['https://developers.google.com/identity/protocols/oauth2/service-account'],
  },
  microsoft: {
    displayName: 'Microsoft Entra ID',
    connectionParams: {
      tenant: {
        description: 'the directory: a tenant id or domain, or common / organizations / consumers',
        pattern: '^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?$',
        default: 'common',
        example: 'contoso.onmicrosoft.com',
      },
    },
    auth: {
      mode: 'oauth2',
      authorizationUrl: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize',
      tokenUrl: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token',
      tokenEndpointAuthMethod: 'client_secret_post',
      pkce: true,
      // A refresh token is issued only when `offline_access` is requested.
      scopes: ['offline_access'],
      // "Refresh tokens replace themselves with a fresh token upon every use"; the old one is not revoked.
      rotatesRefreshTokens: true,
    },
    // Microsoft Graph. Lists page with `@odata.nextLink` (a full URL in the body), which no pagination style
    // of Junction reads yet; throttling answers 429 with Retry-After.
    apiBaseUrl: 'https://graph.microsoft.com/v1.0',
    docsUrl: 'https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow',
    references: [
      'https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow',
      'https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens',
      'https://learn.microsoft.com/en-us/graph/throttling',
    ],
  },
  okta: {
    displayName: 'Okta',
    connectionParams: {
      domain: {
        description: "the organization's Okta domain",
        pattern: '^[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)+$',
        example: 'dev-123456.okta.com',
      },
    },
    auth: {
      mode: 'oauth2',
      // The org authorization server; a custom one lives under /oauth2/{authorizationServerId}/v1/.
      authorizationUrl: 'https://{domain}/oauth2/v1/authorize',
      tokenUrl: 'https://{domain}/oauth2/v1/token',
      revocationUrl: 'https://{domain}/oauth2/v1/revoke',
      tokenEndpointAuthMethod: 'client_secret_basic',
      pkce: true,
      scopes: ['openid', 'offline_access'],
      // Rotation is a per-app setting; Okta's default grace period for the previous token is 30 seconds.
      rotatesRefreshTokens: true,
      refreshTokenReuseGraceSeconds: 30,
    },
    apiBaseUrl: 'https://{domain}/api/v1',
    docsUrl: 'https://developer.okta.com/docs/guides/implement-grant-type/authcodepkce/main/',
    references: [
      'https://developer.okta.com/docs/guides/implement-grant-type/authcodepkce/main/',
      'https://developer.okta.com/docs/guides/refresh-tokens/main/',
      'https://developer.okta.com/docs/reference/rl-best-practices/',
      'https://developer.okta.com/docs/api/#pagination',
    ],
    calls: {
      rateLimit: {
        quotaHeaders: {
          remainingHeader: 'x-rate-limit-remaining',
          resetHeader: 'x-rate-limit-reset',
          resetFormat: 'epoch-seconds',
        },
      },
      pagination: { style: 'link' },
    },
  },
};
