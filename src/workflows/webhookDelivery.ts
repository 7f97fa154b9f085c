import {
  ActivityFailure,
  ApplicationFailure,
  TimeoutFailure,
  condition,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { JunctionActivities } from '../activities';
import { toRetryPolicy } from '../shared/retryPresets';
import { JUNCTION_STATE } from '../shared/searchAttributes';
import {
  discardSignal,
  retrySignal,
  statusQuery,
  type DeadLetterMemo,
  type DeliveryError,
  type DeliveryState,
  type ForwardFailureDetails,
  type TargetProgress,
  type WebhookDeliveryInput,
  type WebhookDeliveryResult,
  type WebhookDeliveryStatus,
} from '../shared/webhooks';

/** Grace beyond the forward timeout before Temporal declares an attempt lost (e.g. the worker died). */
const ACTIVITY_TIMEOUT_MARGIN_MS = 5_000;

function describeFailure(
  error: unknown,
  fallbackAttempts: number,
): { error: DeliveryError; attempts: number } {
  if (error instanceof ActivityFailure) {
    const cause = error.cause;
    if (cause instanceof ApplicationFailure) {
      const details = cause.details?.[0] as ForwardFailureDetails | undefined;
      return {
        error: { code: cause.type ?? 'delivery_failed', message: cause.message, status: details?.status },
        attempts: details?.attempt ?? fallbackAttempts,
      };
    }
    if (cause instanceof TimeoutFailure) {
      return {
        error: { code: 'activity_timeout', message: `the delivery attempt timed out (${cause.timeoutType})` },
        attempts: fallbackAttempts,
      };
    }
    return {
      error: { code: 'delivery_failed', message: cause?.message ?? error.message },
      attempts: fallbackAttempts,
    };
  }
  return {
    error: { code: 'delivery_failed', message: error instanceof Error ? error.message : String(error) },
    attempts: fallbackAttempts,
  };
}

/**
 * Delivers one verified webhook event to every target its routes selected. A target that fails for good
 * (a 4xx, or retries exhausted) does not fail the workflow: the event is dead-lettered and waits for
 * `retry` (delivers the failed targets again) or `discard`.
 */
export async function webhookDelivery(input: WebhookDeliveryInput): Promise<WebhookDeliveryResult> {
  const { event } = input;
  const targets: TargetProgress[] = input.targets.map((target) => ({
    target,
    status: 'pending',
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
  });
  setHandler(discardSignal, (reason?: string) => {
    if (status.state !== 'dead_lettered') {
      log.warn('discard signal ignored: the event is not dead-lettered', { state: status.state });
      return;
    }
    decision = { action: 'discard', reason };
  });

  if (targets.length === 0) {
    setState('unrouted');
    log.info('no route matches this event type', { eventType: event.eventType });
    return status;
  }

  const deliver = async (progress: TargetProgress) => {
    const { forwardWebhook } = proxyActivities<JunctionActivities>({
      startToCloseTimeout: progress.target.timeoutMs + ACTIVITY_TIMEOUT_MARGIN_MS,
      retry: toRetryPolicy(input.retry),
    });
    try {
      const result = await forwardWebhook({
        sourceId: event.sourceId,
        deliveryId: event.deliveryId,
        eventType: event.eventType,
        route: progress.target.route,
        contentType: event.contentType,
        body: event.body,
        priorAttempts: progress.attempts,
        timeoutMs: progress.target.timeoutMs,
      });
      progress.attempts = result.attempt;
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
    }
  };

  for (;;) {
    await Promise.all(targets.filter((t) => t.status === 'pending').map(deliver));
    if (targets.every((t) => t.status === 'delivered')) {
      setState('delivered');
      return status;
    }
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
      workflowId: workflowInfo().workflowId,
      lastError: status.lastError,
    });
    await condition(() => decision !== undefined);
    const chosen = decision as NonNullable<typeof decision>;
    decision = undefined;
    if (chosen.action === 'discard') {
      for (const t of targets) if (t.status === 'failed') t.status = 'discarded';
      status.discardReason = chosen.reason;
      setState('discarded');
      return status;
    }
    for (const t of targets) if (t.status === 'failed') t.status = 'pending';
    status.deadLetteredAt = undefined;
    upsertMemo({ deadLetteredAt: null, lastError: null } satisfies DeadLetterMemo);
    setState('delivering');
  }
}
