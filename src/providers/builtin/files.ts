import type { BuiltinDeclaration } from './types';

/** File storage: Dropbox, Box. */
export const FILE_PROVIDERS: Record<string, BuiltinDeclaration> = {
  dropbox: {
    displayName: 'Dropbox',
    auth: {
      mode: 'oauth2',
      authorizationUrl: 'https://www.dropbox.com/oauth2/authorize',
      tokenUrl: 'https://api.dropboxapi.com/oauth2/token',
      // Dropbox accepts the app key and secret as HTTP Basic or in the body; Basic is used.
      tokenEndpointAuthMethod: 'client_secret_basic',
      pkce: true,
      // Short-lived access tokens; a refresh token only with token_access_type=offline. The refresh token
      // does not expire and is not rotated. (Revocation is /2/auth/token/revoke with the access token, not
      // RFC 7009, so no revocationUrl.)
      authorizationParams: { token_access_type: 'offline' },
      rotatesRefreshTokens: false,
    },
    // RPC-style endpoints: listing continues with POST …/continue and a cursor, not a query parameter.
    apiBaseUrl: 'https://api.dropboxapi.com/2',
    docsUrl: 'https://developers.dropbox.com/oauth-guide',
    references: [
      'https://developers.dropbox.com/oauth-guide',
      'https://www.dropbox.com/developers/documentation/http/documentation#oauth2-token',
      'https://www.dropbox.com/developers/reference/webhooks',
    ],
    // Webhooks: X-Dropbox-Signature, a hex HMAC-SHA256 of the body with the app secret (no scheme yet).
  },
  box: {
    displayName: 'Box',
    auth: {
      mode: 'oauth2',
      authorizationUrl: 'https://account.box.com/api/oauth2/authorize',
      tokenUrl: 'https://api.box.com/oauth2/token',
      revocationUrl: 'https://api.box.com/oauth2/revoke',
      tokenEndpointAuthMethod: 'client_secret_post',
      // PKCE is not mentioned in Box's OAuth 2.0 guide: not sent.
      pkce: false,
      // Access tokens live 60 minutes; a refresh token is single use (valid 60 days): each refresh answers
      // a new one.
      rotatesRefreshTokens: true,
    },
    apiBaseUrl: 'https://api.box.com/2.0',
    docsUrl: 'https://developer.box.com/guides/authentication/oauth2/',
    references: [
      'https://developer.box.com/guides/authentication/oauth2/',
      'https://developer.box.com/guides/authentication/tokens/refresh/',
      'https://developer.box.com/guides/api-calls/pagination/offset-based/',
    ],
    // Webhooks: box-signature-primary / -secondary (HMAC-SHA256 over body + timestamp): no scheme yet.
    calls: {
      pagination: {
        style: 'offset',
        offsetParam: 'offset',
        limitParam: 'limit',
        itemsPath: 'entries',
        totalPath: 'total_count',
      },
    },
  },
};
