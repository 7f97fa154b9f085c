import type { BuiltinDeclaration } from './types';

/** Work management and scheduling: Notion, Asana, Airtable, Calendly, DocuSign. */
export const PRODUCTIVITY_PROVIDERS: Record<string, BuiltinDeclaration> = {
  notion: {
    displayName: 'Notion',
    auth: {
      mode: 'oauth2',
      authorizationUrl: 'https://api.notion.com/v1/oauth/authorize',
      tokenUrl: 'https://api.notion.com/v1/oauth/token',
      // "HTTP Basic Authentication … client ID and client secret" on the token request.
      tokenEndpointAuthMethod: 'client_secret_basic',
      // PKCE is not mentioned in Notion's authorization guide: not sent. No scopes: access is chosen on the
      // consent page.
      pkce: false,
      authorizationParams: { owner: 'user' },
    },
    // Every call also needs a `Notion-Version` header, which a declaration cannot add yet: actions set it.
    apiBaseUrl: 'https://api.notion.com/v1',
    docsUrl: 'https://developers.notion.com/docs/authorization',
    references: [
      'https://developers.notion.com/docs/authorization',
      'https://developers.notion.com/reference/pagination',
      'https://developers.notion.com/reference/request-limits',
    ],
    // "An average of three requests per second" per integration.
    calls: {
      rateLimit: { perSecond: 3, mode: 'average' },
      pagination: {
        style: 'cursor',
        cursorParam: 'start_cursor',
        nextCursorPath: 'next_cursor',
        hasMorePath: 'has_more',
        itemsPath: 'results',
        limitParam: 'page_size',
      },
    },
  },
  asana: {
    displayName: 'Asana',
    auth: {
      mode: 'oauth2',
      authorizationUrl: 'https://app.asana.com/-/oauth_authorize',
      tokenUrl: 'https://app.asana.com/-/oauth_token',
      revocationUrl: 'https://app.asana.com/-/oauth_revoke',
      tokenEndpointAuthMethod: 'client_secret_post',
      pkce: true,
      // Access tokens live one hour; the refresh token is long-lived and stays the same.
      rotatesRefreshTokens: false,
    },
    apiBaseUrl: 'https://app.asana.com/api/1.0',
    docsUrl: 'https://developers.asana.com/docs/oauth',
    references: [
      'https://developers.asana.com/docs/oauth',
      'https://developers.asana.com/docs/pagination',
      'https://developers.asana.com/docs/rate-limits',
    ],
    // Webhooks: X-Hook-Signature, a hex HMAC of the body with the handshake secret (no Junction scheme yet).
    calls: {
      pagination: {
        style: 'cursor',
        cursorParam: 'offset',
        nextCursorPath: 'next_page.offset',
        itemsPath: 'data',
        limitParam: 'limit',
      },
    },
  },
  airtable: {
    displayName: 'Airtable',
    auth: {
      mode: 'oauth2',
      authorizationUrl: 'https://airtable.com/oauth2/v1/authorize',
      tokenUrl: 'https://airtable.com/oauth2/v1/token',
      // With a client secret, the token request authenticates with HTTP Basic.
      tokenEndpointAuthMethod: 'client_secret_basic',
      // PKCE (S256) is required.
      pkce: true,
      // Access tokens live 60 minutes; a refresh token is single use: each refresh answers a new one.
      rotatesRefreshTokens: true,
    },
    apiBaseUrl: 'https://api.airtable.com/v0',
    docsUrl: 'https://airtable.com/developers/web/api/oauth-reference',
    references: [
      'https://airtable.com/developers/web/api/oauth-reference',
      'https://airtable.com/developers/web/api/rate-limits',
      'https://airtable.com/developers/web/api/list-records',
    ],
    // Five requests per second per base (not per connection): a 429 asks for 30 s of quiet.
    calls: {
      pagination: {
        style: 'cursor',
        cursorParam: 'offset',
        nextCursorPath: 'offset',
        itemsPath: 'records',
        limitParam: 'pageSize',
      },
    },
  },
  calendly: {
    displayName: 'Calendly',
    auth: {
      mode: 'oauth2',
      authorizationUrl: 'https://auth.calendly.com/oauth/authorize',
      tokenUrl: 'https://auth.calendly.com/oauth/token',
      revocationUrl: 'https://auth.calendly.com/oauth/revoke',
      tokenEndpointAuthMethod: 'client_secret_post',
      // "For all OAuth applications … a Proof Key for Code Exchange (PKCE), and S256".
      pkce: true,
      // Access tokens live two hours; refresh tokens are single use and rotate on every refresh.
      rotatesRefreshTokens: true,
    },
    apiBaseUrl: 'https://api.calendly.com',
    docsUrl: 'https://developer.calendly.com/creating-an-oauth-app',
    references: [
      'https://developer.calendly.com/creating-an-oauth-app',
      'https://developer.calendly.com/refresh-token-rotation-guide',
      'https://developer.calendly.com/how-to-access-calendly-data-on-behalf-of-authenticated-users',
    ],
    // Webhooks: Calendly-Webhook-Signature `t=…,v1=…` (HMAC-SHA256): no Junction scheme yet.
    calls: {
      pagination: {
        style: 'cursor',
        cursorParam: 'page_token',
        nextCursorPath: 'pagination.next_page_token',
        itemsPath: 'collection',
        limitParam: 'count',
      },
    },
  },
  docusign: {
    displayName: 'DocuSign eSignature',
    connectionParams: {
      server: {
        description:
          "the account's eSignature server, from base_uri of /oauth/userinfo (https://<server>.docusign.net)",
        example: 'na3',
      },
    },
    auth: {
      mode: 'oauth2',
      // Production; developer accounts use account-d.docusign.com (configure the URLs to override).
      authorizationUrl: 'https://account.docusign.com/oauth/auth',
      tokenUrl: 'https://account.docusign.com/oauth/token',
      // "Authorization: Basic BASE64_COMBINATION_OF_INTEGRATION_AND_SECRET_KEYS".
      tokenEndpointAuthMethod: 'client_secret_basic',
      pkce: true,
      // `extended` keeps extending the refresh token's lifetime on each refresh.
      scopes: ['signature', 'extended'],
      // Each refresh answers a new refresh token; whether the old one stays valid is not stated.
      rotatesRefreshTokens: true,
    },
    apiBaseUrl: 'https://{server}.docusign.net/restapi',
    docsUrl: 'https://developers.docusign.com/platform/auth/authcode/authcode-get-token/',
    references: [
      'https://developers.docusign.com/platform/auth/authcode/authcode-get-token/',
      'https://developers.docusign.com/platform/auth/reference/obtain-access-token/',
      'https://developers.docusign.com/platform/account/rules-and-limits/',
    ],
    // DocuSign Connect HMAC (X-DocuSign-Signature-1, base64) has no Junction scheme yet.
    calls: {
      rateLimit: {
        quotaHeaders: {
          remainingHeader: 'x-ratelimit-remaining',
          resetHeader: 'x-ratelimit-reset',
          resetFormat: 'epoch-seconds',
        },
      },
      pagination: {
        style: 'offset',
        offsetParam: 'start_position',
        limitParam: 'count',
        itemsPath: 'envelopes',
        totalPath: 'totalSetSize',
      },
    },
  },
};
