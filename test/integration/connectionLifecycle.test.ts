import { createCredentialCache } from '../../src/connections';
import { exchangeAuthorizationCode, type OAuthProvider } from '../../src/oauth/grants';
import { loadOAuth } from '../../src/oauth/lib';
import { ProviderCatalogue } from '../../src/providers/catalogue';
import {
  connectionWorkflowId,
  credentialsQuery,
  type ConnectionStatus,
  type TokenGrantResult,
} from '../../src/shared/connectionContract';
import { RETURN_TO, startConnectionsEnv, type ConnectionsEnv } from '../helpers/connectionsFixture';
import { readStoredHistory } from '../helpers/history';
import { authorizeWithoutBrowser } from '../helpers/oauthServer';
import { eventually, uniqueName } from '../helpers/temporal';

let env: ConnectionsEnv;

beforeAll(async () => {
  // The smallest history bound the configuration accepts: a few refreshes fill it.
  env = await startConnectionsEnv({ historyEventLimit: 50 });
});
afterAll(async () => env?.stop());

async function status(connectionId: string): Promise<ConnectionStatus> {
  const answer = await env.admin('GET', `/connections/${connectionId}`);
  expect(answer.status).toBe(200);
  return answer.json as ConnectionStatus;
}

/**
 * Tokens for `test-oauth`'s client obtained without Junction's connect flow (as an application that did the
 * authorization itself would have them): code + PKCE against the OAuth server, exchanged with oauth4webapi.
 */
async function tokensFromProvider(): Promise<TokenGrantResult> {
  const provider = new ProviderCatalogue(env.junction.config.providers).get('test-oauth') as OAuthProvider & {
    auth: { authorizationUrl: string };
    client: { clientId: string };
  };
  const lib = await loadOAuth();
  const codeVerifier = lib.generateRandomCodeVerifier();
  const redirectUri = `${env.junction.url}/oauth/callback`;
  const authorize = new URL(provider.auth.authorizationUrl);
  for (const [key, value] of Object.entries({
    response_type: 'code',
    client_id: provider.client.clientId,
    redirect_uri: redirectUri,
    scope: 'api:read',
    state: 'outside-junction',
    code_challenge: await lib.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
  }))
    authorize.searchParams.set(key, value);
  // Stops at the redirect to the callback: Junction never sees this code.
  const { finalUrl } = await authorizeWithoutBrowser(authorize.toString(), { returnToPrefix: redirectUri });
  return exchangeAuthorizationCode(
    provider,
    {
      providerId: provider.id,
      callbackQuery: new URL(finalUrl).search.slice(1),
      stateId: 'outside-junction',
      redirectUri,
      codeVerifier,
    },
    { timeoutMs: 10_000, now: Date.now, fetch: env.junction.outbound.fetch },
  );
}

test('past historyEventLimit the connection continues as new with its credentials, and no secret in either run', async () => {
  const connectionId = uniqueName('can');
  await authorizeWithoutBrowser(await env.connectLink('test-oauth', connectionId), {
    returnToPrefix: RETURN_TO,
  });
  const workflowId = connectionWorkflowId(connectionId);
  const handle = env.junction.client.workflow.getHandle(workflowId);
  const firstRunId = (await handle.describe()).runId;
  const created = await status(connectionId);

  // Each refresh adds a dozen events; keep refreshing until the run has handed over to a new one.
  let refreshes = 0;
  while ((await handle.describe()).runId === firstRunId) {
    expect(refreshes).toBeLessThan(20);
    const refreshed = await env.admin('POST', `/connections/${connectionId}/refresh`);
    expect(refreshed).toMatchObject({ status: 200, json: { state: 'active' } });
    refreshes++;
  }
  expect(refreshes).toBeGreaterThanOrEqual(2);
  const oldRun = await env.junction.client.workflow.getHandle(workflowId, firstRunId).describe();
  expect(oldRun.status.name).toBe('CONTINUED_AS_NEW');
  expect(oldRun.historyLength).toBeGreaterThan(50);
  const newRun = await handle.describe();
  expect(newRun.runId).not.toBe(firstRunId);
  expect(newRun.status.name).toBe('RUNNING');

  // The new run serves the token the old one last obtained, without asking the provider for another.
  const requestsBefore = (await env.oauth.stats()).tokenRequests;
  const lastOfOldRun = await env.junction.client.workflow
    .getHandle(workflowId, firstRunId)
    .query(credentialsQuery);
  const served = await createCredentialCache({
    client: env.junction.client,
    minValidityMs: 1_000,
  }).authHeaders(connectionId);
  expect(served.headers.authorization).toMatch(/^Bearer \S{20,}$/);
  expect(served.headers).toEqual(lastOfOldRun.headers);
  expect((await env.oauth.stats()).tokenRequests).toBe(requestsBefore);
  expect(await status(connectionId)).toMatchObject({
    state: 'active',
    refreshCount: created.refreshCount + refreshes,
    createdAt: created.createdAt,
  });
  // The carried refresh token is the newest one: this server revokes the grant when an old one is reused.
  expect(await env.admin('POST', `/connections/${connectionId}/refresh`)).toMatchObject({
    status: 200,
    json: { state: 'active' },
  });

  const runs = [
    await readStoredHistory(env.junction.client, env.junction.codec, workflowId, firstRunId),
    await readStoredHistory(env.junction.client, env.junction.codec, workflowId, newRun.runId),
  ];
  // The new run starts from an input that carries the credentials, encrypted like everything else.
  expect(runs[1]?.decoded[0]).toContain('"refreshToken":"');
  const secrets = new Set([...runs.flatMap((run) => [...run.secrets]), ...env.secrets]);
  secrets.add((served.headers.authorization as string).slice('Bearer '.length));
  expect(secrets.size).toBeGreaterThan(env.secrets.length + 2);
  for (const run of runs) {
    for (const payload of run.payloads)
      expect(Buffer.from(payload.metadata?.encoding ?? []).toString()).toBe('binary/encrypted');
    for (const secret of secrets) expect(run.raw).not.toContain(secret);
  }
  await env.admin('DELETE', `/connections/${connectionId}`);
});

