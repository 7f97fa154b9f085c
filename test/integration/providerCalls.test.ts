import { startFakeProvider, type FakeProvider } from '../../src/demo/fakeProvider';
import { fakeProviderDeclaration, startCallHarness, type CallHarness } from '../helpers/calls';
import { eventually } from '../helpers/temporal';

const quick = { initialIntervalMs: 100, backoffCoefficient: 1, maximumIntervalMs: 100, maximumAttempts: 5 };
let fake: FakeProvider;
const harnesses: CallHarness[] = [];

beforeEach(async () => {
  fake = await startFakeProvider({ itemCount: 1_000 });
});

afterEach(async () => {
  while (harnesses.length > 0) await harnesses.pop()?.stop();
  await fake.close();
});

async function harness(calls: Record<string, unknown> = {}) {
  const provider = fakeProviderDeclaration(fake.url, calls);
  const started = await startCallHarness([provider]);
  harnesses.push(started);
  return { provider, calls: started };
}

test('a burst of 500s then recovery: succeeds on the attempt after the burst, as the preset allows', async () => {
  const { provider, calls } = await harness();
  fake.misbehave({ failNext: { count: 3, status: 500 } });
  const { response, failure } = await calls.callOnce(
    { providerId: provider.id, retry: quick },
    { method: 'GET', path: '/items/7' },
  );
  expect(failure).toBeUndefined();
  expect(response).toMatchObject({ status: 200, attempt: 4, body: { id: 7, name: 'item 7' } });
  expect(fake.requests.map((r) => r.answer)).toEqual([500, 500, 500, 200]);

  // More failures than the preset's attempts: the call fails with the last cause, after exactly 5 tries.
  fake.requests.length = 0;
  fake.misbehave({ failNext: { count: 10, status: 502 } });
  const exhausted = await calls.callOnce(
    { providerId: provider.id, retry: quick },
    { method: 'GET', path: '/items/7' },
  );
  expect(exhausted.failure).toMatchObject({ type: 'provider_error', details: [{ status: 502, attempt: 5 }] });
  expect(fake.requests).toHaveLength(5);
});

test('429 with Retry-After: 2 → the next attempt comes no sooner than 2 s later', async () => {
  const { provider, calls } = await harness();
  fake.misbehave({ failNext: { count: 1, status: 429, retryAfter: '2' } });
  const { response } = await calls.callOnce(
    { providerId: provider.id, retry: quick },
    { method: 'GET', path: '/items/1' },
  );
  expect(response?.attempt).toBe(2);
  const [first, second] = fake.requests;
  expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(1_950);
});

test('404 fails at once: no retry, the provider answer in the failure', async () => {
  const { provider, calls } = await harness();
  const { failure } = await calls.callOnce(
    { providerId: provider.id, retry: quick },
    { method: 'GET', path: '/items/999999' },
  );
  expect(failure).toMatchObject({
    type: 'provider_rejected',
    details: [{ status: 404, attempt: 1, body: { error: 'not found' } }],
  });
  expect(fake.requests).toHaveLength(1);
});

test('POST with JSON, query parameters, and a path that tries to leave the provider', async () => {
  const { provider, calls } = await harness();
  const created = await calls.callOnce(
    { providerId: provider.id, retry: quick },
    { method: 'POST', path: '/items', json: { name: 'new one' }, query: { notify: true } },
  );
  expect(created.response).toMatchObject({ status: 201, body: { id: 1001, name: 'new one' } });
  expect(fake.requests[0]?.query.get('notify')).toBe('true');
  expect(fake.requests[0]?.headers['content-type']).toBe('application/json');

  const escape = await calls.callOnce(
    { providerId: provider.id, retry: quick },
    { method: 'GET', path: '//evil.example/x' },
  );
  expect(escape.failure).toMatchObject({ type: 'invalid_request' });
  expect(fake.requests).toHaveLength(1);
});

test('slow answers time out per attempt and are retried; oversized answers fail clearly', async () => {
  const { provider, calls } = await harness({ timeouts: { headersMs: 300 }, maxResponseBytes: 10_000 });
  // undici runs header timeouts on its coarse timers (1 s resolution): the 300 ms timeout fires 0.5–1 s after
  // the request is written, so the slow answer must be clearly slower than that, or the two race.
  fake.misbehave({ delayMs: 3_000 });
  // Recover once the first attempt has arrived (its answer stays slow): the retry is answered at once,
  // however long a busy machine takes to start the first attempt.
  const before = fake.requests.length;
  const recovered = eventually(() => fake.requests.length > before, { intervalMs: 20 }).then(() =>
    fake.recover(),
  );
  const slow = await calls.callOnce(
    { providerId: provider.id, retry: quick },
    { method: 'GET', path: '/items/2' },
  );
  await recovered;
  expect(slow.response?.status).toBe(200);
  expect(slow.response?.attempt).toBeGreaterThan(1);

  const big = await calls.callOnce(
    { providerId: provider.id, retry: quick },
    { method: 'GET', path: '/items', query: { limit: 500 } },
  );
  expect(big.failure).toMatchObject({ type: 'response_too_large' });
});

test('connection resets are retried', async () => {
  const { provider, calls } = await harness();
  fake.misbehave({ resetNext: 2 });
  const { response } = await calls.callOnce(
    { providerId: provider.id, retry: quick },
    { method: 'GET', path: '/items/3' },
  );
  expect(response).toMatchObject({ status: 200, attempt: 3 });
});

