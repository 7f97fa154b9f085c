import { WorkflowNotFoundError } from '@temporalio/client';
import { FORWARD_HEADERS } from '../../src/activities/forward';
import type { WebhookDeliveryStatus } from '../../src/shared/webhooks';
import type { webhookDelivery } from '../../src/workflows';
import { startTestJunction, type TestJunction } from '../helpers/junction';
import { newStandardSecret, signStandardWebhook } from '../helpers/sign';
import { scripted, startTarget, type Target } from '../helpers/target';
import { eventually } from '../helpers/temporal';

const secret = newStandardSecret();
let target: Target;
let junction: TestJunction;

beforeAll(async () => {
  target = await startTarget();
  junction = await startTestJunction({
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
              url: `${target.url}/orders`,
              headers: { authorization: 'Bearer app-token-123' },
              timeoutMs: 1_000,
            },
          },
        ],
      },
    ],
  });
});

afterAll(async () => {
  await junction?.stop();
  await target?.close();
});

beforeEach(() => {
  target.requests.length = 0;
  target.behave(() => ({ status: 200 }));
});

async function status(workflowId: string): Promise<WebhookDeliveryStatus> {
  return junction.junction.webhooks.deliveryStatus(workflowId);
}

async function waitForState(workflowId: string, state: WebhookDeliveryStatus['state']) {
  return eventually(
    async () => {
      const current = await status(workflowId);
      return current.state === state ? current : undefined;
    },
    { what: `${workflowId} to reach ${state}` },
  );
}

async function send(signed = signStandardWebhook({ secret })) {
  const response = await junction.post('/webhooks/acme', { headers: signed.headers, body: signed.body });
  return { response, json: (await response.json()) as { status: string; workflowId: string }, signed };
}

test('an accepted event is forwarded exactly once, byte for byte, with Junction headers', async () => {
  const body = '{"type":"order.created","data":{"name":"Zoë ✓","n":1.50}}';
  const { response, json, signed } = await send(signStandardWebhook({ secret, body }));
  expect(response.status).toBe(202);
  expect(json).toEqual({ status: 'accepted', workflowId: `webhook:acme:${signed.id}` });

  const final = await waitForState(json.workflowId, 'delivered');
  expect(final.targets).toEqual([expect.objectContaining({ status: 'delivered', attempts: 1 })]);
  const result = await junction.client.workflow.getHandle<typeof webhookDelivery>(json.workflowId).result();
  expect(result.state).toBe('delivered');

  expect(target.requests).toHaveLength(1);
  const [request] = target.requests;
  expect(request?.url).toBe('/orders');
  expect(request?.body.toString('utf8')).toBe(body);
  expect(request?.headers['content-type']).toBe('application/json');
  expect(request?.headers.authorization).toBe('Bearer app-token-123');
  expect(request?.headers[FORWARD_HEADERS.source]).toBe('acme');
  expect(request?.headers[FORWARD_HEADERS.deliveryId]).toBe(signed.id);
  expect(request?.headers[FORWARD_HEADERS.eventType]).toBe('order.created');
  expect(request?.headers[FORWARD_HEADERS.attempt]).toBe('1');
});

test('a redelivery is answered duplicate and runs once', async () => {
  const signed = signStandardWebhook({ secret });
  const first = await send(signed);
  const second = await send(signed);
  expect(first.json.status).toBe('accepted');
  expect(second.response.status).toBe(202);
  expect(second.json).toEqual({ status: 'duplicate', workflowId: first.json.workflowId });
  await waitForState(first.json.workflowId, 'delivered');
  // Also after completion: the closed execution still holds the id.
  const third = await send(signed);
  expect(third.json.status).toBe('duplicate');

  const executions = [];
  for await (const execution of junction.client.workflow.list({
    query: `WorkflowId = '${first.json.workflowId}'`,
  })) {
    executions.push(execution);
  }
  expect(executions).toHaveLength(1);
  expect(target.requests).toHaveLength(1);
});

test('a target failing three times then succeeding is delivered on attempt 4', async () => {
  target.behave(scripted(500, 503, 502, 200));
  const { json } = await send();
  const final = await waitForState(json.workflowId, 'delivered');
  expect(final.targets[0]).toMatchObject({ status: 'delivered', attempts: 4 });
  expect(target.requests.map((r) => r.headers[FORWARD_HEADERS.attempt])).toEqual(['1', '2', '3', '4']);
});

