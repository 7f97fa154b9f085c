import {
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { JunctionActivities } from '../activities';
import { activityOptions } from '../shared/activityOptions';
import { proceedSignal, releaseSignal } from '../shared/ordering';
import type { RetrySettings } from '../shared/retryPresets';
import { JUNCTION_STATE } from '../shared/searchAttributes';
import {
  attemptReportedSignal,
  DELIVERY_LOG_PATCH,
  discardSignal,
  retrySignal,
  statusQuery,
  type TargetProgress,
  type WebhookDeliveryInput,
  type WebhookDeliveryResult,
} from '../shared/webhooks';
import { describeFailure } from './deliveryFailure';
import { CLEARED_DEAD_LETTER, WebhookDeliveryModel, type OperatorDecision } from './webhookDeliveryModel';

/**
 * An ordered delivery that has not had its turn after this long asks its sequencer again: it repairs an
 * enqueue that never reached the sequencer (the server stored the start, then lost Temporal). Asking twice
 * is harmless: the sequencer ignores a delivery already in line.
 */
const ORDERED_ENQUEUE_CHECK_MS = 60_000;

const { validateWebhookEvent, enqueueOrdered } = proxyActivities<JunctionActivities>(
  activityOptions.deliveryBookkeeping,
);

/** One delivery's model and what the wiring around it needs. */
interface Delivery {
  model: WebhookDeliveryModel;
  workflowId: string;
  retry: RetrySettings;
}

/**
 * Delivers one verified webhook event to every target its routes selected, each tracked on its own: one
 * failing target does not deliver again to the others. A target that fails for good (a 4xx, or retries
 * exhausted) does not fail the workflow: the event is dead-lettered and waits for `retry` (delivers the
 * failed targets again) or `discard`. Targets of an ordered route wait for their sequencer's `proceed`
 * and `release` it when they are done. A payload that fails its JSON schema is dead-lettered with reasons.
 * The state and its decisions live in WebhookDeliveryModel; this module wires them to Temporal.
 */
export async function webhookDelivery(input: WebhookDeliveryInput): Promise<WebhookDeliveryResult> {
  // Executions started before the delivery log existed keep running without it (and never get its signal).
  const model = new WebhookDeliveryModel(input, { attemptLog: patched(DELIVERY_LOG_PATCH) });
  const delivery: Delivery = { model, workflowId: workflowInfo().workflowId, retry: input.retry };
  registerHandlers(model);

  if (model.targets.length === 0) {
    publishState(model);
    log.info('no route matches this event type', { eventType: input.event.eventType });
    return model.status;
  }
  // Validation comes first and on its own: an event that fails its schema goes to no target.
  if (input.validate && !(await validateFirst(delivery))) return model.status;

  watchEnqueues(delivery);
  await deliverAll(delivery);
  model.finish();
  publishState(model);
  return model.status;
}

function registerHandlers(model: WebhookDeliveryModel): void {
  setHandler(statusQuery, () => model.status);
  setHandler(retrySignal, () => {
    if (!model.decide({ action: 'retry' }))
      log.warn('retry signal ignored: the event is not dead-lettered', { state: model.state });
  });
  setHandler(discardSignal, (reason?: string) => {
    if (!model.decide({ action: 'discard', reason }))
      log.warn('discard signal ignored: the event is not dead-lettered', { state: model.state });
  });
  setHandler(proceedSignal, (sequencerId: string) => model.proceed(sequencerId));
  const deliveryLog = model.log;
  if (deliveryLog) setHandler(attemptReportedSignal, (entry) => deliveryLog.reported(entry));
}

/** Mirrors the delivery's state into its search attribute. */
function publishState(model: WebhookDeliveryModel): void {
  upsertSearchAttributes([{ key: JUNCTION_STATE, value: model.state }]);
}

function deadLetter({ model, workflowId }: Delivery): void {
  const memo = model.deadLetter(Date.now());
  publishState(model);
  upsertMemo(memo);
  log.warn('event dead-lettered', {
    deliveryId: model.status.deliveryId,
    workflowId,
    lastError: model.status.lastError,
  });
}

/** Takes the operator's decision; a retry takes the event off the dead letters and back to `delivering`. */
function takeDecision(model: WebhookDeliveryModel): OperatorDecision {
  const chosen = model.takeDecision();
  if (chosen.action === 'retry') {
    upsertMemo(CLEARED_DEAD_LETTER);
    publishState(model);
  }
  return chosen;
}

/** Hands a sequencer's turn back. */
async function release({ model, workflowId }: Delivery, sequencerId: string): Promise<void> {
  model.markReleased(sequencerId);
  try {
    await getExternalWorkflowHandle(sequencerId).signal(releaseSignal, workflowId);
  } catch (error) {
    // The sequencer also notices on its own when this delivery has closed.
    log.warn('could not release the ordering sequencer', { sequencerId, error: String(error) });
  }
}

/** Checks the payload against its schema until it passes (true) or an operator discards it (false). */
async function validateFirst(delivery: Delivery): Promise<boolean> {
  const { model } = delivery;
  for (;;) {
    const errors = await validateWebhookEvent(model.validationInput());
    if (model.recordValidation(errors)) return true;
    deadLetter(delivery);
    await condition(() => model.hasDecision);
    if (takeDecision(model).action === 'discard') {
      model.discardAll();
      publishState(model);
      // A turn given while the event waited here is handed back; later turns find the workflow closed.
      for (const sequencerId of model.turnsGiven) await release(delivery, sequencerId);
      return false;
    }
  }
}

/** Safety net for ordered targets whose enqueue never reached their sequencer. */
function watchEnqueues({ model, workflowId }: Delivery): void {
  for (const sequencerId of model.sequencers) {
    void (async () => {
      if (await condition(() => model.hasTurn(sequencerId), ORDERED_ENQUEUE_CHECK_MS)) return;
      await enqueueOrdered(model.enqueueInput(sequencerId, workflowId));
    })().catch((error: unknown) => log.warn('re-enqueue failed', { sequencerId, error: String(error) }));
  }
}

/** One attempt at one target; the outcome is recorded on the model, a cancellation rethrown. */
async function attempt({ model, workflowId, retry }: Delivery, progress: TargetProgress): Promise<void> {
  const options = activityOptions.forward(progress.target.timeoutMs, retry);
  try {
    if (progress.target.kind === 'sync' && patched('sync-targets')) {
      const { deliverToSync } = proxyActivities<JunctionActivities>(options);
      const result = await deliverToSync(model.appWorkflowInput(progress, workflowId));
      model.recordDelivered(progress, result, Date.now());
    } else if (progress.target.kind === 'workflow') {
      const { startAppWorkflow } = proxyActivities<JunctionActivities>(options);
      const result = await startAppWorkflow(model.appWorkflowInput(progress, workflowId));
      model.recordDelivered(progress, result, Date.now());
    } else {
      const { forwardWebhook } = proxyActivities<JunctionActivities>(options);
      const result = await forwardWebhook(model.forwardInput(progress));
      model.recordDelivered(progress, result, Date.now());
    }
  } catch (error) {
    if (isCancellation(error)) throw error;
    const failure = describeFailure(error);
    model.recordFailure(progress, failure.error, failure.attempt, Date.now());
  } finally {
    model.attemptFinished();
  }
}

/** Runs attempts, hands turns back and dead-letters until every target is delivered or discarded. */
async function deliverAll(delivery: Delivery): Promise<void> {
  const { model } = delivery;
  try {
    for (;;) {
      for (const progress of model.claimAttempts()) {
        // Failures are recorded by `attempt`; a cancellation surfaces in the loop's own wait.
        void attempt(delivery, progress)
          .finally(() => model.attemptSettled(progress))
          .catch(() => undefined);
      }
      for (const sequencerId of model.sequencers) {
        if (model.shouldRelease(sequencerId)) await release(delivery, sequencerId);
      }
      if (model.done()) return;
      if (model.hasDecision) {
        takeDecision(model);
        continue;
      }
      if (model.shouldDeadLetter()) deadLetter(delivery);
      const seen = model.changes;
      await condition(() => model.changes !== seen);
    }
  } catch (error) {
    if (isCancellation(error)) {
      // Never leave a sequencer waiting on a cancelled delivery that holds its turn.
      await CancellationScope.nonCancellable(async () => {
        for (const sequencerId of model.sequencers) {
          if (model.holdsTurn(sequencerId)) await release(delivery, sequencerId);
        }
      });
    }
    throw error;
  }
}