test('outage: the breaker opens, the provider sees at most one probe per half-open, calls complete after recovery', async () => {
  const halfOpenAfterMs = 1_500;
  const { provider, calls } = await harness({
    breaker: { consecutiveFailures: 3, halfOpenAfterMs },
  });
  const patient = {
    initialIntervalMs: 100,
    backoffCoefficient: 1,
    maximumIntervalMs: 100,
    maximumAttempts: 200,
  };
  fake.misbehave({ outage: { mode: 'status' } });
  const outageStarted = Date.now();
  const pending = Array.from({ length: 5 }, (_, i) =>
    calls.callOnce({ providerId: provider.id, retry: patient }, { method: 'GET', path: `/items/${i + 1}` }),
  );
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const duringOutage = fake.requests.length;
  fake.recover();
  const outageMs = Date.now() - outageStarted;
  const results = await Promise.all(pending);
  expect(results.map((r) => r.response?.status)).toEqual([200, 200, 200, 200, 200]);

  // Without the breaker, five callers retrying every 100 ms would have sent ~250 requests. With it: the
  // failures that opened it, then one probe per half-open period.
  const probes = Math.ceil(outageMs / halfOpenAfterMs) + 1;
  expect(duringOutage).toBeLessThanOrEqual(3 + probes);
  expect(duringOutage).toBeGreaterThanOrEqual(3);
  const metrics = await calls.metrics.calls.get();
  const circuitOpen = metrics.values.find((v) => v.labels.outcome === 'circuit_open');
  // Callers' attempts refused while it was open (how many depends on how fast a busy machine retries).
  expect(circuitOpen?.value).toBeGreaterThan(0);
  expect(calls.breakers.snapshot()[provider.id]?.state).toBe('closed');
  expect(calls.logs.some((line) => line.includes('circuit breaker opened'))).toBe(true);
});

// Alone it takes about 15 s; beside the rest of the suite on a loaded 2-core machine it ran past 120 s.
test('rate limit 20/s (strict) holds across two workers: never more than 20 in any one-second window', async () => {
  const { provider, calls } = await harness({ rateLimit: { perSecond: 20 } });
  await calls.addProviderWorkers();
  const results = await Promise.all(
    Array.from({ length: 80 }, (_, i) =>
      calls.callOnce({ providerId: provider.id, retry: quick }, { method: 'GET', path: `/items/${i + 1}` }),
    ),
  );
  expect(results.every((r) => r.response?.status === 200)).toBe(true);
  expect(fake.requests).toHaveLength(80);
  expect(fake.maxPerSecond()).toBeLessThanOrEqual(20);
}, 300_000);

test('pagination over 1,000 items: cursor, Link header and offset styles', async () => {
  const cursor = await harness({
    pagination: { style: 'cursor', nextCursorPath: 'next_cursor', itemsPath: 'data' },
  });
  const byCursor = await cursor.calls.listEverything(
    { providerId: cursor.provider.id, retry: quick },
    { method: 'GET', path: '/items', query: { limit: 100 } },
  );
  expect(byCursor.pages).toBe(10);
  expect(byCursor.items.map((item) => (item as { id: number }).id)).toEqual(
    Array.from({ length: 1_000 }, (_, i) => i + 1),
  );

  const link = await harness({ pagination: { style: 'link' } });
  const byLink = await link.calls.listEverything(
    { providerId: link.provider.id, retry: quick },
    { method: 'GET', path: '/items/paged', query: { per_page: 250 } },
  );
  expect(byLink.pages).toBe(4);
  expect(byLink.items).toHaveLength(1_000);

  const offset = await harness({ pagination: { style: 'offset', itemsPath: 'items', totalPath: 'total' } });
  const byOffset = await offset.calls.listEverything(
    { providerId: offset.provider.id, retry: quick },
    { method: 'GET', path: '/items/offset', query: { limit: 300 } },
  );
  expect(byOffset.pages).toBe(4);
  expect(new Set(byOffset.items.map((item) => (item as { id: number }).id)).size).toBe(1_000);
});

test('the provider-reported quota slows calls down before a 429', async () => {
  await fake.close();
  const windowMs = 8_000;
  fake = await startFakeProvider({ quota: { limit: 5, windowMs } });
  const { provider, calls } = await harness({ rateLimit: { quotaHeaders: { slowDownBelow: 0 } } });
  const call = () =>
    calls.callOnce({ providerId: provider.id, retry: quick }, { method: 'GET', path: '/items/1' });
  // The window opens with the first request. The five calls it allows go together, so they use it up in
  // about one call's time, however slowly workflows start (a server on PostgreSQL under load is slower
  // than the dev server; one at a time they could outlast the window, which then reset unused).
  const allowed = await Promise.all(Array.from({ length: 5 }, call));
  expect(allowed.map((r) => r.response?.status)).toEqual([200, 200, 200, 200, 200]);
  // The quota is at 0: the next calls wait for the reset instead of drawing a 429.
  for (let i = 0; i < 3; i++) expect((await call()).response?.status).toBe(200);
  expect(fake.requests.map((r) => r.answer)).toEqual([200, 200, 200, 200, 200, 200, 200, 200]);
  const [first, sixth] = [fake.requests[0], fake.requests[5]];
  expect((sixth?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(windowMs);
  const waits = await calls.metrics.rateLimitWaits.get();
  expect(waits.values.find((v) => v.labels.reason === 'provider_quota')?.value).toBeGreaterThan(0);
});
