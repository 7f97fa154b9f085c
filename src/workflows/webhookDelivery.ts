import {
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { JunctionActivities } from '../activities';
import { proceedSignal, releaseSignal } from '../shared/ordering';
import { activityOptions } from '../shared/activityOptions';
import { JUNCTION_STATE } from '../shared/searchAttributes';
import {
  discardSignal,
  retrySignal,
  statusQuery,
  type DeadLetterMemo,
  type DeliveryState,
  type TargetProgress,
  type WebhookDeliveryInput,
  type WebhookDeliveryResult,
  type WebhookDeliveryStatus,
} from '../shared/webhooks';
import { describeFailure } from './deliveryFailure';

/**
 * An ordered delivery that has not had its turn after this long asks its sequencer again: it repairs an
 * enqueue that never reached the sequencer (the server stored the start, then lost Temporal). Asking twice
 * is harmless: the sequencer ignores a delivery already in line.
 */
const ORDERED_ENQUEUE_CHECK_MS = 60_000;

const { validateWebhookEvent, enqueueOrdered } = proxyActivities<JunctionActivities>(
  activityOptions.deliveryBookkeeping,
);

const terminal = (t: TargetProgress) => t.status === 'delivered' || t.status === 'discarded';

/**
 * Delivers one verified webhook event to every target its routes selected, each tracked on its own: one
 * failing target does not deliver again to the others. A target that fails for good (a 4xx, or retries
 * exhausted) does not fail the workflow: the event is dead-lettered and waits for `retry` (delivers the
 * failed targets again) or `discard`. Targets of an ordered route wait for their sequencer's `proceed`
 * and `release` it when they are done. A payload that fails its JSON schema is dead-lettered with reasons.
 */
export async function webhookDelivery(input: WebhookDeliveryInput): Promise<WebhookDeliveryResult> {
  const { event } = input;
  const workflowId = workflowInfo().workflowId;
  const targets: TargetProgress[] = input.targets.map((target) => ({
    target,
    status: target.orderedBy ? 'waiting' : 'pending',
    attempts: 0,
  }));
  const status: WebhookDeliveryStatus = {
    state: targets.length > 0 ? 'delivering' : 'unrouted',
    sourceId: event.sourceId,
    deliveryId: event.deliveryId,
    eventType: event.eventType,
    targets,
  };
  let decision: { action: 'retry' } | { action: 'discard'; reason?: string } | undefined;
  /** Bumped by every signal and finished attempt, so the loop below wakes on any change. */
  let changes = 0;
  const proceeded = new Set<string>();
  const released = new Set<string>();
  const sequencers = [...new Set(input.targets.flatMap((t) => (t.orderedBy ? [t.orderedBy] : [])))];

  const setState = (state: DeliveryState) => {
    status.state = state;
    upsertSearchAttributes([{ key: JUNCTION_STATE, value: state }]);
  };

  setHandler(statusQuery, () => status);
  setHandler(retrySignal, () => {
    if (status.state !== 'dead_lettered') {
      log.warn('retry signal ignored: the event is not dead-lettered', { state: status.state });
      return;
    }
    decision = { action: 'retry' };
    changes++;
  });
  setHandler(discardSignal, (reason?: string) => {
    if (status.state !== 'dead_lettered') {
      log.warn('discard signal ignored: the event is not dead-lettered', { state: status.state });
      return;
    }
    decision = { action: 'discard', reason };
    changes++;
  });
  setHandler(proceedSignal, (sequencerId: string) => {
    proceeded.add(sequencerId);
    // A repeated turn (the same delivery put in line twice) is handed straight back by the loop below.
    released.delete(sequencerId);
    changes++;
  });

  const markDeadLettered = () => {
    status.deadLetteredAt = new Date().toISOString();
    setState('dead_lettered');
    upsertMemo({
      eventType: event.eventType,
      deliveryId: event.deliveryId,
      deadLetteredAt: status.deadLetteredAt,
      lastError: status.lastError,
    } satisfies DeadLetterMemo);
    log.warn('event dead-lettered', {
      deliveryId: event.deliveryId,
      workflowId,
      lastError: status.lastError,
    });
  };
  /** Takes the operator's decision; a retry puts the event back to `delivering`. */
  const takeDecision = (): NonNullable<typeof decision> => {
    const chosen = decision as NonNullable<typeof decision>;
    decision = undefined;
    if (chosen.action === 'retry') {
      status.deadLetteredAt = undefined;
      upsertMemo({ deadLetteredAt: null, lastError: null } satisfies DeadLetterMemo);
      setState('delivering');
    } else {
      status.discardReason = chosen.reason;
    }
    return chosen;
  };

  const release = async (sequencerId: string) => {
    released.add(sequencerId);
    try {
      await getExternalWorkflowHandle(sequencerId).signal(releaseSignal, workflowId);
    } catch (error) {
      // The sequencer also notices on its own when this delivery has closed.
      log.warn('could not release the ordering sequencer', { sequencerId, error: String(error) });
    }
  };

  if (targets.length === 0) {
    setState('unrouted');
    log.info('no route matches this event type', { eventType: event.eventType });
    return status;
  }

  // Validation comes first and on its own: an event that fails its schema goes to no target.
  while (input.validate) {
    const errors = await validateWebhookEvent({
      sourceId: event.sourceId,
      eventType: event.eventType,
      contentType: event.contentType,
      body: event.body,
    });
    if (errors.length === 0) {
      status.validationErrors = undefined;
      break;
    }
    status.validationErrors = errors;
    status.lastError = { code: 'schema_invalid', message: errors.join('; ') };
    markDeadLettered();
    await condition(() => decision !== undefined);
    if (takeDecision().action === 'discard') {
      for (const t of targets) t.status = 'discarded';
      setState('discarded');
      // A turn given while the event waited here is handed back; later turns find the workflow closed.
      for (const sequencerId of proceeded) await release(sequencerId);
      return status;
    }
  }

  const attempt = async (progress: TargetProgress) => {
    const options = activityOptions.forward(progress.target.timeoutMs, input.retry);
    const common = {
      sourceId: event.sourceId,
      deliveryId: event.deliveryId,
      eventType: event.eventType,
      route: progress.target.route,
      receivedAt: event.receivedAt,
      contentType: event.contentType,
      body: event.body,
      priorAttempts: progress.attempts,
      timeoutMs: progress.target.timeoutMs,
    };
    try {
      if (progress.target.kind === 'workflow') {
        const { startAppWorkflow } = proxyActivities<JunctionActivities>(options);
        const result = await startAppWorkflow({
          ...common,
          target: progress.target.target ?? '',
          deliveryWorkflowId: workflowId,
        });
        progress.attempts = result.attempt;
        progress.workflowId = result.workflowId;
      } else {
        const { forwardWebhook } = proxyActivities<JunctionActivities>(options);
        const result = await forwardWebhook({ ...common, target: progress.target.target });
        progress.attempts = result.attempt;
      }
      progress.status = 'delivered';
      progress.deliveredAt = new Date().toISOString();
      progress.lastError = undefined;
    } catch (error) {
      if (isCancellation(error)) throw error;
      const failure = describeFailure(error, progress.attempts + input.retry.maximumAttempts);
      progress.attempts = failure.attempts;
      progress.status = 'failed';
      progress.lastError = failure.error;
      status.lastError = failure.error;
    } finally {
      changes++;
    }
  };

  // Safety net for ordered targets whose enqueue never reached their sequencer.
  for (const sequencerId of sequencers) {
    const route = input.targets.find((t) => t.orderedBy === sequencerId)?.route ?? '';
    void (async () => {
      if (await condition(() => proceeded.has(sequencerId), ORDERED_ENQUEUE_CHECK_MS)) return;
      await enqueueOrdered({ sequencerId, sourceId: event.sourceId, route, workflowId });
    })().catch((error: unknown) => log.warn('re-enqueue failed', { sequencerId, error: String(error) }));
  }

  const inFlight = new Set<TargetProgress>();
  try {
    for (;;) {
      for (const progress of targets) {
        if (progress.status === 'waiting' && proceeded.has(progress.target.orderedBy ?? ''))
          progress.status = 'pending';
        if (progress.status === 'pending' && !inFlight.has(progress)) {
          inFlight.add(progress);
          // Failures are recorded by `attempt`; a cancellation surfaces in the loop's own wait.
          void attempt(progress)
            .finally(() => inFlight.delete(progress))
            .catch(() => undefined);
        }
      }
      for (const sequencerId of sequencers) {
        const group = targets.filter((t) => t.target.orderedBy === sequencerId);
        if (proceeded.has(sequencerId) && !released.has(sequencerId) && group.every(terminal))
          await release(sequencerId);
      }
      if (targets.every(terminal)) break;
      if (decision) {
        const chosen = takeDecision();
        for (const t of targets) {
          if (t.status === 'failed') t.status = chosen.action === 'retry' ? 'pending' : 'discarded';
        }
        continue;
      }
      // Dead-lettered once nothing is in flight and a target has failed. Targets still waiting for their
      // turn are not held up by it: they go when their sequencer lets them, dead letter or not.
      const stuck =
        inFlight.size === 0 &&
        targets.some((t) => t.status === 'failed') &&
        !targets.some((t) => t.status === 'pending');
      if (stuck && status.state !== 'dead_lettered') markDeadLettered();
      const seen = changes;
      await condition(() => changes !== seen);
    }
  } catch (error) {
    if (isCancellation(error)) {
      // Never leave a sequencer waiting on a cancelled delivery that holds its turn.
      await CancellationScope.nonCancellable(async () => {
        for (const sequencerId of sequencers) {
          if (proceeded.has(sequencerId) && !released.has(sequencerId)) await release(sequencerId);
        }
      });
    }
    throw error;
  }
  setState(targets.some((t) => t.status === 'discarded') ? 'discarded' : 'delivered');
  return status;
}
