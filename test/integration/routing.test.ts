import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { TargetProgress, WebhookDeliveryStatus } from '../../src/shared/webhooks';
import type { webhookDelivery } from '../../src/workflows';
import { startTestJunction, type TestJunction } from '../helpers/junction';
import { newStandardSecret, signStandardWebhook } from '../helpers/sign';
import { startTarget, type Target } from '../helpers/target';
import { eventually, testTemporalAddress, uniqueName } from '../helpers/temporal';

const secret = newStandardSecret();
const appQueue = uniqueName('app');
const dir = mkdtempSync(join(tmpdir(), 'junction-routing-'));
const transformFile = join(dir, 'slim.js');
writeFileSync(
  transformFile,
  'module.exports = (event) => ({ kind: event.eventType, orderId: event.payload.data.id, from: event.source });\n',
);
let ok: Target;
let flaky: Target;
let junction: TestJunction;
let appWorker: Worker;
let appWorkerRun: Promise<void>;
let appConnection: NativeConnection;

beforeAll(async () => {
  ok = await startTarget();
  flaky = await startTarget(() => ({ status: 422 }));
  junction = await startTestJunction({
    delivery: {
      retry: { initialIntervalMs: 50, backoffCoefficient: 1, maximumIntervalMs: 50, maximumAttempts: 2 },
    },
    sources: [
      {
        id: 'shop',
        scheme: 'standard-webhooks',
        secrets: [secret],
        routes: [
          {
            name: 'orders',
            events: ['order.*'],
            targets: [
              { name: 'ok', forward: { url: `${ok.url}/ok` } },
              { name: 'flaky', forward: { url: `${flaky.url}/flaky` } },
              { name: 'app', workflow: { type: 'handleOrder', taskQueue: appQueue, args: ['extra-arg'] } },
            ],
          },
          {
            name: 'slim',
            events: ['order.created'],
            transform: transformFile,
            forward: { url: `${ok.url}/slim` },
          },
        ],
      },
      {
        id: 'strict',
        scheme: 'standard-webhooks',
        secrets: [secret],
        schemas: {
          'order.*': {
            type: 'object',
            required: ['data'],
            properties: {
              data: { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } },
            },
          },
        },
        routes: [{ events: ['*'], forward: { url: `${ok.url}/strict` } }],
      },
    ],
  });
  // The application's own worker: default data converter, its own task queue, none of Junction's code.
  appConnection = await NativeConnection.connect({ address: testTemporalAddress() });
  appWorker = await Worker.create({
    connection: appConnection,
    taskQueue: appQueue,
    workflowsPath: require.resolve('../fixtures/appWorkflows'),
  });
  appWorkerRun = appWorker.run();
});

afterAll(async () => {
  if (appWorker?.getState() === 'RUNNING') appWorker.shutdown();
  await appWorkerRun?.catch(() => undefined);
  await appConnection?.close();
  await junction?.stop();
  await ok?.close();
  await flaky?.close();
});

async function send(source: string, data: unknown, type = 'order.created') {
  const signed = signStandardWebhook({ secret, type, data });
  const response = await junction.post(`/webhooks/${source}`, { headers: signed.headers, body: signed.body });
  expect(response.status).toBe(202);
  return { ...((await response.json()) as { status: string; workflowId: string }), signed };
}

async function waitForState(workflowId: string, state: WebhookDeliveryStatus['state']) {
  return eventually(
    async () => {
      const current = await junction.junction.webhooks.deliveryStatus(workflowId);
      return current.state === state ? current : undefined;
    },
    { what: `${workflowId} to reach ${state}` },
  );
}

/** The first argument an execution was started with, exactly as stored: encoding and JSON text. */
async function startedInput(workflowId: string): Promise<{ encoding: string; args: unknown[] }> {
  const history = await junction.client.workflow.getHandle(workflowId).fetchHistory();
  const payloads = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
  const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');
  return {
    encoding: [...new Set(payloads.map((payload) => text(payload.metadata?.encoding)))].join(','),
    args: payloads.map((payload) => JSON.parse(text(payload.data)) as unknown),
  };
}

