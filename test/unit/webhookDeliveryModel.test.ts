import type { DeliveryTarget, WebhookDeliveryInput } from '../../src/shared/webhooks';
import { WebhookDeliveryModel } from '../../src/workflows/webhookDeliveryModel';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const SEQ = 'ordered:billing:ordered:cus_a';

function target(route: string, extra: Partial<DeliveryTarget> = {}): DeliveryTarget {
  return { route, kind: 'forward', timeoutMs: 5_000, ...extra };
}

function model(targets: DeliveryTarget[], overrides: Partial<WebhookDeliveryInput> = {}) {
  return new WebhookDeliveryModel({
    event: {
      sourceId: 'billing',
      deliveryId: 'msg_1',
      eventType: 'invoice.paid',
      receivedAt: new Date(T0).toISOString(),
      contentType: 'application/json',
      body: { encoding: 'utf8', data: '{}' },
    },
    targets,
    retry: { initialIntervalMs: 100, backoffCoefficient: 2, maximumIntervalMs: 1_000, maximumAttempts: 5 },
    ...overrides,
  });
}

const failure = { code: 'target_rejected', message: 'HTTP 400', status: 400 };

describe('targets and attempts', () => {
  test('an event no route matches is unrouted; ordered targets wait for their turn, others go at once', () => {
    expect(model([]).state).toBe('unrouted');
    const m = model([target('a'), target('o1', { orderedBy: SEQ }), target('o2', { orderedBy: SEQ })]);
    expect(m.state).toBe('delivering');
    expect(m.targets.map((t) => t.status)).toEqual(['pending', 'waiting', 'waiting']);
    expect(m.sequencers).toEqual([SEQ]);
  });

  test('a target is claimed once while its attempt runs; waiting targets are claimed when the turn comes', () => {
    const m = model([target('a'), target('o', { orderedBy: SEQ })]);
    expect(m.claimAttempts().map((t) => t.target.route)).toEqual(['a']);
    expect(m.claimAttempts()).toEqual([]);
    const changes = m.changes;
    m.proceed(SEQ);
    expect(m.changes).toBe(changes + 1);
    expect(m.hasTurn(SEQ)).toBe(true);
    expect(m.claimAttempts().map((t) => t.target.route)).toEqual(['o']);
  });

  test('a failure without an attempt count counts every attempt the round allows', () => {
    const m = model([target('a')]);
    const [progress] = m.claimAttempts();
    m.recordFailure(progress!, failure, undefined);
    expect(progress).toMatchObject({ status: 'failed', attempts: 5, lastError: failure });
    expect(m.status.lastError).toEqual(failure);
    progress!.status = 'pending';
    m.recordFailure(progress!, failure, 7);
    expect(progress!.attempts).toBe(7);
  });

  test('a delivered target records its attempt, time and application workflow, and clears its error', () => {
    const m = model([target('a', { kind: 'workflow', target: 'onInvoice' })]);
    const [progress] = m.claimAttempts();
    m.recordFailure(progress!, failure, 2);
    m.recordDelivered(progress!, { attempt: 3, workflowId: 'app-1' }, T0);
    expect(progress).toMatchObject({
      status: 'delivered',
      attempts: 3,
      workflowId: 'app-1',
      deliveredAt: new Date(T0).toISOString(),
    });
    expect(progress!.lastError).toBeUndefined();
    expect(m.done()).toBe(true);
    expect(m.finish()).toBe('delivered');
  });

  test('attempt inputs carry the event, the route, the prior attempts and the target timeout', () => {
    const m = model([target('r', { target: 'primary', timeoutMs: 2_500 }), target('o', { orderedBy: SEQ })]);
    const [progress] = m.claimAttempts();
    progress!.attempts = 4;
    expect(m.forwardInput(progress!)).toMatchObject({
      sourceId: 'billing',
      deliveryId: 'msg_1',
      route: 'r',
      target: 'primary',
      priorAttempts: 4,
      timeoutMs: 2_500,
    });
    expect(m.appWorkflowInput(progress!, 'webhook:billing:msg_1')).toMatchObject({
      target: 'primary',
      deliveryWorkflowId: 'webhook:billing:msg_1',
    });
    expect(m.enqueueInput(SEQ, 'webhook:billing:msg_1')).toEqual({
      sequencerId: SEQ,
      sourceId: 'billing',
      route: 'o',
      workflowId: 'webhook:billing:msg_1',
    });
  });
});

