import type { WebhookDeliveryStatus } from '../../src/shared/webhooks';
import { startTestJunction, type TestJunction } from '../helpers/junction';
import { newStandardSecret, signStandardWebhook } from '../helpers/sign';
import { startTarget, type Target } from '../helpers/target';
import { eventually } from '../helpers/temporal';

const secret = newStandardSecret();
const KEYS = ['cus_a', 'cus_b', 'cus_c', 'cus_d', 'cus_e'];
const PER_KEY = 10;
let target: Target;
let junction: TestJunction;
let inFlight = 0;
let maxInFlight = 0;

beforeAll(async () => {
  // Random answer times: without ordering, later events of a key would often overtake earlier ones.
  target = await startTarget(() => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const delayMs = Math.floor(Math.random() * 80);
    setTimeout(() => inFlight--, delayMs);
    return { status: 200, delayMs };
  });
  junction = await startTestJunction(
    {
      delivery: { retry: { initialIntervalMs: 100, maximumIntervalMs: 100, maximumAttempts: 5 } },
      sources: [
        {
          id: 'billing',
          scheme: 'standard-webhooks',
          secrets: [secret],
          routes: [
            {
              name: 'ordered',
              events: ['invoice.*'],
              orderingKey: 'data.customer',
              forward: { url: `${target.url}/ordered` },
            },
            { name: 'parallel', events: ['charge.*'], forward: { url: `${target.url}/parallel` } },
            { name: 'audit', events: ['invoice.audited'], forward: { url: `${target.url}/audit` } },
          ],
        },
      ],
    },
    { sequencer: { maxTicketsPerRun: 3, idleTimeoutMs: 2_000, holderCheckMs: 1_000 } },
  );
});

afterAll(async () => {
  await junction?.stop();
  await target?.close();
});

async function send(type: string, data: Record<string, unknown>) {
  const signed = signStandardWebhook({ secret, type, data });
  const response = await junction.post('/webhooks/billing', { headers: signed.headers, body: signed.body });
  expect(response.status).toBe(202);
  return (await response.json()) as { status: string; workflowId: string };
}

function seen(path: string) {
  return target.requests
    .filter((r) => r.url === path)
    .map((r) => (JSON.parse(r.body.toString('utf8')) as { data: { customer: string; seq: number } }).data);
}

test('50 events for 5 keys, sent concurrently, reach the target in per-key order; keys run side by side', async () => {
  // One sender per key, all at once: each sends its events in order (as a provider does, one after the
  // other's answer), while the five keys interleave.
  await Promise.all(
    KEYS.map(async (customer) => {
      for (let seq = 1; seq <= PER_KEY; seq++) await send('invoice.paid', { customer, seq });
    }),
  );
  await target.waitForRequests(KEYS.length * PER_KEY, 60_000);
  const arrivals = seen('/ordered');
  expect(arrivals).toHaveLength(50);
  for (const customer of KEYS) {
    expect(arrivals.filter((a) => a.customer === customer).map((a) => a.seq)).toEqual(
      Array.from({ length: PER_KEY }, (_, i) => i + 1),
    );
  }
  // Ordering is per key, not global: different keys were delivered concurrently.
  expect(maxInFlight).toBeGreaterThan(1);

  // Each key's sequencer continued as new (every 3 events) to bound its history.
  const runs: string[] = [];
  for await (const run of junction.client.workflow.list({
    query: `WorkflowId = 'ordered:billing:ordered:cus_a'`,
  }))
    runs.push(run.status.name);
  expect(runs.filter((status) => status === 'CONTINUED_AS_NEW').length).toBeGreaterThanOrEqual(3);
});

test('a dead-lettered event holds its key until retried; other keys are not blocked', async () => {
  target.requests.length = 0;
  let failFirst = true;
  target.behave((request) => {
    const data = (JSON.parse(request.body.toString('utf8')) as { data: { customer: string; seq: number } })
      .data;
    if (data.customer === 'cus_hold' && data.seq === 1 && failFirst) return { status: 400 };
    return { status: 200 };
  });
  const first = await send('invoice.paid', { customer: 'cus_hold', seq: 1 });
  const second = await send('invoice.paid', { customer: 'cus_hold', seq: 2 });
  const other = await send('invoice.paid', { customer: 'cus_free', seq: 1 });
  await eventually(
    async () => (await junction.junction.webhooks.deliveryStatus(first.workflowId)).state === 'dead_lettered',
  );
  await eventually(
    async () => (await junction.junction.webhooks.deliveryStatus(other.workflowId)).state === 'delivered',
  );
  const waiting: WebhookDeliveryStatus = await junction.junction.webhooks.deliveryStatus(second.workflowId);
  expect(waiting.targets[0]?.status).toBe('waiting');

  failFirst = false;
  await junction.junction.webhooks.retryDeadLetter(first.workflowId);
  await eventually(
    async () => (await junction.junction.webhooks.deliveryStatus(second.workflowId)).state === 'delivered',
  );
  expect(
    seen('/ordered')
      .filter((a) => a.customer === 'cus_hold')
      .map((a) => a.seq),
  ).toEqual([1, 1, 2]);
});

