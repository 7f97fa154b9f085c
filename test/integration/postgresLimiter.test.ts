import { Client as PgClient } from 'pg';
import { Registry } from 'prom-client';
import type { CallAttempt } from '../../src/calls/attempt';
import { CallBudgets } from '../../src/calls/budget';
import type { SharedRateLimiter } from '../../src/calls/limiter';
import { createCallMetrics } from '../../src/calls/metrics';
import { takeSharedTurn } from '../../src/calls/sharedTurn';
import { callSettingsSchema } from '../../src/calls/settings';
import { createLogger } from '../../src/logging/logger';
import { ProviderCallError } from '../../src/shared/errors';
import { openPostgresLimiter } from '../../src/calls/postgresLimiter';
import { TEST_DATABASE_URL } from '../helpers/records';
import { uniqueName } from '../helpers/temporal';

const schema = uniqueName('limiter').replace(/-/g, '_');
const limiters: SharedRateLimiter[] = [];

afterAll(async () => {
  for (const limiter of limiters) await limiter.close();
  const admin = new PgClient({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
});

test('two processes worth of limiters opened at once hand out turns one interval apart, never the same one twice', async () => {
  // Opened concurrently: the set-up (table, function) is serialised, not raced.
  const [a, b] = await Promise.all([
    openPostgresLimiter(TEST_DATABASE_URL, { schema }),
    openPostgresLimiter(TEST_DATABASE_URL, { schema }),
  ]);
  limiters.push(a, b);
  const interval = 1_000;
  const turns = await Promise.all(
    Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).take('acme', interval, 60_000)),
  );
  expect(turns.every((turn) => turn.granted)).toBe(true);
  // Each take reserved the next turn: in order, the turns are one interval apart (as this process's clock
  // sees them, through the measured offset to the database's, which a busy machine blurs by a few tens of
  // ms), so no two callers share a turn; the first is now.
  const times = turns.map((turn) => turn.at).sort((x, y) => x - y);
  expect(Math.abs(times[0]! - Date.now())).toBeLessThan(5_000);
  for (let i = 1; i < times.length; i++)
    expect(Math.abs(times[i]! - times[i - 1]! - interval)).toBeLessThan(200);
  // The waits say the same: the last turn is 39 intervals after the first (less the time the takes took).
  const waits = turns.map((turn) => turn.waitMs).sort((x, y) => x - y);
  expect(waits[39]).toBeGreaterThan(39 * interval - 1_000);

  // A turn beyond the bound is reported, not reserved: the next caller still gets the turn after the 40th.
  const far = await a.take('acme', interval, 1_000);
  expect(far.granted).toBe(false);
  expect(far.waitMs).toBeGreaterThan(30_000);
  const next = await b.take('acme', interval, 60_000);
  expect(next.granted).toBe(true);
  expect(Math.abs(next.at - far.at)).toBeLessThan(200);
  expect(next.at - times[39]!).toBeGreaterThan(interval - 200);

  // Another key is another provider: its first turn is now.
  const other = await a.take('other', interval, 0);
  expect(other.granted).toBe(true);
  expect(other.waitMs).toBeLessThan(200);
});

test('pacing with the shared limiter: a near turn is waited for, a far one is a retry at its time, a limiter that is down a retry in 1 s', async () => {
  const limiter = await openPostgresLimiter(TEST_DATABASE_URL, { schema });
  limiters.push(limiter);
  const providerId = uniqueName('paced');
  const call: CallAttempt = {
    provider: {
      id: providerId,
      apiBaseUrl: 'https://api.example.com',
      calls: callSettingsSchema.parse({ rateLimit: { perSecond: 2 } }),
    },
    input: { providerId, request: { method: 'GET', path: '/x' } },
    attempt: 1,
    log: createLogger({ level: 'silent' }),
    cancellation: new AbortController().signal,
  };
  const deps = {
    budgets: new CallBudgets(Date.now, { providerSpacing: false }),
    // Share 0.5: turns 1 s apart, and a caller held up by a busy test machine (up to 500 ms) still uses its turn.
    sharedPacing: { limiter, share: 0.5 },
  };
  // The first goes at once; the second waits its turn in the activity.
  await takeSharedTurn(deps, call, 2_000);
  const before = Date.now();
  await takeSharedTurn(deps, call, 2_000);
  expect(Date.now() - before).toBeGreaterThanOrEqual(500); // 1 s after the first turn, less the first call's own time
  // Turns are taken up to 2 s ahead; the one after is a retryable rate_limited with its wait, not a wait.
  for (let i = 0; i < 4; i++) await limiter.take(providerId, 500, 10_000);
  const far = await takeSharedTurn(deps, call, 1_000).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(far).toBeInstanceOf(ProviderCallError);
  expect(far).toMatchObject({ code: 'rate_limited', retryable: true });
  expect((far as ProviderCallError).retryAfterMs).toBeGreaterThan(1_000);

  const down = await openPostgresLimiter(TEST_DATABASE_URL, { schema });
  await down.close();
  const unavailable = await takeSharedTurn(
    { ...deps, sharedPacing: { limiter: down, share: 1 } },
    call,
    2_000,
  ).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(unavailable).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 1_000 });
});

test('a caller held up past its turn gives it up and takes another; held up three times, it retries later', async () => {
  const limiter = await openPostgresLimiter(TEST_DATABASE_URL, { schema });
  limiters.push(limiter);
  const providerId = uniqueName('late');
  const metrics = createCallMetrics(new Registry());
  let holdUps = 1;
  // This process is held up (a busy event loop) right after the database answers, `holdUps` times.
  const heldUp: SharedRateLimiter = {
    kind: limiter.kind,
    close: () => limiter.close(),
    take: async (...args) => {
      const turn = await limiter.take(...args);
      if (holdUps-- > 0) {
        const until = Date.now() + 400;
        while (Date.now() < until);
      }
      return turn;
    },
  };
  const call: CallAttempt = {
    provider: {
      id: providerId,
      apiBaseUrl: 'https://api.example.com',
      calls: callSettingsSchema.parse({ rateLimit: { perSecond: 10 } }),
    },
    input: { providerId, request: { method: 'GET', path: '/x' } },
    attempt: 1,
    log: createLogger({ level: 'silent' }),
    cancellation: new AbortController().signal,
  };
  const deps = {
    budgets: new CallBudgets(Date.now, { providerSpacing: false }),
    sharedPacing: { limiter: heldUp, share: 0.95 },
    metrics,
  };
  const lateTurns = async () =>
    (await metrics.rateLimitWaits.get()).values.find((v) => v.labels.reason === 'late_turn')?.value ?? 0;

  await takeSharedTurn(deps, call, 2_000);
  // (At least: a loaded machine may hold this process up on its own, too.)
  const afterOne = await lateTurns();
  expect(afterOne).toBeGreaterThanOrEqual(1);

  holdUps = 3;
  const failure = await takeSharedTurn(deps, call, 2_000).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 1_000 / (10 * 0.95) });
  expect((await lateTurns()) - afterOne).toBe(3);
});
