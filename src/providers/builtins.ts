/**
 * Built-in provider declarations. Each is plain data checked by `providerSchema` like any configured one;
 * a configuration entry with the same id (or `extends: <id>`) adds the OAuth client and overrides fields.
 * Sources: GitHub "Authorizing OAuth apps"; Google "OAuth 2.0 for Web Server Applications" and "for Server
 * to Server Applications"; Slack "Installing with OAuth" (v2); Salesforce "OAuth 2.0 Web Server Flow" and
 * "JWT Bearer Flow"; Stripe "Authentication".
 */
export const BUILTIN_PROVIDERS: Record<string, Record<string, unknown>> = {
  /** Generic OAuth 2.0 authorization code: configuration supplies the URLs (`extends: oauth2`). */
  oauth2: {
    displayName: 'OAuth 2.0',
    auth: { mode: 'oauth2', pkce: true },
  },
  github: {
    displayName: 'GitHub',
    auth: {
      mode: 'oauth2',
      authorizationUrl: 'https://github.com/login/oauth/authorize',
      tokenUrl: 'https://github.com/login/oauth/access_token',
      tokenEndpointAuthMethod: 'client_secret_post',
      pkce: true,
      // GitHub App user tokens expire after 8 hours; their refresh tokens after 6 months unused.
      idleRefreshSeconds: 7 * 24 * 3600,
    },
    apiBaseUrl: 'https://api.github.com',
    docsUrl: 'https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps',
    // "Rate limits for the REST API": x-ratelimit-remaining / x-ratelimit-reset (epoch seconds); an
    // exhausted quota is answered 403 or 429. "Using pagination in the REST API": Link headers.
    calls: {
      rateLimit: {
        quotaHeaders: {
          remainingHeader: 'x-ratelimit-remaining',
          resetHeader: 'x-ratelimit-reset',
          resetFormat: 'epoch-seconds',
          slowDownBelow: 1,
        },
      },
      pagination: { style: 'link' },
    },
  },
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
      // Without these Google issues no refresh token on a second consent.
      authorizationParams: { access_type: 'offline', prompt: 'consent' },
    },
    apiBaseUrl: 'https://www.googleapis.com',
    docsUrl: 'https://developers.google.com/identity/protocols/oauth2/web-server',
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
  },
  slack: {
    displayName: 'Slack',
    auth: {
      mode: 'oauth2',
      authorizationUrl: 'https://slack.com/oauth/v2/authorize',
      tokenUrl: 'https://slack.com/api/oauth.v2.access',
      tokenEndpointAuthMethod: 'client_secret_post',
      scopeSeparator: ',',
      pkce: false,
    },
    apiBaseUrl: 'https://slack.com/api',
    docsUrl: 'https://api.slack.com/authentication/oauth-v2',
    // "Pagination through cursors": `cursor` / `response_metadata.next_cursor`; 429 with Retry-After.
    calls: {
      pagination: {
        style: 'cursor',
        cursorParam: 'cursor',
        nextCursorPath: 'response_metadata.next_cursor',
        itemsPath: 'members',
        limitParam: 'limit',
      },
    },
  },
  salesforce: {
    displayName: 'Salesforce',
    auth: {
      mode: 'oauth2',
      authorizationUrl: 'https://login.salesforce.com/services/oauth2/authorize',
      tokenUrl: 'https://login.salesforce.com/services/oauth2/token',
      revocationUrl: 'https://login.salesforce.com/services/oauth2/revoke',
      tokenEndpointAuthMethod: 'client_secret_post',
      scopes: ['api', 'refresh_token'],
      pkce: true,
      // Salesforce access tokens carry no expires_in; refresh on a schedule instead.
      idleRefreshSeconds: 3600,
    },
    apiBaseUrl: 'https://login.salesforce.com',
    apiBaseUrlFromToken: 'instance_url',
    docsUrl: 'https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm',
  },
  'salesforce-jwt': {
    displayName: 'Salesforce (JWT bearer)',
    auth: {
      mode: 'jwt_bearer',
      tokenUrl: 'https://login.salesforce.com/services/oauth2/token',
      audience: 'https://login.salesforce.com',
      idleRefreshSeconds: 3600,
    },
    apiBaseUrl: 'https://login.salesforce.com',
    apiBaseUrlFromToken: 'instance_url',
    docsUrl: 'https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_jwt_flow.htm',
  },
  stripe: {
    displayName: 'Stripe',
    auth: { mode: 'api_key', header: 'authorization', prefix: 'Bearer ' },
    apiBaseUrl: 'https://api.stripe.com',
    docsUrl: 'https://docs.stripe.com/api/authentication',
    // "Pagination": `starting_after` = the last object's id while `has_more`; "Rate limits": 100/s live mode.
    calls: {
      rateLimit: { perSecond: 100, mode: 'average' },
      pagination: {
        style: 'cursor',
        cursorParam: 'starting_after',
        nextCursorFromLastItem: 'id',
        hasMorePath: 'has_more',
        itemsPath: 'data',
        limitParam: 'limit',
      },
    },
  },
};