test('without an ordering key, events run in parallel; an event missing the key is not held', async () => {
  target.requests.length = 0;
  target.behave(() => ({ status: 200 }));
  const charges = await Promise.all(Array.from({ length: 5 }, (_, seq) => send('charge.succeeded', { seq })));
  const keyless = await send('invoice.paid', { seq: 1 }); // no data.customer
  for (const { workflowId } of [...charges, keyless]) {
    await eventually(
      async () => (await junction.junction.webhooks.deliveryStatus(workflowId)).state === 'delivered',
    );
  }
  const status = await junction.junction.webhooks.deliveryStatus(keyless.workflowId);
  expect(status.targets[0]?.target.orderedBy).toBeUndefined();
});

test.each(['cancelled', 'terminated'] as const)(
  'a dead letter holding its key that is %s lets the next event of the key through',
  async (ending) => {
    const customer = `cus_${ending}`;
    target.behave((request) =>
      (JSON.parse(request.body.toString('utf8')) as { data: { seq: number } }).data.seq === 1
        ? { status: 400 }
        : { status: 200 },
    );
    const first = await send('invoice.paid', { customer, seq: 1 });
    const second = await send('invoice.paid', { customer, seq: 2 });
    await eventually(
      async () =>
        (await junction.junction.webhooks.deliveryStatus(first.workflowId)).state === 'dead_lettered',
    );
    expect((await junction.junction.webhooks.deliveryStatus(second.workflowId)).targets[0]?.status).toBe(
      'waiting',
    );
    const handle = junction.client.workflow.getHandle(first.workflowId);
    // Cancelled: the delivery hands its turn back itself. Terminated: it cannot, and the sequencer notices.
    if (ending === 'cancelled') await handle.cancel();
    else await handle.terminate('operator gave up');
    await eventually(
      async () => (await junction.junction.webhooks.deliveryStatus(second.workflowId)).state === 'delivered',
      {
        what: 'the next event of the key',
      },
    );
  },
);

test("a dead letter on another route does not hold the ordered route's key", async () => {
  target.behave((request) => {
    if (request.url === '/audit') return { status: 400 };
    const { seq } = (JSON.parse(request.body.toString('utf8')) as { data: { seq: number } }).data;
    return { status: 200, delayMs: seq === 0 ? 1_500 : 0 };
  });
  // seq 0 holds the key for a while, so the audited event is dead-lettered before its ordered turn comes.
  await send('invoice.paid', { customer: 'cus_mixed', seq: 0 });
  const audited = await send('invoice.audited', { customer: 'cus_mixed', seq: 1 });
  await eventually(
    async () =>
      (await junction.junction.webhooks.deliveryStatus(audited.workflowId)).state === 'dead_lettered',
  );
  expect(
    (await junction.junction.webhooks.deliveryStatus(audited.workflowId)).targets.find(
      (t) => t.target.route === 'ordered',
    )?.status,
  ).toBe('waiting');
  const next = await send('invoice.paid', { customer: 'cus_mixed', seq: 2 });
  const dead = await eventually(async () => {
    const status = await junction.junction.webhooks.deliveryStatus(audited.workflowId);
    const ordered = status.targets.find((t) => t.target.route === 'ordered');
    return status.state === 'dead_lettered' && ordered?.status === 'delivered' ? status : undefined;
  });
  expect(Object.fromEntries(dead.targets.map((t) => [t.target.route, t.status]))).toEqual({
    ordered: 'delivered',
    audit: 'failed',
  });
  await eventually(
    async () => (await junction.junction.webhooks.deliveryStatus(next.workflowId)).state === 'delivered',
  );
  await junction.junction.webhooks.discardDeadLetter(audited.workflowId);
});
