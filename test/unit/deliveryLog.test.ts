import type { DeliveryAttempt, TargetProgress } from '../../src/shared/webhooks';
import { DeliveryLog } from '../../src/workflows/deliveryLog';

const progress: TargetProgress = {
  target: { route: 'orders', target: 'forward', kind: 'forward', timeoutMs: 1_000 },
  status: 'pending',
  attempts: 0,
};
const reported = (attempt: number, outcome: DeliveryAttempt['outcome'] = 'failed'): DeliveryAttempt => ({
  route: 'orders',
  target: 'forward',
  attempt,
  outcome,
  at: new Date(attempt * 1_000).toISOString(),
  durationMs: 5,
  status: outcome === 'failed' ? 500 : 200,
});

test('an attempt reported by the activity and recorded from the outcome is listed once, as reported', () => {
  const log = new DeliveryLog([]);
  log.reported(reported(1));
  log.outcome(progress, { attempt: 1, outcome: 'failed', at: 'later', error: { code: 'x', message: 'y' } });
  expect(log.entries).toEqual([reported(1)]);

  // The other order: the outcome first (no duration), then the activity's report replaces it.
  log.outcome(progress, { attempt: 2, outcome: 'delivered', at: 'now' });
  expect(log.entries[1]).toEqual({
    route: 'orders',
    target: 'forward',
    attempt: 2,
    outcome: 'delivered',
    at: 'now',
  });
  log.reported(reported(2, 'delivered'));
  expect(log.entries).toEqual([reported(1), reported(2, 'delivered')]);
});

test('an attempt that reported nothing is logged from the outcome, without a duration', () => {
  const log = new DeliveryLog([]);
  log.reported(reported(1));
  log.outcome(progress, {
    attempt: 3,
    outcome: 'failed',
    at: 'now',
    error: { code: 'activity_timeout', message: 'm' },
  });
  expect(log.entries.map((e) => [e.attempt, e.durationMs])).toEqual([
    [1, 5],
    [3, undefined],
  ]);
});

test('only the latest ten attempts are kept, oldest first', () => {
  const entries: DeliveryAttempt[] = [];
  const log = new DeliveryLog(entries);
  for (let n = 1; n <= 25; n++) log.reported(reported(n));
  expect(entries.map((e) => e.attempt)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
});
