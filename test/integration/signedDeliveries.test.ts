import { randomBytes } from 'node:crypto';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { startTestJunction, type TestJunction } from '../helpers/junction';
import { newStandardSecret, signStandardWebhook } from '../helpers/sign';
import { startTarget, type Target, type TargetRequest } from '../helpers/target';
import { eventually, uniqueName } from '../helpers/temporal';

/**
 * The application's side, as docs/deliveries.md shows it: the official `standardwebhooks` library verifies
 * what Junction sends, forwards and connection events alike.
 */
const sourceSecret = newStandardSecret();
const sharedSecret = newStandardSecret();
const [oldSecret, newSecret] = [newStandardSecret(), newStandardSecret()];
const eventsSecret = newStandardSecret();
const adminKey = `admin-${randomBytes(16).toString('hex')}`;
let app: Target;
let junction: TestJunction;

beforeAll(async () => {
  app = await startTarget();
  junction = await startTestJunction({
    admin: { apiKeys: [adminKey] },
    delivery: {
      signingSecrets: [sharedSecret],
      retry: { initialIntervalMs: 100, backoffCoefficient: 1, maximumIntervalMs: 100, maximumAttempts: 5 },
    },
    connections: { events: { url: `${app.url}/events`, signingSecrets: [eventsSecret] } },
    sources: [
      {
        id: 'acme',
        scheme: 'standard-webhooks',
        secrets: [sourceSecret],
        routes: [
          { name: 'orders', events: ['order.*'], forward: { url: `${app.url}/orders`, timeoutMs: 2_000 } },
          {
            name: 'invoices',
            events: ['invoice.*'],
            forward: { url: `${app.url}/invoices`, timeoutMs: 2_000, signingSecrets: [oldSecret, newSecret] },
          },
        ],
      },
    ],
  });
});

afterAll(async () => {
  await junction?.stop();
  await app?.close();
});

/** What the application does with a request: verify it with its secret (throws when it does not verify). */
function verify(secret: string, request: TargetRequest, body = request.body.toString('utf8')): unknown {
  return new Webhook(secret).verify(body, request.headers as Record<string, string>);
}

async function send(type: string, data: unknown) {
  const signed = signStandardWebhook({ secret: sourceSecret, type, data });
  const response = await junction.post('/webhooks/acme', { headers: signed.headers, body: signed.body });
  expect(response.status).toBe(202);
  return signed;
}

test('forwards are signed with the shared secret, with one webhook-id across retries', async () => {
  app.behave((request, index) =>
    request.url === '/orders' && index === 0 ? { status: 503 } : { status: 200 },
  );
  const signed = await send('order.created', { id: uniqueName('order') });
  const requests = await eventually(() => {
    const found = app.requests.filter((r) => r.headers['junction-delivery-id'] === signed.id);
    return found.length >= 2 ? found : undefined;
  });
  const [first, second] = requests as [TargetRequest, TargetRequest];
  expect(first.headers['junction-attempt']).toBe('1');
  expect(second.headers['junction-attempt']).toBe('2');
  // The same message on both attempts: the application dedupes by webhook-id.
  expect(first.headers['webhook-id']).toBe(`acme:${signed.id}`);
  expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
  for (const request of requests) {
    expect(verify(sharedSecret, request)).toEqual(JSON.parse(signed.body));
    expect(request.body.toString('utf8')).toBe(signed.body);
    expect(request.headers['junction-source']).toBe('acme');
  }
  // Not the provider's secret, and not a body changed on the way.
  expect(() => verify(sourceSecret, second)).toThrow(WebhookVerificationError);
  expect(() => verify(sharedSecret, second, signed.body.replace('order.created', 'order.deleted'))).toThrow(
    WebhookVerificationError,
  );

  // The delivery log in the status query: both attempts, the 503 and the delivery, with their durations.
  const workflowId = `webhook:acme:${signed.id}`;
  const status = await eventually(async () => {
    const current = await junction.junction.webhooks.deliveryStatus(workflowId);
    return current.state === 'delivered' ? current : undefined;
  });
  expect(status.log).toEqual([
    expect.objectContaining({
      route: 'orders',
      target: 'forward',
      attempt: 1,
      outcome: 'failed',
      status: 503,
      error: { code: 'target_error', message: 'the target answered HTTP 503' },
    }),
    expect.objectContaining({ route: 'orders', attempt: 2, outcome: 'delivered', status: 200 }),
  ]);
  for (const entry of status.log ?? []) {
    expect(entry.durationMs).toEqual(expect.any(Number));
    expect(Date.parse(entry.at)).not.toBeNaN();
  }
});

