import { LOOPBACK_CIDRS } from '../../src/network/destinations';
/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers of the HTTP API */
import { randomBytes } from 'node:crypto';
import { freePort } from '../../src/temporal/runtime';
import { startTestJunction, type TestJunction } from './junction';
import { newStandardSecret } from './sign';
import { rsaKeyPair, startOAuthServer, type OAuthServer } from './oauthServer';
import { startTarget, type Target } from './target';
import { uniqueName } from './temporal';

export const RETURN_TO = 'http://127.0.0.1:4999/app/';

export interface ConnectionsEnv {
  oauth: OAuthServer;
  junction: TestJunction;
  events: Target;
  adminKey: string;
  /** Secrets that must never show in logs or history (client secrets, keys, the events signing secret). */
  secrets: string[];
  /** The private key the OAuth server trusts for JWT bearer assertions from `svc-account`. */
  assertionPem: string;
  /** The raw config used (for starting more workers on the same task queue). */
  rawConfig: Record<string, unknown>;
  admin(method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; json: any }>;
  /** A connect link from `POST /connect/sessions`, as the application would get one for its user. */
  connectLink(provider: string, connectionId: string, returnTo?: string, scopes?: string[]): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A real OAuth server (oidc-provider) with the clients Junction's providers use, Junction (worker + HTTP
 * server) configured with those providers, and an HTTP receiver for connection events.
 */
