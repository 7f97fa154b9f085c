/* eslint-disable @typescript-eslint/no-unsafe-member-access -- JSON answers of the HTTP API */
import { WorkflowNotFoundError } from '@temporalio/client';
import { signConnectSession } from '../../src/oauth/connectSession';
import { signState } from '../../src/oauth/state';
import { authorizationWorkflowId } from '../../src/shared/connectionContract';
import { RETURN_TO, startConnectionsEnv, type ConnectionsEnv } from '../helpers/connectionsFixture';
import { authorizeWithoutBrowser } from '../helpers/oauthServer';
import { uniqueName } from '../helpers/temporal';

let env: ConnectionsEnv;

beforeAll(async () => {
  env = await startConnectionsEnv();
});
afterAll(async () => env?.stop());

const stateSecret = () => env.junction.codec.deriveKey('junction oauth state');

/** A connect link for a new connection id: its URL, parsed, and the session id inside it. */
async function link(provider = 'test-oauth', connectionId = uniqueName('sess'), scopes?: string[]) {
  const url = new URL(await env.connectLink(provider, connectionId, `${RETURN_TO}done`, scopes));
  const session = url.searchParams.get('session') ?? '';
  const payload = JSON.parse(Buffer.from(session.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
    jti: string;
  };
  return { url, connectionId, session, sessionId: payload.jti };
}

/** GET a connect URL without following the redirect. */
async function open(url: URL | string) {
  const response = await fetch(url, { redirect: 'manual' });
  const text = await response.text();
  return {
    status: response.status,
    location: response.headers.get('location'),
    json: text.startsWith('{') ? (JSON.parse(text) as { code: string; message: string }) : undefined,
  };
}

/** Whether the pending authorization a session would start exists (a strongly consistent read). */
async function authorizationStarted(sessionId: string): Promise<boolean> {
  try {
    await env.junction.client.workflow.getHandle(authorizationWorkflowId(sessionId)).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

async function connectionExists(connectionId: string) {
  return (await env.admin('GET', `/connections/${connectionId}`)).status !== 404;
}

test('POST /connect/sessions: admin only, validated, answers a link and its expiry', async () => {
  const body = { provider: 'test-oauth', connectionId: uniqueName('s'), returnTo: `${RETURN_TO}done` };
  for (const key of ['', 'not-an-admin-key-0123456789']) {
    const refused = await env.admin('POST', '/connect/sessions', body, key);
    expect(refused).toMatchObject({ status: 401, json: { code: 'unauthorized' } });
  }

  const before = Date.now();
  const issued = await env.admin('POST', '/connect/sessions', body);
  expect(issued.status).toBe(201);
  const url = new URL(issued.json.url as string);
  expect(`${url.origin}${url.pathname}`).toBe(`${env.junction.url}/connect/test-oauth`);
  expect(url.searchParams.get('connectionId')).toBe(body.connectionId);
  expect(url.searchParams.get('returnTo')).toBe(body.returnTo);
  expect(url.searchParams.get('session')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  const expiresAt = Date.parse(issued.json.expiresAt as string);
  expect(expiresAt).toBeGreaterThanOrEqual(before + 10 * 60_000 - 1_000);
  expect(expiresAt).toBeLessThanOrEqual(Date.now() + 10 * 60_000);

  const bad = async (changes: Record<string, unknown>, status: number, code: string) => {
    const answer = await env.admin('POST', '/connect/sessions', { ...body, ...changes });
    expect(answer).toMatchObject({ status, json: { code } });
    expect(typeof answer.json.message).toBe('string');
  };
  await bad({ provider: 'nope' }, 400, 'unknown_provider');
  await bad({ provider: 'test-cc' }, 400, 'unsupported_auth_mode');
  await bad({ provider: 'stripe' }, 400, 'unsupported_auth_mode');
  await bad({ connectionId: 'has spaces' }, 400, 'bad_request');
  await bad({ connectionId: undefined }, 400, 'bad_request');
  await bad({ returnTo: 'https://evil.example/app/' }, 400, 'return_to_not_allowed');
  await bad({ returnTo: undefined }, 400, 'return_to_not_allowed');
  await bad({ scopes: 'api:read' }, 400, 'bad_request');
  await bad({ scopes: ['api read'] }, 400, 'bad_request');
  expect(await connectionExists(body.connectionId)).toBe(false);
});

test('a link without a session is refused and starts nothing (the old unauthenticated link)', async () => {
  const connectionId = uniqueName('bare');
  const query = new URLSearchParams({ connectionId, returnTo: `${RETURN_TO}done` });
  const answer = await open(`${env.junction.url}/connect/test-oauth?${query.toString()}`);
  expect(answer).toMatchObject({ status: 401, location: null, json: { code: 'connect_session_required' } });
  expect(answer.json?.message).toContain('POST /connect/sessions');
  expect(await connectionExists(connectionId)).toBe(false);
});

test('forged, altered and cross-purpose sessions are refused and start nothing', async () => {
  const { url, connectionId, session, sessionId } = await link();
  const withSession = (value: string) => {
    const copy = new URL(url);
    copy.searchParams.set('session', value);
    return copy;
  };
  const claims = { sessionId, providerId: 'test-oauth', connectionId, returnTo: `${RETURN_TO}done` };

  const forged = await signConnectSession(claims, 'an-attacker-secret-0123456789abcdef', Date.now());
  // The signature's last characters changed; a payload edited to another connection id.
  const [header, payload, signature] = session.split('.') as [string, string, string];
  const altered = `${header}.${payload}.${signature.slice(0, -4)}${signature.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
  const edited = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  edited.cid = uniqueName('victim');
  const reSigned = `${header}.${Buffer.from(JSON.stringify(edited)).toString('base64url')}.${signature}`;
  // A genuine OAuth `state` (same secret, another purpose) is not a connect session.
  const state = await signState(
    { stateId: sessionId, connectionId, providerId: 'test-oauth' },
    stateSecret(),
    Date.now(),
  );

  for (const value of [forged, altered, reSigned, state, 'not-a-jwt']) {
    const answer = await open(withSession(value));
    expect(answer).toMatchObject({ status: 401, location: null, json: { code: 'invalid_connect_session' } });
  }
  expect(await authorizationStarted(sessionId)).toBe(false);
  expect(await connectionExists(connectionId)).toBe(false);
  // The genuine link still works: none of the above spent it.
  expect((await open(url)).status).toBe(302);
  expect(await authorizationStarted(sessionId)).toBe(true);
});

test('an expired session is refused and starts nothing', async () => {
  const connectionId = uniqueName('late');
  const sessionId = uniqueName('expired-session');
  const issuedAt = Date.now() - 11 * 60_000;
  const session = await signConnectSession(
    { sessionId, providerId: 'test-oauth', connectionId, returnTo: `${RETURN_TO}done` },
    stateSecret(),
    issuedAt,
  );
  const query = new URLSearchParams({ connectionId, returnTo: `${RETURN_TO}done`, session });
  const answer = await open(`${env.junction.url}/connect/test-oauth?${query.toString()}`);
  expect(answer).toMatchObject({ status: 401, location: null, json: { code: 'connect_session_expired' } });
  expect(await authorizationStarted(sessionId)).toBe(false);

  // The same session signed a minute ago is honoured: only its age was wrong.
  const fresh = await signConnectSession(
    { sessionId, providerId: 'test-oauth', connectionId, returnTo: `${RETURN_TO}done` },
    stateSecret(),
    Date.now() - 60_000,
  );
  query.set('session', fresh);
  expect((await open(`${env.junction.url}/connect/test-oauth?${query.toString()}`)).status).toBe(302);
});

test('a session is single use: the second opening is refused, during and after the flow', async () => {
  const { url, connectionId, sessionId } = await link();
  const first = await open(url);
  expect(first.status).toBe(302);
  expect(first.location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/auth\?/);

  const during = await open(url);
  expect(during).toMatchObject({ status: 409, location: null, json: { code: 'connect_session_used' } });

  // Completing the flow through another opening of the link is impossible; the first redirect completes it.
  const { finalUrl } = await authorizeWithoutBrowser(first.location!, { returnToPrefix: RETURN_TO });
  expect(new URL(finalUrl).searchParams.get('status')).toBe('connected');
  expect(await authorizationStarted(sessionId)).toBe(true);

  const after = await open(url);
  expect(after).toMatchObject({ status: 409, json: { code: 'connect_session_used' } });
  expect((await env.admin('GET', `/connections/${connectionId}`)).json).toMatchObject({ state: 'active' });
});

test('a session used for another connection id, provider or returnTo is refused and stays unspent', async () => {
  const { url, connectionId, sessionId } = await link();
  const victim = uniqueName('victim');
  const variants: Array<[string, (copy: URL) => void]> = [
    ['connectionId', (copy) => copy.searchParams.set('connectionId', victim)],
    ['provider', (copy) => (copy.pathname = '/connect/test-fast')],
    ['returnTo', (copy) => copy.searchParams.set('returnTo', `${RETURN_TO}elsewhere`)],
    ['connectionId', (copy) => copy.searchParams.delete('connectionId')],
  ];
  for (const [parameter, change] of variants) {
    const copy = new URL(url);
    change(copy);
    const answer = await open(copy);
    expect(answer).toMatchObject({ status: 403, location: null, json: { code: 'connect_session_mismatch' } });
    expect(answer.json?.message).toContain(parameter);
  }
  expect(await authorizationStarted(sessionId)).toBe(false);
  expect(await connectionExists(victim)).toBe(false);
  expect(await connectionExists(connectionId)).toBe(false);

  // A session for another provider does not open this one either (and vice versa).
  const other = await link('test-fast', victim);
  const crossed = new URL(url);
  crossed.searchParams.set('session', other.session);
  expect(await open(crossed)).toMatchObject({ status: 403, json: { code: 'connect_session_mismatch' } });
  expect(await authorizationStarted(other.sessionId)).toBe(false);

  // Exactly as issued, it works.
  expect((await open(url)).status).toBe(302);
});

test("the session's scopes are the ones asked for; without any, the provider's", async () => {
  const withScopes = await open((await link('test-oauth', uniqueName('scoped'), ['api:write'])).url);
  expect(new URL(withScopes.location!).searchParams.get('scope')).toBe('api:write');
  const defaults = await open((await link('test-oauth', uniqueName('default'))).url);
  expect(new URL(defaults.location!).searchParams.get('scope')).toBe('api:read');
  // A `scopes` query parameter added to the link changes nothing.
  const { url } = await link('test-oauth', uniqueName('noscope'));
  url.searchParams.set('scopes', 'api:write');
  expect(new URL((await open(url)).location!).searchParams.get('scope')).toBe('api:read');
});
