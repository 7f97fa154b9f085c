import { randomUUID } from 'node:crypto';
import type { TokenEndpointResponse } from 'oauth4webapi' with { 'resolution-mode': 'import' };
import type { OAuthAuth, ProviderDeclaration } from '../providers/schema';
import type {
  CodeExchangeInput,
  ConnectionSecrets,
  TokenGrantResult,
  TokenRequestInput,
} from '../shared/connectionContract';
import { loadJose, loadOAuth } from './lib';
import {
  RECOGNIZED_TOKEN_TYPES,
  authorizationServer,
  importSigningKey,
  requestOptions,
  resolveClient,
  type ProtocolRequestSettings,
} from './server';

export type OAuthProvider = ProviderDeclaration & { auth: OAuthAuth };

/** The RFC 7523 grant type. */
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export function isOAuthProvider(provider: ProviderDeclaration): provider is OAuthProvider {
  return 'tokenUrl' in provider.auth;
}

function toGrantResult(
  provider: OAuthProvider,
  response: TokenEndpointResponse,
  now: number,
): TokenGrantResult {
  const fromToken = provider.apiBaseUrlFromToken ? response[provider.apiBaseUrlFromToken] : undefined;
  return {
    accessToken: response.access_token,
    tokenType: response.token_type,
    refreshToken: response.refresh_token,
    expiresAt: typeof response.expires_in === 'number' ? now + response.expires_in * 1000 : undefined,
    scopes: typeof response.scope === 'string' ? response.scope.split(/[\s,]+/).filter(Boolean) : undefined,
    apiBaseUrl: typeof fromToken === 'string' ? fromToken : undefined,
  };
}

function scopeParams(provider: OAuthProvider, scopes: string[]): Record<string, string> {
  return scopes.length > 0 ? { scope: scopes.join(provider.auth.scopeSeparator) } : {};
}

/** An RFC 7523 §3 assertion: iss, sub, aud, exp, iat and a unique jti, signed by jose. */
async function signAssertion(
  provider: OAuthProvider,
  secrets: ConnectionSecrets,
  scopes: string[],
  now: number,
) {
  if (provider.auth.mode !== 'jwt_bearer') throw new Error('not a JWT bearer provider');
  const auth = provider.auth;
  if (!secrets.assertionIssuer || !secrets.assertionPrivateKey) {
    throw new Error('a JWT bearer connection needs an assertion issuer and private key');
  }
  const jose = await loadJose();
  const key = await importSigningKey(secrets.assertionPrivateKey, auth.signingAlgorithm);
  const seconds = Math.floor(now / 1000);
  const claims: Record<string, unknown> = {};
  if (auth.scopesIn === 'assertion' && scopes.length > 0) claims.scope = scopes.join(auth.scopeSeparator);
  return new jose.SignJWT(claims)
    .setProtectedHeader({
      alg: auth.signingAlgorithm,
      ...(secrets.assertionKeyId ? { kid: secrets.assertionKeyId } : {}),
    })
    .setIssuer(secrets.assertionIssuer)
    .setSubject(secrets.assertionSubject ?? secrets.assertionIssuer)
    .setAudience(auth.audience ?? auth.tokenUrl)
    .setIssuedAt(seconds)
    .setExpirationTime(seconds + auth.assertionLifetimeSeconds)
    .setJti(randomUUID())
    .sign(key);
}

/**
 * One token request for a connection: refresh_token (RFC 6749 §6), client_credentials (§4.4) or the JWT
 * bearer grant (RFC 7523 §2.1). Built on oauth4webapi, which also validates the response.
 */