test('an idle connection refreshes its tokens on its own, with no caller asking', async () => {
  const tokens = await tokensFromProvider();
  expect(tokens.refreshToken).toBeDefined();
  const refreshesBefore = (await env.oauth.stats()).grants.refresh_token ?? 0;
  const connectionId = uniqueName('idle');
  const created = await env.junction.connections.create({
    connectionId,
    providerId: 'test-oauth',
    mode: 'oauth2',
    scopes: tokens.scopes ?? ['api:read'],
    secrets: {
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      expiresAt: tokens.expiresAt,
      tokenType: tokens.tokenType,
    },
    // The access token lives 30 s and would be refreshed 5 s before it expires; the idle interval is 1 s.
    timing: { refreshMarginMs: 5_000, idleRefreshMs: 1_000, historyEventLimit: 5_000 },
    headerShape: { header: 'authorization', prefix: 'Bearer ' },
    apiBaseUrl: `${env.oauth.issuer}/api`,
  });
  expect(created).toMatchObject({ state: 'active', refreshCount: 0 });

  // Nobody calls getFreshToken or refresh: only the status query is read while waiting.
  const refreshed = await eventually(
    async () => {
      const current = await status(connectionId);
      return current.refreshCount >= 3 ? current : undefined;
    },
    { timeoutMs: 30_000, what: 'three idle refreshes' },
  );
  expect(refreshed.state).toBe('active');
  expect(refreshed.lastError).toBeUndefined();
  // All three happened before the first token needed refreshing: the idle interval drove them.
  expect(Date.parse(refreshed.lastRefreshAt as string)).toBeLessThan((tokens.expiresAt as number) - 5_000);
  // Each used the refresh token the previous one rotated (this server revokes the grant on reuse).
  expect(((await env.oauth.stats()).grants.refresh_token ?? 0) - refreshesBefore).toBeGreaterThanOrEqual(3);
  const served = await createCredentialCache({ client: env.junction.client }).authHeaders(connectionId);
  expect(served.headers.authorization).not.toBe(`Bearer ${tokens.accessToken}`);
  await env.admin('DELETE', `/connections/${connectionId}`);
});

test('refreshing a connection with nothing to refresh (API key, basic) answers its status and keeps it active', async () => {
  for (const [providerId, credentials] of [
    ['stripe', { apiKey: 'sk_test_nothing_to_refresh' }],
    ['test-basic', { username: 'robot', password: 'nothing-to-refresh' }],
  ] as const) {
    const connectionId = uniqueName('norefresh');
    expect((await env.admin('POST', '/connections', { connectionId, providerId, credentials })).status).toBe(
      201,
    );
    const before = (await env.oauth.stats()).tokenRequests;
    const refreshed = await env.admin('POST', `/connections/${connectionId}/refresh`);
    expect(refreshed).toMatchObject({ status: 200, json: { state: 'active', refreshCount: 0 } });
    expect(await status(connectionId)).toMatchObject({ state: 'active' });
    expect((await env.oauth.stats()).tokenRequests).toBe(before);
    const served = await createCredentialCache({ client: env.junction.client }).authHeaders(connectionId);
    expect(served.headers.authorization).toMatch(/^(Bearer sk_test_nothing_to_refresh|Basic \S+)$/);
    await env.admin('DELETE', `/connections/${connectionId}`);
  }
});
