/* eslint-disable @typescript-eslint/no-unsafe-member-access -- JSON answers of the HTTP API */
import { startFakeProvider, type FakeProvider } from '../../src/demo/fakeProvider';
import { startConnectionsEnv, type ConnectionsEnv } from '../helpers/connectionsFixture';
import { uniqueName } from '../helpers/temporal';

const providerId = uniqueName('fakecc');
let env: ConnectionsEnv;
let fake: FakeProvider;
const rejected = new Set<string>();

beforeAll(async () => {
  fake = await startFakeProvider({ acceptToken: (token) => token !== undefined && !rejected.has(token) });
  env = await startConnectionsEnv({
    // A provider whose API is the fake provider and whose tokens come from the real OAuth server.
    extraProviders: ({ issuer, clientId, clientSecret }) => [
      {
        id: providerId,
        auth: {
          mode: 'client_credentials',
          tokenUrl: `${issuer}/token`,
          scopes: ['api:read'],
          refreshMarginSeconds: 5,
        },
        apiBaseUrl: fake.url,
        client: { clientId, clientSecret },
        calls: { retry: 'once' },
        actions: { whoami: { method: 'GET', path: '/whoami' } },
      },
    ],
    providerWorkers: [providerId],
  });
});

afterAll(async () => {
  await env?.stop();
  await fake?.close();
});

beforeEach(() => {
  fake.requests.length = 0;
  fake.recover();
});

async function whoami(connectionId: string) {
  return env.admin('POST', `/actions/${providerId}/whoami`, { connectionId });
}

test('a 401 from the provider forces one token refresh, then the call succeeds with the new token', async () => {
  const connectionId = uniqueName('cc');
  const created = await env.admin('POST', '/connections', { connectionId, providerId });
  expect(created.json).toMatchObject({ state: 'active' });

  const first = await whoami(connectionId);
  expect(first.status).toBe(200);
  const firstToken = first.json.result.body.authorization as string;
  expect(firstToken).toMatch(/^Bearer /);

  // The provider stops accepting that token (revoked, or expired early on its side).
  rejected.add(firstToken.slice('Bearer '.length));
  const before = await env.oauth.stats();
  const second = await whoami(connectionId);
  const after = await env.oauth.stats();

  expect(second.status).toBe(200);
  const secondToken = second.json.result.body.authorization as string;
  expect(secondToken).not.toBe(firstToken);
  // In one attempt (the preset allows no retry): the 401, one token request, the call with the new token.
  expect(second.json.result.attempt).toBe(1);
  expect(after.tokenRequests - before.tokenRequests).toBe(1);
  expect(fake.requests.map((r) => [r.headers.authorization, r.answer])).toEqual([
    [firstToken, 200],
    [firstToken, 401],
    [secondToken, 200],
  ]);
  const metrics = await (await fetch(`${env.junction.url}/metrics`)).text();
  expect(metrics).toContain(`junction_provider_unauthorized_refreshes_total{provider="${providerId}"} 1`);
});

test('a second 401 after the refresh fails the call for good: no refresh loop', async () => {
  const connectionId = uniqueName('cc');
  await env.admin('POST', '/connections', { connectionId, providerId });
  fake.misbehave({ failNext: { count: 2, status: 401 } });
  const before = await env.oauth.stats();
  const answer = await whoami(connectionId);
  const after = await env.oauth.stats();
  expect(answer.status).toBe(502);
  expect(answer.json.error).toMatchObject({ type: 'provider_unauthorized', status: 401 });
  expect(after.tokenRequests - before.tokenRequests).toBe(1);
  expect(fake.requests).toHaveLength(2);
});

test('a connection of another provider is refused without calling anyone: the caller’s mistake, a 400', async () => {
  const connectionId = uniqueName('other');
  await env.admin('POST', '/connections', { connectionId, providerId: 'test-cc' });
  const answer = await whoami(connectionId);
  expect(answer.status).toBe(400);
  expect(answer.json).toMatchObject({ code: 'connection_provider_mismatch' });
  expect(answer.json.message).toContain('belongs to provider "test-cc"');
  expect(fake.requests).toHaveLength(0);
  // Nothing was started for it.
  const runs = [];
  for await (const run of env.junction.client.workflow.list({
    query: `WorkflowType = 'providerAction' AND JunctionConnectionId = '${connectionId}'`,
  }))
    runs.push(run);
  expect(runs).toHaveLength(0);
});
