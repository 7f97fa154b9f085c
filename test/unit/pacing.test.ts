import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import type { CallAttempt } from '../../src/calls/attempt';
import { CallBudgets } from '../../src/calls/budget';
import { createCallMetrics } from '../../src/calls/metrics';
import { paceCall, pacingStep } from '../../src/calls/pacing';
import { callSettingsSchema } from '../../src/calls/settings';
import { createLogger } from '../../src/logging/logger';
import { ProviderCallError } from '../../src/shared/errors';

test('no delay goes at once; a delay up to the inline limit is waited out; a longer one retries later', () => {
  expect(pacingStep({ delayMs: 0 }, 2_000)).toEqual({ action: 'go' });
  expect(pacingStep({ delayMs: 250, reason: 'connection_budget' }, 2_000)).toEqual({
    action: 'wait',
    delayMs: 250,
    reason: 'connection_budget',
  });
  expect(pacingStep({ delayMs: 2_000, reason: 'provider_rate' }, 2_000)).toMatchObject({ action: 'wait' });
  expect(pacingStep({ delayMs: 2_001, reason: 'provider_quota' }, 2_000)).toEqual({
    action: 'retry_later',
    delayMs: 2_001,
    reason: 'provider_quota',
  });
  expect(pacingStep({ delayMs: 1 }, 0)).toMatchObject({ action: 'retry_later' });
});

function attempt(
  connectionId: string,
  calls: Record<string, unknown>,
  cancellation = new AbortController().signal,
) {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  const call: CallAttempt = {
    provider: { id: 'gh', apiBaseUrl: 'https://api.example.com', calls: callSettingsSchema.parse(calls) },
    input: { providerId: 'gh', connectionId, request: { method: 'GET', path: '/x' } },
    attempt: 3,
    log: createLogger({ level: 'debug', destination: stream }),
    cancellation,
  };
  return { call, lines };
}

test('an exhausted quota is a retryable rate_limited failure with the time to the reset, counted', async () => {
  let now = Date.parse('2026-11-28T12:00:00Z');
  const budgets = new CallBudgets(() => now);
  const metrics = createCallMetrics(new Registry());
  const { call, lines } = attempt('c', { rateLimit: { quotaHeaders: { slowDownBelow: 0 } } });
  budgets.noteResponse('gh', 'c', call.provider.calls, (name) =>
    name === 'x-ratelimit-remaining' ? '0' : String(now / 1000 + 30),
  );
  const paced = paceCall({ budgets, metrics }, call, 2_000);
  await expect(paced).rejects.toBeInstanceOf(ProviderCallError);
  await expect(paced).rejects.toMatchObject({
    code: 'rate_limited',
    message: 'pacing calls to "gh" (provider_quota)',
    retryable: true,
    retryAfterMs: 30_000,
    details: { attempt: 3 },
  });
  expect((await metrics.rateLimitWaits.get()).values).toEqual([
    expect.objectContaining({ labels: { provider: 'gh', reason: 'provider_quota' }, value: 1 }),
  ]);
  expect(lines.some((line) => line.includes('pacing: retrying after the budget frees up'))).toBe(true);
  now += 30_001;
  await expect(paceCall({ budgets, metrics }, call, 2_000)).resolves.toBeUndefined();
});

test('a short wait happens in the activity; cancelling it ends the wait with the cancellation', async () => {
  const budgets = new CallBudgets();
  const controller = new AbortController();
  const { call } = attempt('c', { rateLimit: { perConnectionPerSecond: 0.5 } }, controller.signal);
  await paceCall({ budgets }, call, 5_000); // the first call goes at once and takes the slot
  const waiting = paceCall({ budgets }, call, 5_000);
  const reason = new Error('activity cancelled');
  setTimeout(() => controller.abort(reason), 20);
  await expect(waiting).rejects.toBe(reason);
});
