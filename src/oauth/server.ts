import type { webcrypto } from 'node:crypto';
import type { AuthorizationServer, Client, ClientAuth } from 'oauth4webapi' with {
  'resolution-mode': 'import',
};
import type { OAuthAuth, ProviderClient, ProviderDeclaration } from '../providers/schema';
import { isLoopbackUrl } from '../providers/schema';
import type { ConnectionSecrets } from '../shared/connectionContract';
import type { OutboundFetch } from '../network/outbound';
import { loadJose, loadOAuth, type OAuthLib } from './lib';

/** The provider's authorization server metadata (RFC 8414 fields), from the declaration. */
export function authorizationServer(
  provider: ProviderDeclaration & { auth: OAuthAuth },
): AuthorizationServer {
  const auth = provider.auth;
  return {
    issuer: auth.issuer ?? new URL(auth.tokenUrl).origin,
    token_endpoint: auth.tokenUrl,
    ...(auth.mode === 'oauth2' ? { authorization_endpoint: auth.authorizationUrl } : {}),
    ...(auth.revocationUrl ? { revocation_endpoint: auth.revocationUrl } : {}),
  };
}

/** How a protocol request is sent: within a bounded wait, through the outbound network policy's fetch. */
export interface ProtocolRequestSettings {
  timeoutMs: number;
  fetch: OutboundFetch;
}

/**
 * Options every protocol request shares: http only for loopback providers, a bounded wait, and the outbound
 * fetch (oauth4webapi's `customFetch`), so token and revocation requests are checked at dial time too.
 */
export function requestOptions(lib: OAuthLib, url: string, settings: ProtocolRequestSettings) {
  return {
    [lib.allowInsecureRequests]: isLoopbackUrl(url),
    [lib.customFetch]: settings.fetch,
    signal: AbortSignal.timeout(settings.timeoutMs),
  };
}

/** Token types besides bearer that providers return (Slack: `bot`, `user`); used like bearer tokens. */
export const RECOGNIZED_TOKEN_TYPES = { bot: () => undefined, user: () => undefined };

export interface ResolvedClient {
  client: Client;
  clientAuth: ClientAuth;
}

/**
 * The OAuth client and its token endpoint authentication (RFC 6749 §2.3; private_key_jwt: RFC 7523 §2.2,
 * signed by oauth4webapi with a key jose imports). The connection's own client wins over the provider's.
 */
export async function resolveClient(
  provider: ProviderDeclaration & { auth: OAuthAuth },
  secrets: ConnectionSecrets = {},
): Promise<ResolvedClient> {
  const lib = await loadOAuth();
  const configured: Partial<ProviderClient> = provider.client ?? {};
  const clientId = secrets.clientId ?? configured.clientId;
  if (!clientId) throw new Error(`provider "${provider.id}" has no OAuth client id configured`);
  const clientSecret = secrets.clientSecret ?? configured.clientSecret;
  const privateKey = secrets.privateKey ?? configured.privateKey;
  const keyId = secrets.keyId ?? configured.keyId;
  const client: Client = { client_id: clientId };
  switch (provider.auth.tokenEndpointAuthMethod) {
    case 'client_secret_basic':
      if (!clientSecret) throw new Error(`provider "${provider.id}": no client secret`);
      return { client, clientAuth: lib.ClientSecretBasic(clientSecret) };
    case 'client_secret_post':
      if (!clientSecret) throw new Error(`provider "${provider.id}": no client secret`);
      return { client, clientAuth: lib.ClientSecretPost(clientSecret) };
    case 'private_key_jwt': {
      if (!privateKey) throw new Error(`provider "${provider.id}": no private key for private_key_jwt`);
      const key = await importSigningKey(privateKey, 'RS256');
      return { client, clientAuth: lib.PrivateKeyJwt({ key, kid: keyId }) };
    }
    case 'none':
      return { client, clientAuth: lib.None() };
  }
}

/** A PKCS#8 PEM private key as a CryptoKey for the given JWS algorithm. */
export async function importSigningKey(pem: string, algorithm: string): Promise<webcrypto.CryptoKey> {
  const jose = await loadJose();
  return jose.importPKCS8(pem, algorithm);
}
