/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call -- JSON answers of the HTTP API */
import { readStoredHistory } from '../helpers/history';
import { createCredentialCache } from '../../src/connections';
import { visibilityLiteral } from '../../src/client/visibility';
import { signState } from '../../src/oauth/state';
import { connectionWorkflowId } from '../../src/shared/connectionContract';
import { JUNCTION_STATE } from '../../src/shared/searchAttributes';
import { RETURN_TO, startConnectionsEnv, type ConnectionsEnv } from '../helpers/connectionsFixture';
import { authorizeWithoutBrowser, rsaKeyPair } from '../helpers/oauthServer';
import { eventually, uniqueName } from '../helpers/temporal';

let env: ConnectionsEnv;
/** Every secret value seen during the run; none may appear in a history or a log line. */
const seen = new Set<string>();

beforeAll(async () => {
  env = await startConnectionsEnv();
  for (const secret of env.secrets) seen.add(secret);
});
afterAll(async () => env?.stop());

async function connect(provider = 'test-oauth', connectionId = uniqueName('gh')) {
  const result = await authorizeWithoutBrowser(await env.connectLink(provider, connectionId), {
    returnToPrefix: RETURN_TO,
  });
  return { connectionId, ...result };
}

function cacheFor() {
  return createCredentialCache({ client: env.junction.client, minValidityMs: 1_000 });
}

test('authorization code + PKCE: connect → login → consent → callback → active connection', async () => {
  const { connectionId, finalUrl, callbackUrl } = await connect();
  const final = new URL(finalUrl);
  expect(final.pathname).toBe('/app/done');
  expect(final.searchParams.get('status')).toBe('connected');
  expect(final.searchParams.get('connection_id')).toBe(connectionId);
  expect(callbackUrl).toContain('code=');

  const { status, json } = await env.admin('GET', `/connections/${connectionId}`);
  expect(status).toBe(200);
  expect(json).toMatchObject({
    connectionId,
    providerId: 'test-oauth',
    mode: 'oauth2',
    state: 'active',
    scopes: ['api:read'],
  });
  expect(Date.parse(json.expiresAt)).toBeGreaterThan(Date.now());
  expect(JSON.stringify(json)).not.toMatch(/token/i);

  const headers = await cacheFor().authHeaders(connectionId);
  expect(headers.providerId).toBe('test-oauth');
  expect(headers.apiBaseUrl).toBe(`${env.oauth.issuer}/api`);
  expect(headers.headers.authorization).toMatch(/^Bearer \S{20,}$/);
  seen.add(headers.headers.authorization!.slice('Bearer '.length));

  const listed = await env.admin('GET', '/connections?provider=test-oauth');
  expect(listed.json.connections.map((c: { connectionId: string }) => c.connectionId)).toContain(
    connectionId,
  );

  // The same callback again: the authorization was single use.
  const replay = await fetch(callbackUrl!, { redirect: 'manual' });
  expect(replay.status).toBe(400);
  expect(await replay.json()).toMatchObject({ code: 'state_used' });
});

test('GET /connections filters are checked: a bad state or provider is a 400, never a hanging query', async () => {
  // The fuzz suite found this: a NUL in `state` reached Temporal's visibility query, which never answered.
  for (const query of ['state=sRiT%00', 'state=bogus', 'provider=a%00b', 'provider=has%20space']) {
    const answer = await env.admin('GET', `/connections?${query}`);
    expect({ query, status: answer.status, code: answer.json?.code }).toEqual({
      query,
      status: 400,
      code: 'bad_request',
    });
  }
  expect((await env.admin('GET', '/connections?state=needs_reauth&provider=test-oauth')).status).toBe(200);
  // Every other visibility filter refuses control characters too (`junction dlq list --source`, sync lists).
  expect(() => visibilityLiteral('a\u0000b')).toThrow(/control characters/);
  expect(visibilityLiteral("it's \\ fine")).toBe("'it\\'s \\\\ fine'");
});

test('a tampered, forged or expired state is rejected and starts nothing', async () => {
  const connectionId = uniqueName('tamper');
  const { callbackUrl } = await authorizeWithoutBrowser(await env.connectLink('test-oauth', connectionId), {
    returnToPrefix: RETURN_TO,
    stopAtCallback: true,
  });
  const url = new URL(callbackUrl!);
  const state = url.searchParams.get('state')!;
  const tampered = new URL(url);
  tampered.searchParams.set('state', `${state.slice(0, -3)}${state.endsWith('AAA') ? 'BBB' : 'AAA'}`);
  const answer = await fetch(tampered, { redirect: 'manual' });
  expect(answer.status).toBe(400);
  expect(await answer.json()).toMatchObject({ code: 'invalid_state' });

  const forged = await signState(
    { stateId: 'x', connectionId, providerId: 'test-oauth' },
    'another-secret-0123456789abcdef0123',
    Date.now(),
  );
  const forgedAnswer = await fetch(`${env.junction.url}/oauth/callback?code=abc&state=${forged}`, {
    redirect: 'manual',
  });
  expect(await forgedAnswer.json()).toMatchObject({ code: 'invalid_state' });

  const old = await signState(
    { stateId: 'y', connectionId, providerId: 'test-oauth' },
    env.junction.codec.deriveKey('junction oauth state'),
    Date.now() - 11 * 60_000,
  );
  const expired = await fetch(`${env.junction.url}/oauth/callback?code=abc&state=${old}`, {
    redirect: 'manual',
  });
  expect(expired.status).toBe(400);
  expect(await expired.json()).toMatchObject({ code: 'state_expired' });

  const missing = await env.admin('GET', `/connections/${connectionId}`);
  expect(missing.status).toBe(404);
});