test('the delivery log keeps the latest ten attempts across rounds', async () => {
  app.behave((request) => (request.url === '/orders' ? { status: 500 } : { status: 200 }));
  const signed = await send('order.updated', { id: uniqueName('order') });
  const workflowId = `webhook:acme:${signed.id}`;
  const dead = await eventually(
    async () => {
      const current = await junction.junction.webhooks.deliveryStatus(workflowId);
      return current.state === 'dead_lettered' ? current : undefined;
    },
    { timeoutMs: 30_000 },
  );
  expect(dead.log?.map((e) => [e.attempt, e.outcome, e.status])).toEqual(
    [1, 2, 3, 4, 5].map((n) => [n, 'failed', 500]),
  );
  // Two more rounds of five: the log keeps the last ten.
  for (const round of [2, 3]) {
    await junction.junction.webhooks.retryDeadLetter(workflowId);
    await eventually(
      async () => {
        const current = await junction.junction.webhooks.deliveryStatus(workflowId);
        return current.state === 'dead_lettered' && current.targets[0]?.attempts === round * 5
          ? current
          : undefined;
      },
      { timeoutMs: 30_000 },
    );
  }
  const status = await junction.junction.webhooks.deliveryStatus(workflowId);
  expect(status.log?.map((e) => e.attempt)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  await junction.junction.webhooks.discardDeadLetter(workflowId, 'test over');
});

test('a target rotating its secret: the old and the new secret both verify, a tampered body fails', async () => {
  app.behave(() => ({ status: 200 }));
  const signed = await send('invoice.paid', { id: uniqueName('invoice'), amount: 1250 });
  const request = await eventually(() =>
    app.requests.find((r) => r.url === '/invoices' && r.headers['junction-delivery-id'] === signed.id),
  );
  expect(request.headers['webhook-signature']?.toString().split(' ')).toHaveLength(2);
  expect(verify(oldSecret, request)).toEqual(JSON.parse(signed.body));
  expect(verify(newSecret, request)).toEqual(JSON.parse(signed.body));
  expect(() => verify(sharedSecret, request)).toThrow(WebhookVerificationError);
  expect(() => verify(newSecret, request, signed.body.replace('1250', '1'))).toThrow(
    WebhookVerificationError,
  );
});

test('connection events are signed with their own secret, with one webhook-id across retries', async () => {
  const connectionId = uniqueName('signed');
  let failedOnce = false;
  app.behave((request) => {
    if (request.url === '/events' && !failedOnce) {
      failedOnce = true;
      return { status: 500 };
    }
    return { status: 200 };
  });
  const created = await fetch(`${junction.url}/connections`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      connectionId,
      providerId: 'stripe',
      credentials: { apiKey: 'sk_test_signed_0123' },
    }),
  });
  expect(created.status).toBe(201);
  const events = await eventually(
    () => {
      const found = app.requests.filter((r) => r.headers['junction-connection-id'] === connectionId);
      return found.length >= 2 ? found : undefined;
    },
    { timeoutMs: 30_000 },
  );
  const [first, second] = events as [TargetRequest, TargetRequest];
  expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
  for (const request of events) {
    expect(verify(eventsSecret, request)).toMatchObject({ type: 'connection.created', connectionId });
  }
  expect(() => verify(sharedSecret, second)).toThrow(WebhookVerificationError);
  const tampered = second.body.toString('utf8').replace(connectionId, `${connectionId}x`);
  expect(() => verify(eventsSecret, second, tampered)).toThrow(WebhookVerificationError);
});

test('no signing secret appears in any log line', () => {
  const logs = junction.logs.join('\n');
  for (const secret of [sharedSecret, oldSecret, newSecret, eventsSecret]) {
    expect(logs).not.toContain(secret);
    expect(logs).not.toContain(secret.slice('whsec_'.length));
  }
});
