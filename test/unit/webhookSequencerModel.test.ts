import {
  DEFAULT_HOLDER_CHECK_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  WebhookSequencerModel,
} from '../../src/workflows/webhookSequencerModel';

const base = { sourceId: 'billing', route: 'ordered' };

test('deliveries take their turns in arrival order; a repeat of one in line or holding the turn is ignored', () => {
  const line = new WebhookSequencerModel(base);
  expect(line.isEmpty).toBe(true);
  expect(line.enqueue('w1')).toBe(true);
  expect(line.enqueue('w2')).toBe(true);
  expect(line.enqueue('w1')).toBe(false);
  expect(line.nextTurn()).toBe('w1');
  expect(line.enqueue('w1')).toBe(false);
  line.endTurn();
  // Once its turn is over, a delivery put in line again gets another turn (it hands it straight back).
  expect(line.enqueue('w1')).toBe(true);
  expect(line.nextTurn()).toBe('w2');
  expect(line.nextTurn()).toBe('w1');
  expect(line.nextTurn()).toBeUndefined();
});

test("only the holder's release ends its turn, and a new turn starts unreleased", () => {
  const line = new WebhookSequencerModel({ ...base, queue: ['w1', 'w2'] });
  expect(line.nextTurn()).toBe('w1');
  line.release('w2');
  expect(line.released).toBe(false);
  line.release('w1');
  expect(line.released).toBe(true);
  line.endTurn();
  expect(line.nextTurn()).toBe('w2');
  expect(line.released).toBe(false);
});

test('continues as new after its share of tickets (skipped turns do not count) or when suggested', () => {
  const line = new WebhookSequencerModel({ ...base, queue: ['gone', 'w1', 'w2', 'w3'], maxTicketsPerRun: 2 });
  line.nextTurn();
  line.skipTurn();
  line.nextTurn();
  line.endTurn();
  expect(line.shouldContinueAsNew(false)).toBe(false);
  expect(line.shouldContinueAsNew(true)).toBe(true);
  line.nextTurn();
  line.endTurn();
  expect(line.shouldContinueAsNew(false)).toBe(true);
  expect(line.continuation()).toEqual({ ...base, queue: ['w3'], maxTicketsPerRun: 2 });
});

test('settings default when the input leaves them out', () => {
  const line = new WebhookSequencerModel(base);
  expect(line.idleTimeoutMs).toBe(DEFAULT_IDLE_TIMEOUT_MS);
  expect(line.holderCheckMs).toBe(DEFAULT_HOLDER_CHECK_MS);
  const custom = new WebhookSequencerModel({ ...base, idleTimeoutMs: 2_000, holderCheckMs: 1_000 });
  expect([custom.idleTimeoutMs, custom.holderCheckMs]).toEqual([2_000, 1_000]);
});