test('returnTo off the allowlist is refused; a denied consent comes back to returnTo with the error', async () => {
  const session = (returnTo: string) =>
    env.admin('POST', '/connect/sessions', {
      provider: 'test-oauth',
      connectionId: uniqueName('x'),
      returnTo,
    });
  const evil = await session('https://evil.example/steal');
  expect(evil).toMatchObject({ status: 400, json: { code: 'return_to_not_allowed' } });
  const sibling = await session('http://127.0.0.1:4999/other');
  expect(sibling).toMatchObject({ status: 400, json: { code: 'return_to_not_allowed' } });

  const connectionId = uniqueName('denied');
  const { finalUrl } = await authorizeWithoutBrowser(await env.connectLink('test-oauth', connectionId), {
    returnToPrefix: RETURN_TO,
    consent: 'deny',
  });
  const final = new URL(finalUrl);
  expect(final.searchParams.get('status')).toBe('failed');
  expect(final.searchParams.get('error')).toBe('access_denied');
  expect((await env.admin('GET', `/connections/${connectionId}`)).status).toBe(404);
});

test('client credentials, private_key_jwt, JWT bearer, API key and basic connections', async () => {
  const cache = cacheFor();
  const cc = await env.admin('POST', '/connections', {
    connectionId: uniqueName('cc'),
    providerId: 'test-cc',
  });
  expect(cc.status).toBe(201);
  expect(cc.json).toMatchObject({ state: 'active', mode: 'client_credentials', refreshCount: 1 });

  const pk = await env.admin('POST', '/connections', {
    connectionId: uniqueName('pk'),
    providerId: 'test-pkjwt',
  });
  expect(pk.json).toMatchObject({ state: 'active', mode: 'client_credentials' });

  const { pem } = rsaKeyPair('unused');
  seen.add(pem.split('\n')[5]!);
  const jwtOk = await env.admin('POST', '/connections', {
    connectionId: uniqueName('jwt'),
    providerId: 'test-jwt-bearer',
    credentials: { issuer: 'svc-account', subject: 'robot@example', privateKey: env.assertionPem },
  });
  expect(jwtOk.json).toMatchObject({ state: 'active', mode: 'jwt_bearer' });
  // An assertion signed by a key the server does not trust is refused: invalid_grant.
  const jwtBad = await env.admin('POST', '/connections', {
    connectionId: uniqueName('jwtbad'),
    providerId: 'test-jwt-bearer',
    credentials: { issuer: 'svc-account', subject: 'robot@example', privateKey: pem },
  });
  expect(jwtBad.status).toBe(201);
  expect(jwtBad.json).toMatchObject({ state: 'needs_reauth', lastError: { code: 'invalid_grant' } });

  const stripe = await env.admin('POST', '/connections', {
    connectionId: uniqueName('stripe'),
    providerId: 'stripe',
    credentials: { apiKey: 'sk_test_4eC39HqLyjWDarjtT1zdp7dc' },
  });
  seen.add('sk_test_4eC39HqLyjWDarjtT1zdp7dc');
  expect(stripe.json).toMatchObject({ state: 'active', mode: 'api_key' });
  const stripeHeaders = await cache.authHeaders(stripe.json.connectionId);
  expect(stripeHeaders).toMatchObject({
    providerId: 'stripe',
    apiBaseUrl: 'https://api.stripe.com',
    headers: { authorization: 'Bearer sk_test_4eC39HqLyjWDarjtT1zdp7dc' },
  });

  const basic = await env.admin('POST', '/connections', {
    connectionId: uniqueName('basic'),
    providerId: 'test-basic',
    credentials: { username: 'zoë', password: 'pässwörd-123' },
  });
  seen.add('pässwörd-123');
  const basicHeaders = await cache.authHeaders(basic.json.connectionId);
  expect(basicHeaders.headers.authorization).toBe(
    `Basic ${Buffer.from('zoë:pässwörd-123').toString('base64')}`,
  );

  const ccHeaders = await cache.authHeaders(cc.json.connectionId);
  expect(ccHeaders.headers.authorization).toMatch(/^Bearer /);
  seen.add(ccHeaders.headers.authorization!.slice(7));

  const bad = await env.admin('POST', '/connections', {
    connectionId: uniqueName('x'),
    providerId: 'stripe',
  });
  expect(bad).toMatchObject({ status: 400, json: { code: 'bad_request' } });
  const dup = await env.admin('POST', '/connections', {
    connectionId: stripe.json.connectionId,
    providerId: 'stripe',
    credentials: { apiKey: 'x' },
  });
  expect(dup).toMatchObject({ status: 409, json: { code: 'connection_exists' } });
});

