/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers of the HTTP API */
import { randomBytes } from 'node:crypto';
import { startFakeProvider, type FakeProvider } from '../../src/demo/fakeProvider';
import { LOOPBACK_CIDRS } from '../../src/network/destinations';
import { systemResolver, type Resolver } from '../../src/network/outbound';
import type { WebhookDeliveryStatus } from '../../src/shared/webhooks';
import { startTestJunction, type TestJunction } from '../helpers/junction';
import { newStandardSecret, signStandardWebhook } from '../helpers/sign';
import { startTarget, type Target } from '../helpers/target';
import { eventually, uniqueName } from '../helpers/temporal';

/**
 * End to end against the run's Temporal dev server: one Junction with an empty `network.allowPrivate` (what
 * `junction server` and `worker` run with by default) and one that allowlists loopback, configured alike.
 * The application's receiver and the provider listen on loopback, reached by names: `app.internal.test`
 * (this test's resolver says 127.0.0.1, as a hostile DNS record would) and `localhost` (the system's).
 */
const secret = newStandardSecret();
const adminKey = `admin-${randomBytes(16).toString('hex')}`;
const apiKey = `sk_test_${randomBytes(12).toString('hex')}`;
const RETURN_TO = 'http://localhost:4999/app/';
const resolve: Resolver = async (hostname) =>
  hostname === 'app.internal.test' ? [{ address: '127.0.0.1', family: 4 }] : systemResolver(hostname);

let target: Target;
let fake: FakeProvider;
const junctions: Record<'closed' | 'open', { junction: TestJunction; providerId: string }> = {} as never;

function rawConfig(providerId: string, allowPrivate: readonly string[]) {
  return {
    admin: { apiKeys: [adminKey] },
    network: { allowPrivate },
    delivery: {
      retry: { initialIntervalMs: 100, backoffCoefficient: 1, maximumIntervalMs: 100, maximumAttempts: 5 },
    },
    sources: [
      {
        id: 'acme',
        scheme: 'standard-webhooks',
        secrets: [secret],
        routes: [
          {
            name: 'orders',
            events: ['order.*'],
            forward: {
              url: `${target.url.replace('127.0.0.1', 'app.internal.test')}/orders?key=app-query-secret`,
              headers: { authorization: 'Bearer app-token-123' },
            },
          },
        ],
      },
    ],
    connections: { returnToAllowlist: [RETURN_TO] },
    providers: [
      {
        id: providerId,
        auth: { mode: 'api_key' },
        apiBaseUrl: fake.url.replace('127.0.0.1', 'localhost'),
        calls: {
          retry: {
            initialIntervalMs: 100,
            backoffCoefficient: 1,
            maximumIntervalMs: 100,
            maximumAttempts: 5,
          },
        },
        actions: { getItem: { method: 'GET', path: '/items/{id}' } },
      },
      {
        id: `${providerId}-oauth`,
        extends: 'oauth2',
        auth: {
          authorizationUrl: 'https://auth.example.test/authorize',
          tokenUrl: 'https://auth.example.test/token',
          scopes: ['read'],
        },
        apiBaseUrl: 'https://api.example.test',
        client: { clientId: 'junction', clientSecret: 'client-secret-value' },
      },
    ],
  };
}

beforeAll(async () => {
  target = await startTarget();
  fake = await startFakeProvider({ acceptToken: (token) => token === apiKey });
  for (const [name, allowPrivate] of [
    ['closed', []],
    ['open', LOOPBACK_CIDRS],
  ] as const) {
    // Provider task queues are global: each Junction gets a provider id of its own.
    const providerId = uniqueName(`net-${name}`);
    const junction = await startTestJunction(rawConfig(providerId, allowPrivate), {
      resolve,
      providerWorkers: [providerId],
    });
    junctions[name] = { junction, providerId };
  }
});

afterAll(async () => {
  for (const { junction } of Object.values(junctions)) await junction?.stop();
  await target?.close();
  await fake?.close();
});