export async function requestTokenGrant(
  provider: OAuthProvider,
  input: TokenRequestInput,
  options: ProtocolRequestSettings & { now: () => number },
): Promise<TokenGrantResult> {
  const lib = await loadOAuth();
  const as = authorizationServer(provider);
  const { client, clientAuth } = await resolveClient(provider, input.secrets);
  const requestOpts = {
    ...requestOptions(lib, provider.auth.tokenUrl, options),
    additionalParameters: provider.auth.tokenParams,
  };
  const processOpts = { recognizedTokenTypes: RECOGNIZED_TOKEN_TYPES };
  const started = options.now();
  switch (input.grant) {
    case 'refresh_token': {
      if (!input.secrets.refreshToken) throw new Error('the connection has no refresh token');
      const response = await lib.refreshTokenGrantRequest(
        as,
        client,
        clientAuth,
        input.secrets.refreshToken,
        requestOpts,
      );
      return toGrantResult(
        provider,
        await lib.processRefreshTokenResponse(as, client, response, processOpts),
        started,
      );
    }
    case 'client_credentials': {
      const params = { ...provider.auth.tokenParams, ...scopeParams(provider, input.scopes) };
      const response = await lib.clientCredentialsGrantRequest(
        as,
        client,
        clientAuth,
        params,
        requestOptions(lib, provider.auth.tokenUrl, options),
      );
      return toGrantResult(
        provider,
        await lib.processClientCredentialsResponse(as, client, response, processOpts),
        started,
      );
    }
    case 'jwt_bearer': {
      const assertion = await signAssertion(provider, input.secrets, input.scopes, started);
      const inParameter = provider.auth.mode === 'jwt_bearer' && provider.auth.scopesIn === 'parameter';
      const params = {
        ...provider.auth.tokenParams,
        assertion,
        ...(inParameter ? scopeParams(provider, input.scopes) : {}),
      };
      const response = await lib.genericTokenEndpointRequest(
        as,
        client,
        clientAuth,
        JWT_BEARER_GRANT,
        params,
        requestOptions(lib, provider.auth.tokenUrl, options),
      );
      return toGrantResult(
        provider,
        await lib.processGenericTokenEndpointResponse(as, client, response, processOpts),
        started,
      );
    }
  }
}

/**
 * Exchanges an authorization code (RFC 6749 §4.1.3) with the PKCE verifier (RFC 7636 §4.5). The server
 * verified the callback's signed `state` and found this pending authorization by the id inside it, so the
 * state check is done; oauth4webapi handles `error` responses and the RFC 9207 `iss` check.
 */
export async function exchangeAuthorizationCode(
  provider: OAuthProvider,
  input: CodeExchangeInput,
  options: ProtocolRequestSettings & { now: () => number },
): Promise<TokenGrantResult> {
  const lib = await loadOAuth();
  const as = authorizationServer(provider);
  const { client, clientAuth } = await resolveClient(provider);
  const params = lib.validateAuthResponse(
    as,
    client,
    new URLSearchParams(input.callbackQuery),
    lib.skipStateCheck,
  );
  const started = options.now();
  const response = await lib.authorizationCodeGrantRequest(
    as,
    client,
    clientAuth,
    params,
    input.redirectUri,
    input.codeVerifier ?? lib.nopkce,
    {
      ...requestOptions(lib, provider.auth.tokenUrl, options),
      additionalParameters: provider.auth.tokenParams,
    },
  );
  const result = await lib.processAuthorizationCodeResponse(as, client, response, {
    recognizedTokenTypes: RECOGNIZED_TOKEN_TYPES,
    requireIdToken: false,
  });
  return toGrantResult(provider, result, started);
}

/**
 * Revokes the refresh token (or, without one, the access token) at the provider (RFC 7009). Returns false
 * when the provider declares no revocation endpoint.
 */
export async function revokeAtProvider(
  provider: OAuthProvider,
  secrets: ConnectionSecrets,
  options: ProtocolRequestSettings,
): Promise<boolean> {
  const token = secrets.refreshToken ?? secrets.accessToken;
  if (!provider.auth.revocationUrl || !token) return false;
  const lib = await loadOAuth();
  const as = authorizationServer(provider);
  const { client, clientAuth } = await resolveClient(provider, secrets);
  const response = await lib.revocationRequest(as, client, clientAuth, token, {
    ...requestOptions(lib, provider.auth.revocationUrl, options),
    additionalParameters: { token_type_hint: secrets.refreshToken ? 'refresh_token' : 'access_token' },
  });
  await lib.processRevocationResponse(response);
  return true;
}
