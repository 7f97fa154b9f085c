import type { BuiltinDeclaration } from './types';

/** Commerce, payments and accounting: Shopify, Stripe, Xero, QuickBooks Online. */
export const COMMERCE_PROVIDERS: Record<string, BuiltinDeclaration> = {
  shopify: {
    displayName: 'Shopify',
    connectionParams: {
      shop: { description: 'the shop name, as in https://<shop>.myshopify.com', example: 'acme' },
    },
    auth: {
      mode: 'oauth2',
      authorizationUrl: 'https://{shop}.myshopify.com/admin/oauth/authorize',
      tokenUrl: 'https://{shop}.myshopify.com/admin/oauth/access_token',
      // client_id and client_secret travel in the body of the token request.
      tokenEndpointAuthMethod: 'client_secret_post',
      // "scope: a comma-separated list of scopes".
      scopeSeparator: ',',
      // PKCE is not part of Shopify's authorization-code grant: not sent.
      pkce: false,
    },
    apiBaseUrl: 'https://{shop}.myshopify.com/admin/api',
    docsUrl:
      'https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant',
    references: [
      'https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant',
      'https://shopify.dev/changelog/offline-access-tokens-now-support-expiry-and-refresh',
      'https://shopify.dev/docs/api/usage/pagination-rest',
      'https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook',
    ],
    webhookScheme: 'shopify',
    // The REST call limit is a leaky bucket reported as X-Shopify-Shop-Api-Call-Limit ("32/40"), which the
    // quota headers cannot read; Junction relies on 429 + Retry-After.
    calls: { pagination: { style: 'link', limitParam: 'limit' } },
  },
  stripe: {
    displayName: 'Stripe',
    auth: { mode: 'api_key', header: 'authorization', prefix: 'Bearer ' },
    apiBaseUrl: 'https://api.stripe.com',
    docsUrl: 'https://docs.stripe.com/api/authentication',
    references: [
      'https://docs.stripe.com/api/authentication',
      'https://docs.stripe.com/api/pagination',
      'https://docs.stripe.com/rate-limits',
      'https://docs.stripe.com/webhooks#verify-events',
    ],
    webhookScheme: 'stripe',
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
  xero: {
    displayName: 'Xero',
    auth: {
      mode: 'oauth2',
      authorizationUrl: 'https://login.xero.com/identity/connect/authorize',
      tokenUrl: 'https://identity.xero.com/connect/token',
      revocationUrl: 'https://identity.xero.com/connect/revocation',
      // "authorization: Basic base64encode(client_id:client_secret)".
      tokenEndpointAuthMethod: 'client_secret_basic',
      pkce: true,
      // A refresh token only with `offline_access`. Refresh tokens rotate; the previous one is still
      // accepted for a 30-minute grace period.
      scopes: ['offline_access'],
      rotatesRefreshTokens: true,
      refreshTokenReuseGraceSeconds: 1800,
    },
    // Calls name the organisation in a `xero-tenant-id` header (from GET https://api.xero.com/connections).
    apiBaseUrl: 'https://api.xero.com',
    docsUrl: 'https://developer.xero.com/documentation/guides/oauth2/auth-flow',
    references: [
      'https://developer.xero.com/documentation/guides/oauth2/auth-flow',
      'https://developer.xero.com/documentation/guides/oauth2/pkce-flow',
      'https://developer.xero.com/documentation/guides/oauth2/limits',
    ],
    // Webhooks: x-xero-signature, a base64 HMAC-SHA256 of the body (no Junction scheme yet). Rate limits
    // report X-MinLimit-Remaining / X-DayLimit-Remaining without a reset time; a 429 carries Retry-After.
    calls: { pagination: { style: 'page', pageParam: 'page', firstPage: 1 } },
  },
  quickbooks: {
    displayName: 'QuickBooks Online',
    auth: {
      mode: 'oauth2',
      authorizationUrl: 'https://appcenter.intuit.com/connect/oauth2',
      tokenUrl: 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
      revocationUrl: 'https://developer.api.intuit.com/v2/oauth2/tokens/revoke',
      // "Authorization: Basic <base64(client_id:client_secret)>".
      tokenEndpointAuthMethod: 'client_secret_basic',
      // PKCE is not mentioned in Intuit's OAuth 2.0 guide for server apps: not sent.
      pkce: false,
      scopes: ['com.intuit.quickbooks.accounting'],
      // Access tokens live one hour; the refresh token value changes over time (Intuit: always keep the
      // latest one answered). Refresh tokens lapse after 100 days unused.
      rotatesRefreshTokens: true,
      idleRefreshSeconds: 7 * 24 * 3600,
    },
    // The company (realmId) arrives on the callback and goes in the path: /v3/company/{realmId}/….
    apiBaseUrl: 'https://quickbooks.api.intuit.com',
    docsUrl:
      'https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0',
    references: [
      'https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0',
      'https://developer.intuit.com/app/developer/qbo/docs/learn/rest-api-features#limits-and-throttles',
    ],
    // 500 requests per minute per company; queries page with STARTPOSITION / MAXRESULTS in the query text.
    // Webhooks: intuit-signature, a base64 HMAC-SHA256 of the body (no Junction scheme yet).
    calls: { rateLimit: { perConnectionPerSecond: 8 } },
  },
};
