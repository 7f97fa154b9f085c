/* eslint-disable @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-assignment -- JSON answers of the HTTP API */
import { randomBytes } from 'node:crypto';
import { startFakeProvider, type FakeProvider } from '../../src/demo/fakeProvider';
import { startTestJunction, type TestJunction } from '../helpers/junction';
import { uniqueName } from '../helpers/temporal';

const adminKey = `admin-${randomBytes(16).toString('hex')}`;
const apiKey = `sk_test_${randomBytes(12).toString('hex')}`;
const providerId = uniqueName('fakeapi');
let fake: FakeProvider;
let junction: TestJunction;

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${junction.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${adminKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

beforeAll(async () => {
  fake = await startFakeProvider({ acceptToken: (token) => token === apiKey });
  junction = await startTestJunction(
    {
      admin: { apiKeys: [adminKey] },
      providers: [
        {
          id: providerId,
          auth: { mode: 'api_key' },
          apiBaseUrl: fake.url,
          calls: {
            retry: {
              initialIntervalMs: 100,
              backoffCoefficient: 1,
              maximumIntervalMs: 100,
              maximumAttempts: 5,
            },
          },
          actions: {
            getItem: {
              method: 'GET',
              path: '/items/{id}',
              input: {
                type: 'object',
                required: ['id'],
                properties: { id: { type: 'integer', minimum: 1 } },
              },
            },
            createItem: {
              method: 'POST',
              path: '/items',
              input: {
                type: 'object',
                required: ['name'],
                properties: { name: { type: 'string', minLength: 1 } },
                additionalProperties: false,
              },
            },
            slowItem: { method: 'GET', path: '/items/{id}', retry: 'patient' },
          },
        },
      ],
    },
    { providerWorkers: [providerId] },
  );
  const created = await api('POST', '/connections', {
    providerId,
    connectionId: 'acct-1',
    credentials: { apiKey },
  });
  expect(created.status).toBe(201);
});

afterAll(async () => {
  await junction?.stop();
  await fake?.close();
});

beforeEach(() => {
  fake.requests.length = 0;
  fake.recover();
});

test('an action runs as a workflow with the connection’s credentials and answers the provider’s result', async () => {
  const { status, json } = await api('POST', `/actions/${providerId}/getItem`, {
    connectionId: 'acct-1',
    input: { id: 42 },
  });
  expect(status).toBe(200);
  expect(json).toMatchObject({
    status: 'completed',
    result: { status: 200, body: { id: 42, name: 'item 42' }, attempt: 1 },
  });
  expect(json.workflowId).toMatch(new RegExp(`^action:${providerId}:getItem:`));
  expect(fake.requests).toHaveLength(1);
  expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${apiKey}`);
  // The key never appears in the action's history.
  const history = await junction.client.workflow.getHandle(json.workflowId).fetchHistory();
  expect(JSON.stringify(history)).not.toContain(apiKey);
});

test('the same Idempotency-Key twice → one execution, the same answer; other input with it → 409', async () => {
  const key = `create-${randomBytes(6).toString('hex')}`;
  const first = await api(
    'POST',
    `/actions/${providerId}/createItem`,
    { connectionId: 'acct-1', input: { name: 'widget' } },
    { 'idempotency-key': key },
  );
  const second = await api(
    'POST',
    `/actions/${providerId}/createItem`,
    { connectionId: 'acct-1', input: { name: 'widget' } },
    { 'idempotency-key': key },
  );
  expect(first.status).toBe(200);
  expect(second.status).toBe(200);
  expect(second.json).toEqual(first.json);
  expect(first.json.workflowId).toBe(`action:${providerId}:createItem:${key}`);
  expect(fake.requests.filter((r) => r.method === 'POST')).toHaveLength(1);

  const reused = await api(
    'POST',
    `/actions/${providerId}/createItem`,
    { connectionId: 'acct-1', input: { name: 'gadget' } },
    { 'idempotency-key': key },
  );
  expect(reused.status).toBe(409);
  expect(reused.json.code).toBe('idempotency_key_reused');
  expect(fake.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
});

test('a slow action answers 202 with the run to poll, and the poll gets the result', async () => {
  fake.misbehave({ failNext: { count: 1, status: 503, retryAfter: '2' } });
  const started = await api('POST', `/actions/${providerId}/slowItem?waitMs=200`, {
    connectionId: 'acct-1',
    input: { id: 7 },
  });
  expect(started.status).toBe(202);
  expect(started.json).toMatchObject({
    status: 'running',
    poll: `/actions/runs/${encodeURIComponent(started.json.workflowId)}`,
  });
  const polled = await api('GET', `${started.json.poll}?waitMs=20000`);
  expect(polled.status).toBe(200);
  expect(polled.json).toMatchObject({
    status: 'completed',
    result: { status: 200, attempt: 2, body: { id: 7 } },
  });
});

test.each([
  ['Retry-After: 0', '0'],
  ['a Retry-After date already past (clock skew)', 'Wed, 21 Oct 2015 07:28:00 GMT'],
])('a 429 with %s is retried: the action completes after exactly two requests', async (_, retryAfter) => {
  fake.misbehave({ failNext: { count: 1, status: 429, retryAfter } });
  const { status, json } = await api('POST', `/actions/${providerId}/getItem`, {
    connectionId: 'acct-1',
    input: { id: 3 },
  });
  expect({ status, json }).toMatchObject({
    status: 200,
    json: { status: 'completed', result: { status: 200, attempt: 2, body: { id: 3 } } },
  });
  expect(fake.requests.map((r) => r.answer)).toEqual([429, 200]);
  // "Now" from the provider still gets the floor before the retry, not the preset's 100 ms.
  const [first, second] = fake.requests;
  expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
});

test('a provider rejection fails the action at once: 502 with the provider’s answer', async () => {
  const { status, json } = await api('POST', `/actions/${providerId}/getItem`, {
    connectionId: 'acct-1',
    input: { id: 99999 },
  });
  expect(status).toBe(502);
  expect(json).toMatchObject({
    code: 'action_failed',
    status: 'failed',
    error: { type: 'provider_rejected', status: 404, body: { error: 'not found' } },
  });
  expect(fake.requests).toHaveLength(1);
});

test('bad requests are 4xx with a code and start nothing', async () => {
  const cases: Array<[string, unknown, number, string, Record<string, string>?]> = [
    [
      `/actions/${providerId}/getItem`,
      { connectionId: 'acct-1', input: { id: 'seven' } },
      400,
      'invalid_input',
    ],
    [`/actions/${providerId}/getItem`, { connectionId: 'acct-1', input: {} }, 400, 'invalid_input'],
    [
      `/actions/${providerId}/createItem`,
      { connectionId: 'acct-1', input: { name: 'x', extra: 1 } },
      400,
      'invalid_input',
    ],
    [`/actions/${providerId}/getItem`, { input: { id: 1 } }, 400, 'connection_required'],
    [`/actions/${providerId}/nope`, { connectionId: 'acct-1' }, 404, 'unknown_action'],
    [`/actions/nobody/getItem`, { connectionId: 'acct-1' }, 404, 'unknown_provider'],
    [
      `/actions/${providerId}/getItem?waitMs=soon`,
      { connectionId: 'acct-1', input: { id: 1 } },
      400,
      'bad_request',
    ],
    [
      `/actions/${providerId}/getItem`,
      { connectionId: 'acct-1', input: { id: 1 } },
      400,
      'bad_request',
      { 'idempotency-key': 'x'.repeat(201) },
    ],
  ];
  for (const [path, body, status, code, headers] of cases) {
    const answer = await api('POST', path, body, headers);
    expect({ path, status: answer.status, code: answer.json.code }).toEqual({ path, status, code });
  }
  const unauthorized = await fetch(`${junction.url}/actions/${providerId}/getItem`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer wrong-key-wrong-key' },
    body: JSON.stringify({ connectionId: 'acct-1', input: { id: 1 } }),
  });
  expect(unauthorized.status).toBe(401);
  expect(fake.requests).toHaveLength(0);
  const runs = [];
  for await (const run of junction.client.workflow.list({
    query: `WorkflowType = 'providerAction' AND JunctionSource = '${providerId}' AND ExecutionStatus = 'Running'`,
  }))
    runs.push(run);
  expect(runs).toHaveLength(0);
});

test('a deleted connection fails the action clearly, without calling the provider', async () => {
  await api('POST', '/connections', { providerId, connectionId: 'acct-gone', credentials: { apiKey } });
  expect((await api('DELETE', '/connections/acct-gone')).status).toBe(200);
  const { status, json } = await api('POST', `/actions/${providerId}/getItem`, {
    connectionId: 'acct-gone',
    input: { id: 1 },
  });
  expect(status).toBe(502);
  expect(json.error).toMatchObject({ type: 'connection_unavailable' });
  expect(fake.requests).toHaveLength(0);
});

test('a connection-scoped token runs that connection’s actions and nothing else', async () => {
  await api('POST', '/connections', { providerId, connectionId: 'acct-2', credentials: { apiKey } });
  const issued = await api('POST', '/connections/acct-1/tokens', { ttlSeconds: 600 });
  expect(issued.status).toBe(201);
  expect(issued.json).toMatchObject({
    connectionId: 'acct-1',
    token: expect.any(String),
    expiresAt: expect.any(String),
  });
  const token = issued.json.token as string;
  const asHolder = (method: string, path: string, body?: unknown) =>
    fetch(`${junction.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });

  // Its own connection, implied or named.
  const own = await asHolder('POST', `/actions/${providerId}/getItem`, { input: { id: 5 } });
  expect(own.status).toBe(200);
  const ownRun = (await own.json()) as { workflowId: string };
  expect(
    (await asHolder('POST', `/actions/${providerId}/getItem`, { connectionId: 'acct-1', input: { id: 6 } }))
      .status,
  ).toBe(200);
  expect((await asHolder('GET', `/actions/runs/${encodeURIComponent(ownRun.workflowId)}`)).status).toBe(200);

  // Another connection's actions and runs: refused, and its runs look absent.
  const other = await asHolder('POST', `/actions/${providerId}/getItem`, {
    connectionId: 'acct-2',
    input: { id: 5 },
  });
  expect(other.status).toBe(403);
  expect(((await other.json()) as { code: string }).code).toBe('forbidden');
  const adminRun = await api('POST', `/actions/${providerId}/getItem`, {
    connectionId: 'acct-2',
    input: { id: 8 },
  });
  const foreign = await asHolder('GET', `/actions/runs/${encodeURIComponent(adminRun.json.workflowId)}`);
  expect(foreign.status).toBe(404);

  // Not an admin key: management routes refuse it; a tampered token is refused everywhere.
  expect((await asHolder('GET', '/connections')).status).toBe(401);
  const tampered = `${token.slice(0, -4)}AAAA`;
  const forged = await fetch(`${junction.url}/actions/${providerId}/getItem`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tampered}`, 'content-type': 'application/json' },
    body: JSON.stringify({ input: { id: 1 } }),
  });
  expect(forged.status).toBe(401);

  expect((await api('POST', '/connections/acct-1/tokens', { ttlSeconds: 5 })).json.code).toBe('bad_request');
  expect((await api('POST', '/connections/nobody/tokens', {})).status).toBe(404);
  // The token never reaches the provider: the connection's own API key does.
  expect(fake.requests.every((r) => r.headers.authorization === `Bearer ${apiKey}`)).toBe(true);
});
