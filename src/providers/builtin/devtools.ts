import type { BuiltinDeclaration } from './types';

/** Developer tools: GitHub, GitLab, Bitbucket, Linear, Jira. */
export const DEVTOOLS_PROVIDERS: Record<string, BuiltinDeclaration> = {
  github: {
    displayName: 'GitHub',
    auth: {
      mode: 'oauth2',
      authorizationUrl: 'https://github.com/login/oauth/authorize',
      tokenUrl: 'https://github.com/login/oauth/access_token',
      tokenEndpointAuthMethod: 'client_secret_post',
      pkce: true,
      // GitHub App user tokens expire after 8 hours; each refresh answers a new refresh token (valid 6
      // months) and the one used stops working. OAuth App tokens do not expire.
      rotatesRefreshTokens: true,
      idleRefreshSeconds: 7 * 24 * 3600,
    },
    apiBaseUrl: 'https://api.github.com',
    docsUrl: 'https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps',
    references: [
      'https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps',
      'https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens',
      'https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api',
      'https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api',
      'https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries',
    ],
    webhookScheme: 'github',
    // An exhausted quota is answered 403 or 429 with x-ratelimit-remaining 0.
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
  gitlab: {
    displayName: 'GitLab',
    auth: {
      mode: 'oauth2',
      authorizationUrl: 'https://gitlab.com/oauth/authorize',
      tokenUrl: 'https://gitlab.com/oauth/token',
      revocationUrl: 'https://gitlab.com/oauth/revoke',
      tokenEndpointAuthMethod: 'client_secret_post',
      pkce: true,
      // Access tokens live two hours; a refresh answers a new refresh token and revokes the old one.
      rotatesRefreshTokens: true,
    },
    apiBaseUrl: 'https://gitlab.com/api/v4',
    docsUrl: 'https://docs.gitlab.com/api/oauth2/',
    references: [
      'https://docs.gitlab.com/api/oauth2/',
      'https://docs.gitlab.com/api/rest/#pagination',
      'https://docs.gitlab.com/user/gitlab_com/#rate-limits-on-gitlabcom',
    ],
    // GitLab webhooks carry a plain shared token (X-Gitlab-Token), not a signature: no Junction scheme.
    calls: {
      rateLimit: {
        quotaHeaders: {
          remainingHeader: 'ratelimit-remaining',
          resetHeader: 'ratelimit-reset',
          resetFormat: 'epoch-seconds',
        },
      },
      pagination: { style: 'link', limitParam: 'per_page' },
    },
  },
  bitbucket: {
    displayName: 'Bitbucket Cloud',
    auth: {
      mode: 'oauth2',
      authorizationUrl: 'https://bitbucket.org/site/oauth2/authorize',
      tokenUrl: 'https://bitbucket.org/site/oauth2/access_token',
      // The documented token requests authenticate the consumer with HTTP Basic (curl -u key:secret).
      tokenEndpointAuthMethod: 'client_secret_basic',
      // PKCE is not mentioned in Bitbucket Cloud's OAuth documentation: not sent.
      pkce: false,
      // Access tokens expire after two hours. Whether a refresh rotates the refresh token is not stated.
    },
    apiBaseUrl: 'https://api.bitbucket.org/2.0',
    docsUrl: 'https://developer.atlassian.com/cloud/bitbucket/rest/intro/#oauth-2-0',
    references: [
      'https://developer.atlassian.com/cloud/bitbucket/rest/intro/#oauth-2-0',
      'https://developer.atlassian.com/cloud/bitbucket/rest/intro/#pagination',
    ],
    // Paged responses: `values`, `page`, `pagelen` and a `next` URL.
    calls: { pagination: { style: 'page', pageParam: 'page', itemsPath: 'values', limitParam: 'pagelen' } },
  },
  linear: {
    displayName: 'Linear',
    auth: {
      mode: 'oauth2',
      authorizationUrl: 'https://linear.app/oauth/authorize',
      tokenUrl: 'https://api.linear.app/oauth/token',
      revocationUrl: 'https://api.linear.app/oauth/revoke',
      tokenEndpointAuthMethod: 'client_secret_post',
      pkce: true,
      // "scope: comma separated list of scopes".
      scopeSeparator: ',',
      scopes: ['read'],
      // Whether Linear's refresh tokens rotate is not confirmed in the pages checked; Junction keeps any
      // new refresh token a refresh answers.
    },
    // GraphQL: Relay-style cursors inside the query, not a pagination style of the HTTP layer.
    apiBaseUrl: 'https://api.linear.app/graphql',
    docsUrl: 'https://linear.app/developers/oauth-2-0-authentication',
    references: [
      'https://linear.app/developers/oauth-2-0-authentication',
      'https://linear.app/developers/rate-limiting',
    ],
    // Linear-Signature is a hex HMAC of the body with no Junction scheme yet.
    calls: {
      rateLimit: {
        quotaHeaders: {
          remainingHeader: 'x-ratelimit-requests-remaining',
          resetHeader: 'x-ratelimit-requests-reset',
          resetFormat: 'epoch-ms',
        },
      },
    },
  },
  jira: {
    displayName: 'Jira (Atlassian Cloud)',
    auth: {
      mode: 'oauth2',
      authorizationUrl: 'https://auth.atlassian.com/authorize',
      tokenUrl: 'https://auth.atlassian.com/oauth/token',
      tokenEndpointAuthMethod: 'client_secret_post',
      // PKCE is not part of Atlassian's documented 3LO flow: not sent.
      pkce: false,
      // The authorization URL must carry audience=api.atlassian.com and prompt=consent.
      authorizationParams: { audience: 'api.atlassian.com', prompt: 'consent' },
      // A refresh token only with `offline_access`; refresh tokens rotate (a new one on every refresh).
      scopes: ['offline_access'],
      rotatesRefreshTokens: true,
    },
    // Calls go through the gateway: /ex/jira/{cloudid}/rest/api/3/… (cloudid from accessible-resources).
    apiBaseUrl: 'https://api.atlassian.com',
    docsUrl: 'https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/',
    references: [
      'https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/',
      'https://developer.atlassian.com/cloud/oauth/getting-started/refresh-tokens',
      'https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/#pagination',
    ],
    // Offset pagination: startAt / maxResults / total; the items key differs per resource (`values`, `issues`).
    calls: {
      pagination: {
        style: 'offset',
        offsetParam: 'startAt',
        limitParam: 'maxResults',
        itemsPath: 'values',
        totalPath: 'total',
      },
    },
  },
};