test('fan-out: one failing target is retried alone; the others are delivered once; the app workflow starts once', async () => {
  const { workflowId, signed } = await send('shop', { id: 41 });
  const dead = await waitForState(workflowId, 'dead_lettered');
  const byName = (status: WebhookDeliveryStatus): Record<string, TargetProgress> =>
    Object.fromEntries(status.targets.map((t) => [t.target.target ?? '', t]));
  expect(byName(dead)).toMatchObject({
    ok: { status: 'delivered', attempts: 1 },
    flaky: { status: 'failed', attempts: 1, lastError: { code: 'target_rejected', status: 422 } },
    app: { status: 'delivered', workflowId: `${workflowId}/orders/app` },
  });
  expect(ok.requests.filter((r) => r.url === '/ok')).toHaveLength(1);

  // The application's workflow got the event as plain JSON (no Junction codec): any SDK can read it.
  const appInput = await startedInput(`${workflowId}/orders/app`);
  expect(appInput.encoding).toBe('json/plain');
  expect(appInput.args).toEqual([
    {
      source: 'shop',
      deliveryId: signed.id,
      eventType: 'order.created',
      receivedAt: expect.any(String) as string,
      contentType: 'application/json',
      payload: JSON.parse(signed.body) as unknown,
    },
    'extra-arg',
  ]);
  const description = await junction.client.workflow.getHandle(`${workflowId}/orders/app`).describe();
  expect(description).toMatchObject({ type: 'handleOrder', taskQueue: appQueue });
  // …and the application's worker ran it with that input.
  expect(await junction.client.workflow.getHandle(`${workflowId}/orders/app`).result()).toBe(
    'shop:order.created:41:extra-arg',
  );

  flaky.behave(() => ({ status: 200 }));
  await junction.junction.webhooks.retryDeadLetter(workflowId);
  const delivered = await waitForState(workflowId, 'delivered');
  expect(byName(delivered)).toMatchObject({
    ok: { status: 'delivered', attempts: 1 },
    flaky: { status: 'delivered', attempts: 2 },
    app: { status: 'delivered' },
  });
  expect(ok.requests.filter((r) => r.url === '/ok')).toHaveLength(1);
  expect(flaky.requests).toHaveLength(2);

  const duplicate = await junction.post('/webhooks/shop', { headers: signed.headers, body: signed.body });
  expect(await duplicate.json()).toMatchObject({ status: 'duplicate' });
  const runs = [];
  for await (const run of junction.client.workflow.list({
    query: `WorkflowType = 'handleOrder' AND TaskQueue = '${appQueue}'`,
  }))
    runs.push(run.workflowId);
  expect(runs).toEqual([`${workflowId}/orders/app`]);
});

test('a route transform reshapes the payload before delivery (JSON), other routes get the original bytes', async () => {
  const { workflowId } = await send('shop', { id: 77 });
  await eventually(async () => {
    const status = await junction.junction.webhooks.deliveryStatus(workflowId);
    return status.targets.find((t) => t.target.route === 'slim')?.status === 'delivered';
  });
  const slim = ok.requests.filter((r) => r.url === '/slim').at(-1);
  expect(slim?.headers['content-type']).toBe('application/json');
  expect(JSON.parse(slim?.body.toString('utf8') ?? '')).toEqual({
    kind: 'order.created',
    orderId: 77,
    from: 'shop',
  });
});

test('a payload that fails its JSON schema is dead-lettered with the reasons, and delivered nowhere', async () => {
  const { workflowId } = await send('strict', { id: 'not-a-number' });
  const dead = await waitForState(workflowId, 'dead_lettered');
  expect(dead.lastError?.code).toBe('schema_invalid');
  expect(dead.validationErrors).toEqual(['/data/id must be integer (schema "order.*")']);
  expect(ok.requests.filter((r) => r.url === '/strict')).toHaveLength(0);
  const listed = await eventually(async () => {
    for await (const letter of junction.junction.webhooks.listDeadLetters({ sourceId: 'strict' }))
      if (letter.workflowId === workflowId) return letter;
    return undefined;
  });
  expect(listed.lastError).toMatchObject({ code: 'schema_invalid' });
  await junction.junction.webhooks.discardDeadLetter(workflowId, 'bad producer');
  const result = await junction.client.workflow.getHandle<typeof webhookDelivery>(workflowId).result();
  expect(result).toMatchObject({ state: 'discarded', discardReason: 'bad producer' });

  const valid = await send('strict', { id: 5 });
  await waitForState(valid.workflowId, 'delivered');
  const other = await send('strict', { anything: true }, 'customer.updated'); // no schema matches this type
  await waitForState(other.workflowId, 'delivered');
  expect(ok.requests.filter((r) => r.url === '/strict')).toHaveLength(2);
});