async function api(junction: TestJunction, method: string, path: string, body?: unknown) {
  const response = await fetch(`${junction.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, any> };
}

async function deliver(junction: TestJunction, state: WebhookDeliveryStatus['state']) {
  const signed = signStandardWebhook({ secret });
  const response = await junction.post('/webhooks/acme', { headers: signed.headers, body: signed.body });
  expect(response.status).toBe(202);
  const { workflowId } = (await response.json()) as { workflowId: string };
  return eventually(
    async () => {
      const current = await junction.junction.webhooks.deliveryStatus(workflowId);
      return current.state === state ? current : undefined;
    },
    { what: `${workflowId} to reach ${state}` },
  );
}

test('a forward to a name resolving to loopback dead-letters at once as destination_not_allowed; allowlisted, it is delivered', async () => {
  const dead = await deliver(junctions.closed.junction, 'dead_lettered');
  expect(dead.lastError).toMatchObject({ code: 'destination_not_allowed' });
  expect(dead.lastError?.message).toMatch(/app\.internal\.test \(127\.0\.0\.1\) is in the loopback range/);
  // The error names the host and the range, not the URL's path, query or headers.
  expect(dead.lastError?.message).not.toMatch(/orders|app-query-secret|app-token-123/);
  expect(dead.targets[0]).toMatchObject({ status: 'failed', attempts: 1 });
  expect(target.requests).toHaveLength(0);

  const delivered = await deliver(junctions.open.junction, 'delivered');
  expect(delivered.targets[0]).toMatchObject({ status: 'delivered', attempts: 1 });
  expect(target.requests).toHaveLength(1);
  expect(target.requests[0]?.url).toBe('/orders?key=app-query-secret');
});

test('a provider call to localhost answers 403 destination_not_allowed without a retry; allowlisted, 200', async () => {
  // Connection workflow ids are namespace-wide: an id of its own for each Junction.
  const connectionIds = { closed: uniqueName('acct'), open: uniqueName('acct') };
  for (const [name, { junction, providerId }] of Object.entries(junctions)) {
    const created = await api(junction, 'POST', '/connections', {
      providerId,
      connectionId: connectionIds[name as keyof typeof connectionIds],
      credentials: { apiKey },
    });
    expect(created.status).toBe(201);
  }
  const { junction, providerId } = junctions.closed;
  const refused = await api(junction, 'POST', `/actions/${providerId}/getItem`, {
    connectionId: connectionIds.closed,
    input: { id: 7 },
  });
  expect(refused.status).toBe(403);
  expect(refused.json).toMatchObject({
    code: 'destination_not_allowed',
    status: 'failed',
    error: { type: 'destination_not_allowed' },
  });
  expect(refused.json.message).toMatch(/localhost \(.+\) is in the loopback range/);
  expect(refused.json.message).not.toContain(apiKey);
  expect(fake.requests).toHaveLength(0);
  // One attempt: the refusal is final, and the provider's breaker did not count it.
  const history = await junction.client.workflow.getHandle(refused.json.workflowId as string).fetchHistory();
  const started = history.events?.filter((event) => event.activityTaskStartedEventAttributes) ?? [];
  expect(started.map((event) => event.activityTaskStartedEventAttributes?.attempt)).toEqual([1]);

  const open = await api(junctions.open.junction, 'POST', `/actions/${junctions.open.providerId}/getItem`, {
    connectionId: connectionIds.open,
    input: { id: 7 },
  });
  expect(open).toMatchObject({ status: 200, json: { status: 'completed', result: { status: 200 } } });
  expect(fake.requests).toHaveLength(1);
});

test('a connect session whose returnTo resolves to loopback is refused 400 at creation; allowlisted, issued', async () => {
  const session = (junction: TestJunction, providerId: string) =>
    api(junction, 'POST', '/connect/sessions', {
      provider: `${providerId}-oauth`,
      connectionId: uniqueName('sess'),
      returnTo: `${RETURN_TO}done`,
    });
  const refused = await session(junctions.closed.junction, junctions.closed.providerId);
  expect(refused).toMatchObject({ status: 400, json: { code: 'destination_not_allowed' } });
  expect(refused.json.message).toMatch(/localhost \(.+\) is in the loopback range/);
  expect((await session(junctions.open.junction, junctions.open.providerId)).status).toBe(201);
});