export async function startConnectionsEnv(
  options: {
    fastTtl?: number;
    /** Seconds `web-fast` (provider `test-fast`) still accepts a rotated refresh token; none by default. */
    fastReuseGrace?: number;
    taskQueue?: string;
    historyEventLimit?: number;
    /** More provider declarations, given the OAuth server's issuer and the client-credentials client. */
    extraProviders?: (oauth: {
      issuer: string;
      clientId: string;
      clientSecret: string;
      /** The secret of the authorization-code clients (`web`, `web-fast`, `web-grace`). */
      webSecret: string;
    }) => Record<string, unknown>[];
    /** Provider ids to run provider-call workers for. */
    providerWorkers?: string[];
    /** More top-level configuration (webhook sources, delivery settings). */
    extraConfig?: Record<string, unknown>;
  } = {},
): Promise<ConnectionsEnv> {
  const port = await freePort();
  const junctionPort = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const junctionUrl = `http://127.0.0.1:${junctionPort}`;
  const webSecret = `web-${randomBytes(12).toString('hex')}`;
  const ccSecret = `cc-${randomBytes(12).toString('hex')}`;
  const adminKey = `admin-${randomBytes(16).toString('hex')}`;
  const eventsSigningSecret = newStandardSecret();
  const clientKey = rsaKeyPair('pkjwt-1');
  const assertionKey = rsaKeyPair('svc-1');
  const redirect = `${junctionUrl}/oauth/callback`;
  const oauth = await startOAuthServer({
    port,
    clients: [
      {
        client_id: 'web',
        client_secret: webSecret,
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [redirect],
        x_access_token_ttl: 30,
      },
      {
        client_id: 'web-fast',
        client_secret: webSecret,
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [redirect],
        x_access_token_ttl: options.fastTtl ?? 3,
        ...(options.fastReuseGrace ? { x_refresh_token_reuse_grace: options.fastReuseGrace } : {}),
      },
      {
        // Rotates refresh tokens like the others, but accepts the previous one for 60 s (Okta, Xero).
        client_id: 'web-grace',
        client_secret: webSecret,
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [redirect],
        x_access_token_ttl: 30,
        x_refresh_token_reuse_grace: 60,
      },
      {
        client_id: 'cc',
        client_secret: ccSecret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        x_access_token_ttl: 30,
      },
      {
        client_id: 'pkjwt',
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [clientKey.jwk] },
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        x_access_token_ttl: 30,
      },
      {
        client_id: 'svc-account',
        token_endpoint_auth_method: 'none',
        grant_types: ['urn:ietf:params:oauth:grant-type:jwt-bearer'],
        redirect_uris: [],
        response_types: [],
        x_access_token_ttl: 30,
      },
    ],
    assertionIssuers: [{ iss: 'svc-account', jwk: assertionKey.jwk }],
  });
  const events = await startTarget();
  const oauthAuth = (clientId: string, margin: number, reuseGrace?: number) => ({
    id: clientId === 'web' ? 'test-oauth' : 'test-fast',
    extends: 'oauth2',
    auth: {
      issuer,
      authorizationUrl: `${issuer}/auth`,
      tokenUrl: `${issuer}/token`,
      revocationUrl: `${issuer}/token/revocation`,
      scopes: ['api:read'],
      refreshMarginSeconds: margin,
      ...(reuseGrace ? { refreshTokenReuseGraceSeconds: reuseGrace } : {}),
    },
    apiBaseUrl: `${issuer}/api`,
    client: { clientId, clientSecret: webSecret },
  });
  const rawConfig = {
    server: { port: junctionPort },
    // Every peer here is on loopback: `server` and `worker` processes spawned from this config need it allowed.
    network: { allowPrivate: [...LOOPBACK_CIDRS] },
    temporal: { taskQueue: options.taskQueue ?? uniqueName('conn') },
    admin: { apiKeys: [adminKey] },
    connections: {
      ...(options.historyEventLimit ? { historyEventLimit: options.historyEventLimit } : {}),
      returnToAllowlist: [RETURN_TO],
      events: {
        url: `${events.url}/events`,
        headers: { authorization: 'Bearer app-events-token' },
        // Workers refuse to send to the application unsigned.
        signingSecrets: [eventsSigningSecret],
      },
    },
    providers: [
      oauthAuth('web', 5),
      oauthAuth('web-fast', 1, options.fastReuseGrace),
      {
        id: 'test-cc',
        auth: {
          mode: 'client_credentials',
          tokenUrl: `${issuer}/token`,
          scopes: ['api:read'],
          refreshMarginSeconds: 5,
        },
        apiBaseUrl: `${issuer}/api`,
        client: { clientId: 'cc', clientSecret: ccSecret },
      },
      {
        id: 'test-pkjwt',
        auth: {
          mode: 'client_credentials',
          issuer,
          tokenUrl: `${issuer}/token`,
          tokenEndpointAuthMethod: 'private_key_jwt',
          scopes: ['api:read'],
        },
        apiBaseUrl: `${issuer}/api`,
        client: { clientId: 'pkjwt', privateKey: clientKey.pem, keyId: 'pkjwt-1' },
      },
      {
        id: 'test-jwt-bearer',
        auth: {
          mode: 'jwt_bearer',
          tokenUrl: `${issuer}/token`,
          audience: `${issuer}/token`,
          tokenEndpointAuthMethod: 'none',
          scopes: ['api:read'],
        },
        apiBaseUrl: `${issuer}/api`,
      },
      { id: 'test-basic', auth: { mode: 'basic' }, apiBaseUrl: `${issuer}/api` },
      {
        ...oauthAuth('web', 5),
        id: 'test-grace',
        auth: { ...oauthAuth('web', 5).auth, refreshTokenReuseGraceSeconds: 60 },
        client: { clientId: 'web-grace', clientSecret: webSecret },
      },
      ...(options.extraProviders?.({ issuer, clientId: 'cc', clientSecret: ccSecret, webSecret }) ?? []),
    ],
  };
  const junction = await startTestJunction(
    { ...rawConfig, ...options.extraConfig },
    { providerWorkers: options.providerWorkers },
  );
  const admin = async (method: string, path: string, body?: unknown, key = adminKey) => {
    const response = await fetch(`${junction.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, json: text ? (JSON.parse(text) as unknown) : undefined };
  };
  const connectLink = async (
    provider: string,
    connectionId: string,
    returnTo = `${RETURN_TO}done`,
    scopes?: string[],
  ) => {
    const answer = await admin('POST', '/connect/sessions', { provider, connectionId, returnTo, scopes });
    if (answer.status !== 201)
      throw new Error(`no connect link: ${answer.status} ${JSON.stringify(answer.json)}`);
    return (answer.json as { url: string }).url;
  };
  return {
    oauth,
    junction,
    events,
    adminKey,
    secrets: [
      webSecret,
      ccSecret,
      adminKey,
      eventsSigningSecret,
      clientKey.pem.split('\n')[5] as string,
      assertionKey.pem.split('\n')[5] as string,
    ],
    rawConfig,
    assertionPem: assertionKey.pem,
    admin,
    connectLink,
    stop: async () => {
      await junction.stop();
      await oauth.close();
      await events.close();
    },
  };
}
