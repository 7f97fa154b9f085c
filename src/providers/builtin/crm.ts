import type { BuiltinDeclaration } from './types';

/** CRM and customer support: HubSpot, Salesforce, Pipedrive, Intercom, Zendesk. */
export const CRM_PROVIDERS: Record<string, BuiltinDeclaration> = {
  hubspot: {
    displayName: 'HubSpot',
    auth: {
      mode: 'oauth2',
      authorizationUrl: 'https://app.hubspot.com/oauth/authorize',
      tokenUrl: 'https://api.hubapi.com/oauth/v1/token',
      // client_id and client_secret go in the form body of the token request.
      tokenEndpointAuthMethod: 'client_secret_post',
      // PKCE is not mentioned in HubSpot's OAuth documentation: not sent.
      pkce: false,
      scopes: ['oauth'],
      // Access tokens live 30 minutes (expires_in); refresh tokens do not expire and are not rotated.
      rotatesRefreshTokens: false,
    },
    apiBaseUrl: 'https://api.hubapi.com',
    docsUrl: 'https://developers.hubspot.com/docs/api/oauth-quickstart-guide',
    references: [
      'https://developers.hubspot.com/docs/api/oauth-quickstart-guide',
      'https://developers.hubspot.com/docs/guides/apps/authentication/working-with-oauth',
      'https://developers.hubspot.com/docs/guides/apps/api-usage/usage-details',
    ],
    // Rate-limit headers give the window (X-HubSpot-RateLimit-Interval-Milliseconds), not a reset time:
    // Junction relies on 429 + Retry-After. Webhooks are signed with X-HubSpot-Signature-v3 (no scheme yet).
    calls: {
      pagination: {
        style: 'cursor',
        cursorParam: 'after',
        nextCursorPath: 'paging.next.after',
        itemsPath: 'results',
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
      // `refresh_token` (or `offline_access`) must be requested for a refresh token.
      scopes: ['api', 'refresh_token'],
      pkce: true,
      // Salesforce access tokens carry no expires_in; refresh on a schedule instead. Refresh-token rotation
      // is an opt-in setting of the connected app (off by default).
      idleRefreshSeconds: 3600,
    },
    apiBaseUrl: 'https://login.salesforce.com',
    apiBaseUrlFromToken: 'instance_url',
    docsUrl: 'https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm',
    references: [
      'https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm',
      'https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_refresh_token_flow.htm',
    ],
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
    references: ['https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_jwt_flow.htm'],
  },
  pipedrive: {
    displayName: 'Pipedrive',
    auth: {
      mode: 'oauth2',
      authorizationUrl: 'https://oauth.pipedrive.com/oauth/authorize',
      tokenUrl: 'https://oauth.pipedrive.com/oauth/token',
      // "Authorization: Basic <base64(client_id:client_secret)>" on token requests.
      tokenEndpointAuthMethod: 'client_secret_basic',
      // PKCE is not mentioned in Pipedrive's OAuth documentation: not sent.
      pkce: false,
      // Refresh tokens expire after 60 days without use.
      idleRefreshSeconds: 7 * 24 * 3600,
    },
    // Each company has its own API domain, answered as `api_domain` with the tokens.
    apiBaseUrl: 'https://api.pipedrive.com',
    apiBaseUrlFromToken: 'api_domain',
    docsUrl: 'https://pipedrive.readme.io/docs/marketplace-oauth-authorization',
    references: [
      'https://pipedrive.readme.io/docs/marketplace-oauth-authorization',
      'https://pipedrive.readme.io/docs/core-api-concepts-rate-limiting',
      'https://pipedrive.readme.io/docs/core-api-concepts-pagination',
    ],
    // Webhooks authenticate with HTTP Basic credentials chosen by the app: no signature scheme.
    calls: {
      rateLimit: {
        quotaHeaders: {
          remainingHeader: 'x-ratelimit-remaining',
          resetHeader: 'x-ratelimit-reset',
          resetFormat: 'delta-seconds',
        },
      },
      // API v2: cursor pagination.
      pagination: {
        style: 'cursor',
        cursorParam: 'cursor',
        nextCursorPath: 'additional_data.next_cursor',
        itemsPath: 'data',
        limitParam: 'limit',
      },
    },
  },
  intercom: {
    displayName: 'Intercom',
    auth: {
      mode: 'oauth2',
      authorizationUrl: 'https://app.intercom.com/oauth',
      tokenUrl: 'https://api.intercom.io/auth/eagle/token',
      tokenEndpointAuthMethod: 'client_secret_post',
      // Not mentioned in Intercom's OAuth setup guide: not sent. Access tokens do not expire; no refresh token.
      pkce: false,
    },
    apiBaseUrl: 'https://api.intercom.io',
    docsUrl:
      'https://developers.intercom.com/docs/build-an-integration/learn-more/authentication/setting-up-oauth',
    references: [
      'https://developers.intercom.com/docs/build-an-integration/learn-more/authentication/setting-up-oauth',
      'https://developers.intercom.com/docs/references/rest-api/errors/rate-limiting',
      'https://developers.intercom.com/docs/build-an-integration/learn-more/rest-apis/pagination',
    ],
    // Webhook notifications are signed with X-Hub-Signature (HMAC-SHA1): no Junction scheme.
    calls: {
      rateLimit: {
        quotaHeaders: {
          remainingHeader: 'x-ratelimit-remaining',
          resetHeader: 'x-ratelimit-reset',
          resetFormat: 'epoch-seconds',
        },
      },
      pagination: {
        style: 'cursor',
        cursorParam: 'starting_after',
        nextCursorPath: 'pages.next.starting_after',
        itemsPath: 'data',
        limitParam: 'per_page',
      },
    },
  },
  zendesk: {
    displayName: 'Zendesk',
    connectionParams: {
      subdomain: { description: 'the Zendesk account subdomain', example: 'acme' },
    },
    auth: {
      mode: 'oauth2',
      authorizationUrl: 'https://{subdomain}.zendesk.com/oauth/authorizations/new',
      tokenUrl: 'https://{subdomain}.zendesk.com/oauth/tokens',
      tokenEndpointAuthMethod: 'client_secret_post',
      pkce: true,
      scopes: ['read'],
      // "A successful request will also return a refresh token and delete the previous access and refresh
      // tokens" (the refresh_token grant announcement): rotation with no reuse grace.
      rotatesRefreshTokens: true,
    },
    apiBaseUrl: 'https://{subdomain}.zendesk.com/api/v2',
    docsUrl: 'https://developer.zendesk.com/documentation/authentication/',
    references: [
      'https://developer.zendesk.com/documentation/authentication/',
      'https://developer.zendesk.com/documentation/api-basics/authentication/refresh-token',
      'https://support.zendesk.com/hc/en-us/articles/9182123625370',
      'https://developer.zendesk.com/api-reference/introduction/pagination/',
      'https://developer.zendesk.com/api-reference/introduction/rate-limits/',
    ],
    // Webhooks: X-Zendesk-Webhook-Signature, base64 HMAC over timestamp + body (no Junction scheme yet).
    calls: {
      pagination: {
        style: 'cursor',
        cursorParam: 'page[after]',
        nextCursorPath: 'meta.after_cursor',
        hasMorePath: 'meta.has_more',
        itemsPath: 'tickets',
        limitParam: 'page[size]',
      },
    },
  },
};