test('Retry-After from the target sets the delay before the next attempt', async () => {
  target.behave(scripted({ status: 429, headers: { 'retry-after': '2' } }, 200));
  const { json } = await send();
  await waitForState(json.workflowId, 'delivered');
  expect(target.requests).toHaveLength(2);
  const gap = (target.requests[1]?.receivedAt ?? 0) - (target.requests[0]?.receivedAt ?? 0);
  // The configured backoff is 100 ms; only Retry-After explains a gap of two seconds.
  expect(gap).toBeGreaterThanOrEqual(1_900);
});

test('a 503 with Retry-After: 0 is retried, not dead-lettered: delivered on the second request', async () => {
  target.behave(scripted({ status: 503, headers: { 'retry-after': '0' } }, 200));
  const { json } = await send();
  const final = await waitForState(json.workflowId, 'delivered');
  expect(final.targets[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  expect(target.requests.map((r) => r.headers[FORWARD_HEADERS.attempt])).toEqual(['1', '2']);
});

test('a target slower than its timeout is cut off and retried', async () => {
  target.behave(scripted({ status: 200, delayMs: 3_000 }, 200));
  const { json } = await send();
  const final = await waitForState(json.workflowId, 'delivered');
  expect(final.targets[0]?.attempts).toBe(2);
});

test('a 4xx from the target dead-letters at once; retry delivers after the target is fixed', async () => {
  target.behave(() => ({ status: 422 }));
  const { json } = await send();
  const dead = await waitForState(json.workflowId, 'dead_lettered');
  expect(target.requests).toHaveLength(1);
  expect(dead.lastError).toMatchObject({ code: 'target_rejected', status: 422 });
  expect(dead.targets[0]).toMatchObject({ status: 'failed', attempts: 1 });

  const listed = await eventually(async () => {
    for await (const letter of junction.junction.webhooks.listDeadLetters({ sourceId: 'acme' })) {
      if (letter.workflowId === json.workflowId) return letter;
    }
    return undefined;
  });
  expect(listed).toMatchObject({
    sourceId: 'acme',
    eventType: 'order.created',
    lastError: { code: 'target_rejected' },
  });

  target.behave(() => ({ status: 204 }));
  await junction.junction.webhooks.retryDeadLetter(json.workflowId);
  const delivered = await waitForState(json.workflowId, 'delivered');
  expect(delivered.targets[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  expect(target.requests.map((r) => r.headers[FORWARD_HEADERS.attempt])).toEqual(['1', '2']);
  await expect(junction.junction.webhooks.retryDeadLetter(json.workflowId)).rejects.toMatchObject({
    code: 'not_dead_lettered',
  });
});

test('retries exhausted dead-letter the event; discard completes it as discarded', async () => {
  target.behave(() => ({ status: 500 }));
  const { json } = await send();
  const dead = await waitForState(json.workflowId, 'dead_lettered');
  expect(target.requests).toHaveLength(5);
  expect(dead.lastError).toMatchObject({ code: 'target_error', status: 500 });
  expect(dead.targets[0]?.attempts).toBe(5);

  await junction.junction.webhooks.discardDeadLetter(json.workflowId, 'bad payload, handled by hand');
  const result = await junction.client.workflow.getHandle<typeof webhookDelivery>(json.workflowId).result();
  expect(result).toMatchObject({ state: 'discarded', discardReason: 'bad payload, handled by hand' });
  expect(result.targets[0]?.status).toBe('discarded');
  const description = await junction.client.workflow.getHandle(json.workflowId).describe();
  expect(description.status.name).toBe('COMPLETED');
});

test('an event no route matches is accepted and completes as unrouted', async () => {
  const { json } = await send(signStandardWebhook({ secret, type: 'invoice.paid' }));
  expect(json.status).toBe('accepted');
  const result = await junction.client.workflow.getHandle<typeof webhookDelivery>(json.workflowId).result();
  expect(result.state).toBe('unrouted');
  expect(target.requests).toHaveLength(0);
});

test('rejected requests start nothing', async () => {
  const signed = signStandardWebhook({ secret });
  const tampered = await junction.post('/webhooks/acme', {
    headers: signed.headers,
    body: signed.body.replace('order', 'ordeR'),
  });
  expect(tampered.status).toBe(401);
  await expect(
    junction.client.workflow.getHandle(`webhook:acme:${signed.id}`).describe(),
  ).rejects.toBeInstanceOf(WorkflowNotFoundError);
});
