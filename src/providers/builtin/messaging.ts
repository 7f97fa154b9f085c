import type { BuiltinDeclaration } from './types';

/** Messaging and communication: Slack, Discord, Zoom, Twilio, SendGrid, Mailchimp. */
export const MESSAGING_PROVIDERS: Record<string, BuiltinDeclaration> = {
  slack: {
    displayName: 'Slack',
    auth: {
      mode: 'oauth2',
      authorizationUrl: 'https://slack.com/oauth/v2/authorize',
      tokenUrl: 'https://slack.com/api/oauth.v2.access',
      tokenEndpointAuthMethod: 'client_secret_post',
      scopeSeparator: ',',
      pkce: false,
      // Tokens do not expire unless the app turns on token rotation; then they last 12 hours and each
      // refresh answers a new refresh token.
    },
    apiBaseUrl: 'https://slack.com/api',
    docsUrl: 'https://api.slack.com/authentication/oauth-v2',
    references: [
      'https://api.slack.com/authentication/oauth-v2',
      'https://api.slack.com/authentication/rotation',
      'https://api.slack.com/docs/pagination',
      'https://api.slack.com/authentication/verifying-requests-from-slack',
    ],
    webhookScheme: 'slack',
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
  discord: {
    displayName: 'Discord',
    auth: {
      mode: 'oauth2',
      authorizationUrl: 'https://discord.com/oauth2/authorize',
      tokenUrl: 'https://discord.com/api/oauth2/token',
      revocationUrl: 'https://discord.com/api/oauth2/token/revoke',
      // The documented token exchange authenticates the application with HTTP Basic.
      tokenEndpointAuthMethod: 'client_secret_basic',
      // PKCE is not mentioned in Discord's OAuth2 documentation: not sent.
      pkce: false,
      scopes: ['identify'],
    },
    apiBaseUrl: 'https://discord.com/api/v10',
    docsUrl: 'https://discord.com/developers/docs/topics/oauth2',
    references: [
      'https://discord.com/developers/docs/topics/oauth2',
      'https://discord.com/developers/docs/topics/rate-limits',
    ],
    // Interactions are signed with Ed25519 (X-Signature-Ed25519): no Junction scheme yet.
    calls: {
      rateLimit: {
        quotaHeaders: {
          remainingHeader: 'x-ratelimit-remaining',
          resetHeader: 'x-ratelimit-reset-after',
          resetFormat: 'delta-seconds',
        },
      },
      // Lists page by snowflake id: `after` = the last item's id; the body is the array itself.
      pagination: {
        style: 'cursor',
        cursorParam: 'after',
        nextCursorFromLastItem: 'id',
        itemsPath: '',
        limitParam: 'limit',
      },
    },
  },
  zoom: {
    displayName: 'Zoom',
    auth: {
      mode: 'oauth2',
      authorizationUrl: 'https://zoom.us/oauth/authorize',
      tokenUrl: 'https://zoom.us/oauth/token',
      revocationUrl: 'https://zoom.us/oauth/revoke',
      // "Include a basic authorization header": Client ID and Client Secret, Base64 encoded.
      tokenEndpointAuthMethod: 'client_secret_basic',
      pkce: true,
      // Access tokens live one hour; each refresh answers a new refresh token and the old one stops working.
      rotatesRefreshTokens: true,
    },
    apiBaseUrl: 'https://api.zoom.us/v2',
    docsUrl: 'https://developers.zoom.us/docs/integrations/oauth/',
    references: [
      'https://developers.zoom.us/docs/integrations/oauth/',
      'https://developers.zoom.us/docs/api/rest/rate-limits/',
      'https://developers.zoom.us/docs/api/rest/using-zoom-apis/#pagination',
    ],
    // Webhooks: x-zm-signature `v0=` HMAC over `v0:{timestamp}:{body}`: no Junction scheme yet.
    calls: {
      pagination: {
        style: 'cursor',
        cursorParam: 'next_page_token',
        nextCursorPath: 'next_page_token',
        itemsPath: 'meetings',
        limitParam: 'page_size',
      },
    },
  },
  twilio: {
    displayName: 'Twilio',
    // HTTP Basic: the Account SID (or an API key SID) as user name, the Auth Token (or key secret) as password.
    auth: { mode: 'basic' },
    apiBaseUrl: 'https://api.twilio.com/2010-04-01',
    docsUrl: 'https://www.twilio.com/docs/usage/requests-to-twilio',
    references: [
      'https://www.twilio.com/docs/usage/requests-to-twilio',
      'https://www.twilio.com/docs/usage/security#validating-requests',
    ],
    webhookScheme: 'twilio',
    // Lists answer `next_page_uri` (a path with a page token), which no pagination style reads yet.
  },
  sendgrid: {
    displayName: 'SendGrid',
    auth: { mode: 'api_key', header: 'authorization', prefix: 'Bearer ' },
    apiBaseUrl: 'https://api.sendgrid.com/v3',
    docsUrl:
      'https://www.twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/authentication',
    references: [
      'https://www.twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/authentication',
      'https://www.twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/rate-limits',
      'https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features',
    ],
    webhookScheme: 'sendgrid',
    calls: {
      rateLimit: {
        quotaHeaders: {
          remainingHeader: 'x-ratelimit-remaining',
          resetHeader: 'x-ratelimit-reset',
          resetFormat: 'epoch-seconds',
        },
      },
    },
  },
  mailchimp: {
    displayName: 'Mailchimp',
    connectionParams: {
      dc: {
        description:
          "the account's data centre: `dc` from https://login.mailchimp.com/oauth2/metadata after connecting",
        example: 'us6',
      },
    },
    auth: {
      mode: 'oauth2',
      authorizationUrl: 'https://login.mailchimp.com/oauth2/authorize',
      tokenUrl: 'https://login.mailchimp.com/oauth2/token',
      tokenEndpointAuthMethod: 'client_secret_post',
      // PKCE is not mentioned in Mailchimp's OAuth guide: not sent. Access tokens do not expire and no
      // refresh token is issued.
      pkce: false,
    },
    apiBaseUrl: 'https://{dc}.api.mailchimp.com/3.0',
    docsUrl: 'https://mailchimp.com/developer/marketing/guides/access-user-data-oauth-2/',
    references: [
      'https://mailchimp.com/developer/marketing/guides/access-user-data-oauth-2/',
      'https://mailchimp.com/developer/marketing/docs/methods-parameters/#pagination',
    ],
    // Webhooks are unsigned (a secret in the URL is the documented protection): no scheme.
    calls: {
      pagination: {
        style: 'offset',
        offsetParam: 'offset',
        limitParam: 'count',
        itemsPath: 'lists',
        totalPath: 'total_items',
      },
    },
  },
};
