import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { WorkflowBundle } from '@temporalio/worker';
import type { WebhookDeliveryStatus } from '../../src/shared/webhooks';
import { bundleInThread } from '../../src/workers/bundleThread';
import { bundleJunctionWorkflows } from '../../src/workers/worker';
import { startTestJunction, type TestJunction } from '../helpers/junction';
import { newStandardSecret, signStandardWebhook } from '../helpers/sign';
import { startTarget, type Target } from '../helpers/target';
import { eventually } from '../helpers/temporal';

const secret = newStandardSecret();
let target: Target;
let bundle: WorkflowBundle;
let junction: TestJunction;

beforeAll(async () => {
  target = await startTarget();
  // Built here, in a thread, rather than taken from the run's shared bundle.
  bundle = await bundleJunctionWorkflows();
  junction = await startTestJunction(
    {
      // A cache smaller than the workflows the test parks: the others are evicted and replay when woken.
      temporal: { maxCachedWorkflows: 2 },
      delivery: {
        retry: { initialIntervalMs: 100, backoffCoefficient: 1, maximumIntervalMs: 100, maximumAttempts: 2 },
      },
      sources: [
        {
          id: 'acme',
          scheme: 'standard-webhooks',
          secrets: [secret],
          routes: [
            { name: 'orders', events: ['*'], forward: { url: `${target.url}/orders`, timeoutMs: 1_000 } },
          ],
        },
      ],
    },
    { workflowBundle: bundle },
  );
}, 180_000);

afterAll(async () => {
  await junction?.stop();
  await target?.close();
});

async function send(): Promise<string> {
  const signed = signStandardWebhook({ secret, type: 'order.created' });
  const response = await junction.post('/webhooks/acme', { headers: signed.headers, body: signed.body });
  expect(response.status).toBe(202);
  return ((await response.json()) as { workflowId: string }).workflowId;
}

async function reach(workflowId: string, state: WebhookDeliveryStatus['state']): Promise<void> {
  await eventually(
    async () => (await junction.junction.webhooks.deliveryStatus(workflowId)).state === state,
    { what: `${workflowId} to reach ${state}`, timeoutMs: 60_000 },
  );
}

test('the thread-built bundle runs a delivery on the real server', async () => {
  expect(bundle.code.length).toBeGreaterThan(100_000);
  target.behave(() => ({ status: 200 }));
  const before = target.requests.length;
  const workflowId = await send();
  await reach(workflowId, 'delivered');
  expect(target.requests.length - before).toBe(1);
});

test('with maxCachedWorkflows 2, five parked deliveries hold at most two in memory and still finish when woken', async () => {
  target.behave(() => ({ status: 500 }));
  const ids = await Promise.all(Array.from({ length: 5 }, () => send()));
  for (const id of ids) await reach(id, 'dead_lettered');
  expect(junction.worker?.getStatus().numCachedWorkflows).toBeLessThanOrEqual(2);

  // Evicted deliveries replay their history to take the retry signal.
  target.behave(() => ({ status: 200 }));
  for (const id of ids) await junction.junction.webhooks.retryDeadLetter(id);
  for (const id of ids) await reach(id, 'delivered');
  expect(junction.worker?.getStatus().numCachedWorkflows).toBeLessThanOrEqual(2);
});

test('a bundling failure rejects with the bundler error kept as the cause', async () => {
  const missing = join(tmpdir(), 'junction-no-such-workflows', 'index.ts');
  const failure = await bundleInThread(missing).then(
    () => undefined,
    (error: unknown) => error as Error,
  );
  expect(failure?.message).toBe('bundling the workflow code failed');
  // The cause crossed from the thread (another realm than jest's): its message says what was wrong.
  expect((failure?.cause as Error | undefined)?.message).toContain(missing);
});
