/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument -- JSON answers of the HTTP API */
import { randomBytes } from 'node:crypto';
import { createCredentialCache } from '../../src/connections';
import { BUILTIN_PROVIDERS, parseBuiltins, type ProviderDeclaration } from '../../src/providers';
import { freePort } from '../../src/temporal/runtime';
import { EXPECTATIONS } from '../helpers/builtinExpectations';
import { exportHistories } from '../helpers/exportHistories';
import { startTestJunction, type TestJunction } from '../helpers/junction';
import {
  authorizeWithoutBrowser,
  rsaKeyPair,
  startOAuthServer,
  type OAuthServer,
} from '../helpers/oauthServer';
import { uniqueName } from '../helpers/temporal';

/**
 * Every built-in provider, as declared, against the real local OAuth server (oidc-provider): only the hosts
 * move to loopback. `https://{shop}.myshopify.com/admin/oauth/authorize` becomes
 * `http://127.0.0.1:<port>/h/{shop}.myshopify.com/admin/oauth/authorize`, so connection parameters are
 * still filled in, and the server maps each provider's paths onto its own endpoints.
 */
const RETURN_TO = 'http://127.0.0.1:4999/app/';
const builtins = parseBuiltins();
const oauthBuiltins = builtins.filter((p) => p.auth.mode === 'oauth2');
const secret = `builtin-${randomBytes(12).toString('hex')}`;
const assertionKey = rsaKeyPair('svc-1');

let oauth: OAuthServer;
let junction: TestJunction;
let adminKey: string;

/** The same URL with its host (and any {param} in it) moved onto the local server, the path kept. */
function onLocalServer(issuer: string, url: string): string {
  const match = /^https:\/\/([^/]+)(.*)$/.exec(url);
  if (!match) throw new Error(`not an https URL: ${url}`);
  return `${issuer}/h/${match[1]}${match[2]}`;
}

/** The configuration entry that overrides only the hosts of a built-in (and adds its OAuth client). */
function hostOverride(issuer: string, provider: ProviderDeclaration): Record<string, unknown> {
  const auth = provider.auth as Record<string, unknown>;
  const moved: Record<string, unknown> = {};
  for (const key of ['authorizationUrl', 'tokenUrl', 'revocationUrl', 'audience']) {
    const value = auth[key];
    if (typeof value === 'string' && value.startsWith('https://')) moved[key] = onLocalServer(issuer, value);
  }
  if (auth.issuer) moved.issuer = issuer;
  const client =
    provider.auth.mode === 'oauth2' ? { client: { clientId: provider.id, clientSecret: secret } } : {};
  return { id: provider.id, auth: moved, apiBaseUrl: onLocalServer(issuer, provider.apiBaseUrl), ...client };
}

/** A provider URL as the server sees it: {params} filled with the test's values (or defaults). */
function concretePath(provider: ProviderDeclaration, url: string): string {
  const values = { ...EXPECTATIONS[provider.id]?.connectionParams };
  for (const [name, spec] of Object.entries(provider.connectionParams))
    values[name] ??= spec.default ?? `missing-${name}`;
  return new URL(url.replace(/\{(\w+)\}/g, (_m, name: string) => values[name] ?? '')).pathname;
}

/** Each OAuth built-in's token and revocation paths → its client, whose client authentication is checked. */
function tokenPathClients(issuer: string): Record<string, string> {
  const clients: Record<string, string> = {};
  for (const provider of oauthBuiltins) {
    if (provider.auth.mode !== 'oauth2') continue;
    for (const url of [provider.auth.tokenUrl, provider.auth.revocationUrl]) {
      if (url) clients[concretePath(provider, onLocalServer(issuer, url))] = provider.id;
    }
  }
  return clients;
}

function pathAliases(issuer: string): Record<string, string> {
  const aliases: Record<string, string> = {};
  const add = (path: string, target: string) => {
    if (aliases[path] && aliases[path] !== target) throw new Error(`${path} maps to two endpoints`);
    aliases[path] = target;
  };
  for (const provider of builtins) {
    if (!('tokenUrl' in provider.auth)) continue;
    const auth = provider.auth;
    add(concretePath(provider, onLocalServer(issuer, auth.tokenUrl)), '/token');
    if (auth.mode === 'oauth2')
      add(concretePath(provider, onLocalServer(issuer, auth.authorizationUrl)), '/auth');
    if (auth.revocationUrl)
      add(concretePath(provider, onLocalServer(issuer, auth.revocationUrl)), '/token/revocation');
  }
  return aliases;
}

