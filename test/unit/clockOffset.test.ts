import { ClockOffset } from '../../src/calls/clockOffset';

test('the offset comes from the fastest recent round trip', () => {
  const clock = new ClockOffset(3);
  // The other clock is 5,000 ms ahead. A slow round trip (40 ms) read it 30 ms into the trip.
  clock.sample(1_030 + 5_000, 1_000, 1_040);
  expect(clock.toLocal(10_000)).toBe(10_000 - 5_010);
  expect(clock.uncertaintyMs).toBe(20);
  // A fast one (2 ms) narrows it; slower ones after it change nothing.
  clock.sample(2_001 + 5_000, 2_000, 2_002);
  clock.sample(3_050 + 5_000, 3_000, 3_060);
  expect(clock.toLocal(10_000)).toBe(5_000);
  expect(clock.uncertaintyMs).toBe(1);
  // Once the fast one is out of the last three, the best of those is used (drift is followed).
  clock.sample(4_004 + 5_100, 4_000, 4_008);
  clock.sample(5_030 + 5_100, 5_000, 5_060);
  expect(clock.toLocal(10_000)).toBe(10_000 - 5_100);
  expect(clock.uncertaintyMs).toBe(4);
});

test('with no sample yet, times pass through unchanged and nothing is known of the error', () => {
  const clock = new ClockOffset();
  expect(clock.toLocal(123)).toBe(123);
  expect(clock.uncertaintyMs).toBe(Number.POSITIVE_INFINITY);
});