describe('dead letters', () => {
  test('dead-lettered only once nothing is in flight, a target failed and none is ready to go', () => {
    const m = model([target('a'), target('b'), target('o', { orderedBy: SEQ })]);
    const [a, b] = m.claimAttempts();
    m.recordFailure(a!, failure, 1);
    m.attemptSettled(a!);
    expect(m.shouldDeadLetter()).toBe(false); // b is still in flight
    m.recordDelivered(b!, { attempt: 1 }, T0);
    m.attemptSettled(b!);
    // The ordered target still waits for its turn: it does not hold the dead letter up.
    expect(m.shouldDeadLetter()).toBe(true);
    const memo = m.deadLetter(T0);
    expect(m.state).toBe('dead_lettered');
    expect(memo).toEqual({
      eventType: 'invoice.paid',
      deliveryId: 'msg_1',
      deadLetteredAt: new Date(T0).toISOString(),
      lastError: failure,
    });
    expect(m.shouldDeadLetter()).toBe(false);
  });

  test('retry and discard are refused unless the event is dead-lettered', () => {
    const m = model([target('a')]);
    expect(m.decide({ action: 'retry' })).toBe(false);
    expect(m.hasDecision).toBe(false);
    m.deadLetter(T0);
    const changes = m.changes;
    expect(m.decide({ action: 'retry' })).toBe(true);
    expect(m.hasDecision).toBe(true);
    expect(m.changes).toBe(changes + 1);
  });

  test('a retry puts the failed targets back in line and the event back to delivering', () => {
    const m = model([target('a'), target('b')]);
    const [a, b] = m.claimAttempts();
    m.recordFailure(a!, failure, 1);
    m.recordDelivered(b!, { attempt: 1 }, T0);
    m.attemptSettled(a!);
    m.attemptSettled(b!);
    m.deadLetter(T0);
    m.decide({ action: 'retry' });
    expect(m.takeDecision()).toEqual({ action: 'retry' });
    expect(m.state).toBe('delivering');
    expect(m.status.deadLetteredAt).toBeUndefined();
    expect(m.hasDecision).toBe(false);
    expect(m.claimAttempts()).toEqual([a]);
  });

  test('a discard gives up on the failed targets only; the event ends discarded', () => {
    const m = model([target('a'), target('b')]);
    const [a, b] = m.claimAttempts();
    m.recordFailure(a!, failure, 1);
    m.recordDelivered(b!, { attempt: 1 }, T0);
    m.deadLetter(T0);
    m.decide({ action: 'discard', reason: 'known bad' });
    m.takeDecision();
    expect(m.targets.map((t) => t.status)).toEqual(['discarded', 'delivered']);
    expect(m.status.discardReason).toBe('known bad');
    expect(m.done()).toBe(true);
    expect(m.finish()).toBe('discarded');
  });

  test('taking a decision that was never made is a programming error', () => {
    expect(() => model([target('a')]).takeDecision()).toThrow('no operator decision');
  });

  test('a payload that fails its schema is recorded with its reasons; passing clears them', () => {
    const m = model([target('a')], { validate: true });
    expect(m.recordValidation(['/amount must be number', '/id is required'])).toBe(false);
    expect(m.status.validationErrors).toHaveLength(2);
    expect(m.status.lastError).toEqual({
      code: 'schema_invalid',
      message: '/amount must be number; /id is required',
    });
    expect(m.recordValidation([])).toBe(true);
    expect(m.status.validationErrors).toBeUndefined();
    m.discardAll();
    expect(m.state).toBe('discarded');
    expect(m.targets.every((t) => t.status === 'discarded')).toBe(true);
  });
});

describe('turns', () => {
  test('a turn is handed back once every target it orders is done, and only once', () => {
    const m = model([target('a'), target('o1', { orderedBy: SEQ }), target('o2', { orderedBy: SEQ })]);
    m.proceed(SEQ);
    const [, o1, o2] = m.claimAttempts();
    m.recordDelivered(o1!, { attempt: 1 }, T0);
    expect(m.shouldRelease(SEQ)).toBe(false);
    m.recordDelivered(o2!, { attempt: 1 }, T0);
    // The unordered target has nothing to do with the turn.
    expect(m.shouldRelease(SEQ)).toBe(true);
    m.markReleased(SEQ);
    expect(m.shouldRelease(SEQ)).toBe(false);
    expect(m.holdsTurn(SEQ)).toBe(false);
  });

  test('a repeated turn (the delivery put in line twice) is handed straight back', () => {
    const m = model([target('o', { orderedBy: SEQ })]);
    m.proceed(SEQ);
    const [o] = m.claimAttempts();
    m.recordDelivered(o!, { attempt: 1 }, T0);
    m.markReleased(SEQ);
    m.proceed(SEQ);
    expect(m.shouldRelease(SEQ)).toBe(true);
  });

  test('a turn held by a cancelled delivery is known, so it can be handed back', () => {
    const m = model([target('o', { orderedBy: SEQ })]);
    expect(m.holdsTurn(SEQ)).toBe(false);
    m.proceed(SEQ);
    expect(m.holdsTurn(SEQ)).toBe(true);
    expect([...m.turnsGiven]).toEqual([SEQ]);
  });
});