beforeAll(async () => {
  const port = await freePort();
  const junctionPort = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  adminKey = `admin-${randomBytes(16).toString('hex')}`;
  const redirect = `http://127.0.0.1:${junctionPort}/oauth/callback`;
  oauth = await startOAuthServer({
    port,
    clients: [
      ...oauthBuiltins.map((provider) => ({
        client_id: provider.id,
        client_secret: secret,
        token_endpoint_auth_method: EXPECTATIONS[provider.id]?.method,
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: [redirect],
      })),
      {
        client_id: 'svc-account',
        token_endpoint_auth_method: 'none',
        grant_types: ['urn:ietf:params:oauth:grant-type:jwt-bearer'],
        redirect_uris: [],
        response_types: [],
      },
    ],
    expectations: Object.fromEntries(
      Object.entries(EXPECTATIONS).map(([id, e]) => [
        id,
        {
          method: e.method,
          pkce: e.pkce,
          authorizationParams: e.params,
          scopeSeparator: e.scopeSeparator,
          requiredScopes: e.scopes,
        },
      ]),
    ),
    pathAliases: pathAliases(issuer),
    tokenPathClients: tokenPathClients(issuer),
    assertionIssuers: [{ iss: 'svc-account', jwk: assertionKey.jwk }],
    assertionAudiences: builtins.flatMap((p) =>
      p.auth.mode === 'jwt_bearer' && p.auth.audience ? [onLocalServer(issuer, p.auth.audience)] : [],
    ),
  });
  junction = await startTestJunction({
    server: { port: junctionPort },
    admin: { apiKeys: [adminKey] },
    connections: { returnToAllowlist: [RETURN_TO] },
    providers: [
      ...builtins.map((provider) => hostOverride(issuer, provider)),
      // A configured API-key provider whose host depends on the connection, for POST /connections.
      {
        id: 'regional-api',
        connectionParams: { region: { description: 'eu or us', pattern: '^(eu|us)$' } },
        auth: { mode: 'api_key' },
        apiBaseUrl: `${issuer}/h/{region}.api.example/v1`,
      },
    ],
  });
});

afterAll(async () => {
  // `JUNCTION_EXPORT_HISTORIES=<dir>`: authorizations that carried connection parameters, as replay fixtures.
  const out = process.env.JUNCTION_EXPORT_HISTORIES;
  if (out && junction) {
    const query = `WorkflowType = 'oauthAuthorization' AND TaskQueue = '${junction.config.temporal.taskQueue}'`;
    await exportHistories(junction.client, junction.codec, { query, out, distinct: true });
  }
  await junction?.stop();
  await oauth?.close();
});