test('management routes need an admin key', async () => {
  for (const key of ['', 'wrong-key-0123456789abcdef']) {
    const answer = await env.admin('GET', '/connections', undefined, key);
    expect(answer.status).toBe(401);
    expect(answer.json).toMatchObject({ code: 'unauthorized' });
  }
  const noHeader = await fetch(`${env.junction.url}/connections`);
  expect(noHeader.status).toBe(401);
  expect(noHeader.headers.get('www-authenticate')).toContain('Bearer');
});

test('refresh ahead of expiry over several cycles, each with a rotated refresh token', async () => {
  const before = (await env.oauth.stats()).grants.refresh_token ?? 0;
  const { connectionId } = await connect('test-fast');
  const status = await eventually(
    async () => {
      const current = (await env.admin('GET', `/connections/${connectionId}`)).json;
      return current.refreshCount >= 3 ? current : undefined;
    },
    { timeoutMs: 30_000, what: 'three refreshes' },
  );
  // Reuse of a rotated refresh token revokes the grant at this server: three good refreshes prove each
  // used the newest one.
  expect(status.state).toBe('active');
  expect((await env.oauth.stats()).grants.refresh_token! - before).toBeGreaterThanOrEqual(3);
  await env.admin('DELETE', `/connections/${connectionId}`);
});

test('a revoked refresh token turns the connection to needs_reauth, with the event to the application', async () => {
  const { connectionId } = await connect();
  await env.oauth.revokeAllGrants();
  const refresh = await env.admin('POST', `/connections/${connectionId}/refresh`);
  expect(refresh).toMatchObject({ status: 409, json: { code: 'needs_reauth' } });

  const status = (await env.admin('GET', `/connections/${connectionId}`)).json;
  expect(status).toMatchObject({
    state: 'needs_reauth',
    reauthReason: 'invalid_grant',
    lastError: { code: 'invalid_grant' },
  });
  const description = await env.junction.client.workflow
    .getHandle(connectionWorkflowId(connectionId))
    .describe();
  expect(description.typedSearchAttributes.get(JUNCTION_STATE)).toBe('needs_reauth');

  const event = await eventually(() =>
    env.events.requests.find(
      (r) =>
        r.headers['junction-event-type'] === 'connection.needs_reauth' &&
        r.headers['junction-connection-id'] === connectionId,
    ),
  );
  expect(JSON.parse(event.body.toString('utf8'))).toMatchObject({
    type: 'connection.needs_reauth',
    connectionId,
    providerId: 'test-oauth',
    reason: 'invalid_grant',
  });
  expect(event.headers.authorization).toBe('Bearer app-events-token');

  await expect(cacheFor().authHeaders(connectionId)).rejects.toMatchObject({ code: 'needs_reauth' });

  // Reconnecting the same id brings it back.
  await authorizeWithoutBrowser(await env.connectLink('test-oauth', connectionId), {
    returnToPrefix: RETURN_TO,
  });
  await eventually(
    async () => (await env.admin('GET', `/connections/${connectionId}`)).json.state === 'active',
  );
});

test('delete revokes at the provider, tells the application and ends the connection', async () => {
  const { connectionId } = await connect();
  const before = (await env.oauth.stats()).revocations;
  const deleted = await env.admin('DELETE', `/connections/${connectionId}`);
  expect(deleted).toMatchObject({ status: 200, json: { state: 'deleted' } });
  expect((await env.oauth.stats()).revocations).toBe(before + 1);
  await eventually(() =>
    env.events.requests.find(
      (r) =>
        r.headers['junction-event-type'] === 'connection.deleted' &&
        r.headers['junction-connection-id'] === connectionId,
    ),
  );
  expect((await env.admin('DELETE', `/connections/${connectionId}`)).status).toBe(404);
});

test('no token or secret in any workflow history or log line', async () => {
  const decodedSecrets = new Set<string>(seen);
  const raws: string[] = [];
  for await (const execution of env.junction.client.workflow.list({
    query: `TaskQueue = '${env.junction.config.temporal.taskQueue}'`,
  })) {
    // Decrypt every payload with the codec to learn the secrets the history holds (tokens, refresh tokens).
    const stored = await readStoredHistory(
      env.junction.client,
      env.junction.codec,
      execution.workflowId,
      execution.runId,
    );
    expect(stored.payloads.length).toBeGreaterThan(0);
    for (const payload of stored.payloads) {
      expect(Buffer.from(payload.metadata?.encoding ?? []).toString()).toBe('binary/encrypted');
    }
    stored.secrets.forEach((secret) => decodedSecrets.add(secret));
    raws.push(stored.raw);
  }
  expect(raws.length).toBeGreaterThan(5);
  expect(decodedSecrets.size).toBeGreaterThan(seen.size);
  // Every secret any history holds, checked against every history as stored, and every log line.
  for (const raw of raws) for (const secret of decodedSecrets) expect(raw).not.toContain(secret);
  const logs = env.junction.logs.join('\n');
  expect(logs).toContain('token obtained');
  for (const secret of decodedSecrets) expect(logs).not.toContain(secret);
});
