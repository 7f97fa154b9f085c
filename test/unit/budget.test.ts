import { CallBudgets } from '../../src/calls/budget';
import { callSettingsSchema } from '../../src/calls/settings';

test('per-connection budget spaces calls and reserves only waits it will honour', () => {
  let now = 1_000_000;
  const budgets = new CallBudgets(() => now);
  const settings = callSettingsSchema.parse({ rateLimit: { perConnectionPerSecond: 4 } });
  expect(budgets.delayBefore('p', 'c1', settings, 1_000).delayMs).toBe(0);
  expect(budgets.delayBefore('p', 'c1', settings, 1_000)).toEqual({
    delayMs: 250,
    reason: 'connection_budget',
  });
  expect(budgets.delayBefore('p', 'c1', settings, 1_000).delayMs).toBe(500);
  // Another connection has its own budget; calls without a connection are not paced.
  expect(budgets.delayBefore('p', 'c2', settings, 1_000).delayMs).toBe(0);
  expect(budgets.delayBefore('p', undefined, settings, 1_000).delayMs).toBe(0);
  // A wait longer than the caller will do inline is not reserved.
  expect(budgets.delayBefore('p', 'c1', settings, 100).delayMs).toBe(750);
  expect(budgets.delayBefore('p', 'c1', settings, 100).delayMs).toBe(750);
  now += 1_000;
  expect(budgets.delayBefore('p', 'c1', settings, 1_000).delayMs).toBe(0);
});

test('a reported quota near zero holds calls until the reset', () => {
  let now = Date.parse('2026-11-28T12:00:00Z');
  const budgets = new CallBudgets(() => now);
  const settings = callSettingsSchema.parse({ rateLimit: { quotaHeaders: { slowDownBelow: 2 } } });
  const headers = (remaining: number) => (name: string) =>
    ({ 'x-ratelimit-remaining': String(remaining), 'x-ratelimit-reset': String(now / 1000 + 30) })[name];
  budgets.noteResponse('gh', 'c', settings, headers(10));
  expect(budgets.delayBefore('gh', 'c', settings, 0).delayMs).toBe(0);
  budgets.noteResponse('gh', 'c', settings, headers(2));
  expect(budgets.delayBefore('gh', 'c', settings, 0)).toEqual({ delayMs: 30_000, reason: 'provider_quota' });
  now += 30_001;
  expect(budgets.delayBefore('gh', 'c', settings, 0).delayMs).toBe(0);
});

test('strict providers space their calls in each worker, so held-back calls do not arrive in a bunch', () => {
  let now = 0;
  const budgets = new CallBudgets(() => now);
  const settings = callSettingsSchema.parse({ rateLimit: { perSecond: 20 } });
  const interval = 1_000 / 9; // 20/s × 0.45
  expect(budgets.delayBefore('p', 'a', settings, 1_000).delayMs).toBe(0);
  expect(budgets.delayBefore('p', 'b', settings, 1_000)).toEqual({
    delayMs: interval,
    reason: 'provider_rate',
  });
  now += 5_000; // a stall: the next call goes at once, but the one after it still waits its interval
  expect(budgets.delayBefore('p', 'a', settings, 1_000).delayMs).toBe(0);
  expect(budgets.delayBefore('p', 'a', settings, 1_000).delayMs).toBeCloseTo(interval);
  const average = callSettingsSchema.parse({ rateLimit: { perSecond: 20, mode: 'average' } });
  expect(budgets.delayBefore('q', 'a', average, 1_000).delayMs).toBe(0);
  expect(budgets.delayBefore('q', 'a', average, 1_000).delayMs).toBe(0);
});

test('with a shared limiter, strict providers are not spaced within the process (the limiter spaces them)', () => {
  const budgets = new CallBudgets(() => 0, { providerSpacing: false });
  const settings = callSettingsSchema.parse({ rateLimit: { perSecond: 20, perConnectionPerSecond: 2 } });
  expect(budgets.delayBefore('p', 'a', settings, 1_000).delayMs).toBe(0);
  expect(budgets.delayBefore('p', 'b', settings, 1_000).delayMs).toBe(0);
  // The connection's own budget still holds.
  expect(budgets.delayBefore('p', 'a', settings, 1_000)).toEqual({
    delayMs: 500,
    reason: 'connection_budget',
  });
});