async function admin(method: string, path: string, body?: unknown) {
  const response = await fetch(`${junction.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${adminKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function bounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

test('every built-in OAuth provider has an independent expectation to be checked against', () => {
  expect(oauthBuiltins.map((p) => p.id).sort()).toEqual(Object.keys(EXPECTATIONS).sort());
  expect(Object.keys(BUILTIN_PROVIDERS).length).toBeGreaterThanOrEqual(30);
});

interface FlowResult {
  id: string;
  connected: string | null;
  state: string;
  refreshed: number;
  deleted: number;
  apiBaseUrl: string;
}

/** The authorization-code flow of one built-in, then a refresh and a delete (revoking where declared). */
async function connectRefreshDelete(provider: ProviderDeclaration): Promise<FlowResult> {
  const connectionId = uniqueName(provider.id);
  const expectation = EXPECTATIONS[provider.id]!;
  const declaredScopes = 'scopes' in provider.auth ? provider.auth.scopes : [];
  const session = await admin('POST', '/connect/sessions', {
    provider: provider.id,
    connectionId,
    returnTo: `${RETURN_TO}done`,
    // Two scopes of this server's besides the provider's own, so the separator is exercised.
    scopes: [...declaredScopes, 'api:read', 'api:write'],
    params: expectation.connectionParams,
  });
  if (session.status !== 201) throw new Error(`${provider.id}: ${JSON.stringify(session.json)}`);
  const { finalUrl } = await authorizeWithoutBrowser(session.json.url, { returnToPrefix: RETURN_TO });
  const final = new URL(finalUrl);
  const status = await admin('GET', `/connections/${connectionId}`);
  const refresh = await admin('POST', `/connections/${connectionId}/refresh`);
  const deleted = await admin('DELETE', `/connections/${connectionId}`);
  return {
    id: provider.id,
    connected:
      final.searchParams.get('status') === 'connected'
        ? 'connected'
        : `${final.searchParams.get('error')}: ${final.searchParams.get('error_description')}`,
    state: status.json?.state,
    refreshed: refresh.json?.refreshCount,
    deleted: deleted.status,
    apiBaseUrl: status.json?.apiBaseUrl,
  };
}

test('each built-in OAuth provider connects, refreshes and is deleted against the local server', async () => {
  // A provider whose flow breaks is reported by name with the reason; the others still run.
  const results = await bounded(oauthBuiltins, 4, (provider) =>
    connectRefreshDelete(provider).catch((error: Error): FlowResult => ({
      id: provider.id,
      connected: error.message.replace(/^.*\): /s, ''),
      state: 'failed',
      refreshed: 0,
      deleted: 0,
      apiBaseUrl: '',
    })),
  );
  // One comparison over all of them, so every provider that breaks is named at once.
  expect(
    results.map(({ id, connected, state, refreshed, deleted }) => ({
      id,
      connected,
      state,
      refreshed,
      deleted,
    })),
  ).toEqual(
    results.map(({ id }) => ({ id, connected: 'connected', state: 'active', refreshed: 1, deleted: 200 })),
  );
  // Connection parameters reached the API base URL the connection calls.
  const shopify = results.find((r) => r.id === 'shopify')!;
  expect(shopify.apiBaseUrl).toBe(`${oauth.issuer}/h/acme.myshopify.com/admin/api`);
  const stats = (await oauth.stats()) as Awaited<ReturnType<OAuthServer['stats']>> & {
    expectationFailures?: string[];
  };
  expect(stats.expectationFailures ?? []).toEqual([]);
  expect(stats.grants.authorization_code).toBeGreaterThanOrEqual(oauthBuiltins.length);
  expect(stats.grants.refresh_token).toBeGreaterThanOrEqual(oauthBuiltins.length);
  const revocable = oauthBuiltins.filter((p) => 'revocationUrl' in p.auth && p.auth.revocationUrl);
  expect(stats.revocations).toBe(revocable.length);
});

test('a declaration that disagrees with its provider fails: the server refuses the request', async () => {
  // Google without access_type=offline: the server answers "expectation failed" instead of a consent page.
  const google = builtins.find((p) => p.id === 'google')!;
  const session = await admin('POST', '/connect/sessions', {
    provider: 'google',
    connectionId: uniqueName('google-bad'),
    returnTo: `${RETURN_TO}done`,
  });
  const link = await fetch(session.json.url, { redirect: 'manual' });
  const target = new URL(link.headers.get('location')!);
  expect(target.searchParams.get('access_type')).toBe('offline');
  target.searchParams.delete('access_type');
  const refused = await fetch(target, { redirect: 'manual' });
  expect(refused.status).toBe(400);
  expect(await refused.text()).toMatch(/expectation failed: access_type must be offline/);
  expect(google.auth.mode).toBe('oauth2');
});

test('connection parameters are validated when the link is issued', async () => {
  const missing = await admin('POST', '/connect/sessions', {
    provider: 'shopify',
    connectionId: uniqueName('shop'),
    returnTo: `${RETURN_TO}done`,
  });
  expect(missing.status).toBe(400);
  expect(missing.json).toMatchObject({ code: 'invalid_connection_params' });
  expect(missing.json.message).toMatch(/"shop" is required/);
  const hostile = await admin('POST', '/connect/sessions', {
    provider: 'shopify',
    connectionId: uniqueName('shop'),
    returnTo: `${RETURN_TO}done`,
    params: { shop: 'evil.example/steal?' },
  });
  expect(hostile).toMatchObject({ status: 400, json: { code: 'invalid_connection_params' } });

  // POST /connections takes them too; the connection's API base URL is the filled one.
  const create = (params?: Record<string, string>) =>
    admin('POST', '/connections', {
      connectionId: uniqueName('regional'),
      providerId: 'regional-api',
      credentials: { apiKey: 'key-1' },
      params,
    });
  expect(await create({ region: 'ap' })).toMatchObject({
    status: 400,
    json: { code: 'invalid_connection_params' },
  });
  const created = await create({ region: 'eu' });
  expect(created).toMatchObject({ status: 201, json: { state: 'active' } });
  expect(created.json.apiBaseUrl).toBe(`${oauth.issuer}/h/eu.api.example/v1`);
});

test('a reconnect keeps the parameters the connection was made with', async () => {
  const connectionId = uniqueName('shop-again');
  const shop = EXPECTATIONS.shopify!.connectionParams!.shop!;
  const link = (params?: Record<string, string>) =>
    admin('POST', '/connect/sessions', {
      provider: 'shopify',
      connectionId,
      returnTo: `${RETURN_TO}done`,
      params,
    });
  const outcome = async (url: string) =>
    new URL((await authorizeWithoutBrowser(url, { returnToPrefix: RETURN_TO })).finalUrl).searchParams.get(
      'status',
    );

  const first = await link({ shop });
  expect(first.status).toBe(201);
  expect(await outcome(first.json.url)).toBe('connected');
  const made = await admin('GET', `/connections/${connectionId}`);
  expect(made.json).toMatchObject({ state: 'active', params: { shop } });

  // Another shop for the same connection: refused, naming the one it was made with; nothing starts.
  const moved = await link({ shop: 'another-shop' });
  expect(moved).toMatchObject({ status: 409, json: { code: 'connection_params_differ' } });
  expect(moved.json.message).toContain(`shop="${shop}"`);

  // Left out, the link carries the connection's own: the provider is asked at that shop.
  const inspected = await link();
  expect(inspected.status).toBe(201);
  const opened = await fetch(inspected.json.url, { redirect: 'manual' });
  expect(opened.headers.get('location')).toContain(`/h/${shop}.myshopify.com/admin/oauth/authorize`);
  const again = await link();
  expect(await outcome(again.json.url)).toBe('connected');
  const reconnected = await admin('GET', `/connections/${connectionId}`);
  expect(reconnected.json).toMatchObject({ state: 'active', params: { shop } });
  expect(reconnected.json.revision).toBeGreaterThan(made.json.revision);
  expect(reconnected.json.apiBaseUrl).toBe(`${oauth.issuer}/h/${shop}.myshopify.com/admin/api`);
  // The same values are a reconnect too.
  expect((await link({ shop })).status).toBe(201);

  // Deleted, the id is free for another shop.
  expect((await admin('DELETE', `/connections/${connectionId}`)).status).toBe(200);
  expect((await link({ shop: 'another-shop' })).status).toBe(201);
});

test('the JWT bearer, API key and basic built-ins make working connections', async () => {
  for (const provider of builtins.filter((p) => p.auth.mode === 'jwt_bearer')) {
    const created = await admin('POST', '/connections', {
      connectionId: uniqueName(provider.id),
      providerId: provider.id,
      credentials: { issuer: 'svc-account', subject: 'robot@example', privateKey: assertionKey.pem },
      scopes: ['api:read'],
    });
    expect({ id: provider.id, ...created.json }).toMatchObject({ id: provider.id, state: 'active' });
  }
  const cache = createCredentialCache({ client: junction.client, minValidityMs: 1_000 });
  const keyed = builtins.filter((p) => p.auth.mode === 'api_key' || p.auth.mode === 'basic');
  expect(keyed.map((p) => p.id).sort()).toEqual(['sendgrid', 'stripe', 'twilio']);
  for (const provider of keyed) {
    const connectionId = uniqueName(provider.id);
    const created = await admin('POST', '/connections', {
      connectionId,
      providerId: provider.id,
      credentials: { apiKey: 'key-123', username: 'AC123', password: 'token-456' },
    });
    expect(created.json).toMatchObject({ state: 'active', mode: provider.auth.mode });
    const { headers } = await cache.authHeaders(connectionId);
    expect(headers.authorization).toBe(
      provider.auth.mode === 'basic'
        ? `Basic ${Buffer.from('AC123:token-456').toString('base64')}`
        : 'Bearer key-123',
    );
  }
});
