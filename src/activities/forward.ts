import { Context } from '@temporalio/activity';
import { request, type Dispatcher } from 'undici';
import { classifyError, classifyResponse, type RetryDecision } from '../http/classify';
import type { Logger } from '../logging/logger';
import { DeliveryError, type CodeOf } from '../shared/errors';
import { toApplicationFailure } from '../shared/failures';
import type { ForwardFailureDetails, ForwardInput, ForwardResult } from '../shared/webhooks';
import { rawBodyBytes } from '../webhooks/payload';
import type { WebhookTargets } from '../webhooks/targets';
import { deliveredPayload } from './webhooks';

export interface ForwardDeps {
  /**
   * Routes' targets and transforms as configured now, so a fixed URL applies to a retried dead letter;
   * without a transform the original body is forwarded.
   */
  targets: WebhookTargets;
  logger: Logger;
  dispatcher?: Dispatcher;
  now?: () => number;
}

/** Headers Junction adds to every forwarded event; the application uses them to correlate and dedupe. */
export const FORWARD_HEADERS = {
  source: 'junction-source',
  deliveryId: 'junction-delivery-id',
  eventType: 'junction-event-type',
  attempt: 'junction-attempt',
} as const;

const FAILURE_CODES: Record<Exclude<RetryDecision['reason'], 'ok'>, CodeOf<'delivery'>> = {
  client_error: 'target_rejected',
  unauthorized: 'target_rejected',
  server_error: 'target_error',
  throttled: 'target_throttled',
  request_timeout: 'target_timeout',
  timeout: 'target_timeout',
  network_error: 'target_unreachable',
};

/** The activity that POSTs a verified event to the application's URL, one attempt per call. */
export function createForwardActivity(deps: ForwardDeps) {
  const now = deps.now ?? Date.now;

  return async function forwardWebhook(input: ForwardInput): Promise<ForwardResult> {
    const context = Context.current();
    const attempt = input.priorAttempts + context.info.attempt;
    const log = deps.logger.child({
      workflowId: context.info.workflowExecution?.workflowId,
      deliveryId: input.deliveryId,
      source: input.sourceId,
      route: input.route,
      attempt,
    });
    const target = deps.targets.forward(input.sourceId, input.route, input.target);
    if (!target) {
      throw toApplicationFailure(
        new DeliveryError(
          'route_not_configured',
          `source "${input.sourceId}" has no route "${input.route}" in the current configuration`,
          { details: { attempt } satisfies ForwardFailureDetails },
        ),
      );
    }
    const timeoutMs = Math.min(target.timeoutMs, input.timeoutMs);
    let body = rawBodyBytes(input.body);
    let contentType = input.contentType ?? 'application/octet-stream';
    if (deps.targets.transform(input.sourceId, input.route)) {
      // A transformed event is a new JSON document: the provider's bytes are not what is sent.
      const { payload } = deliveredPayload(deps.targets, input, attempt);
      body = Buffer.from(JSON.stringify(payload), 'utf8');
      contentType = 'application/json';
    }
    const headers: Record<string, string> = {
      ...target.headers,
      'content-type': contentType,
      [FORWARD_HEADERS.source]: input.sourceId,
      [FORWARD_HEADERS.deliveryId]: input.deliveryId,
      [FORWARD_HEADERS.eventType]: input.eventType,
      [FORWARD_HEADERS.attempt]: String(attempt),
    };
    const signal = AbortSignal.any([context.cancellationSignal, AbortSignal.timeout(timeoutMs)]);
    const started = now();
    let decision: RetryDecision;
    try {
      const response = await request(target.url, {
        method: 'POST',
        headers,
        body,
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        dispatcher: deps.dispatcher,
      });
      // The application's answer body is not used; read and drop it so the connection can be reused.
      await response.body.dump();
      decision = classifyResponse(
        response.statusCode,
        (name) => {
          const value = response.headers[name];
          return Array.isArray(value) ? value[0] : value;
        },
        now(),
      );
    } catch (error) {
      if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;
      decision = classifyError(error);
      log.warn({ err: error, elapsedMs: now() - started }, 'forward attempt failed without a response');
    }
    const elapsedMs = now() - started;
    if (decision.reason === 'ok') {
      log.info({ status: decision.status, elapsedMs }, 'event forwarded');
      return { status: decision.status ?? 200, attempt };
    }
    const code = FAILURE_CODES[decision.reason];
    const message =
      decision.status !== undefined
        ? `the target answered HTTP ${decision.status}`
        : `the target could not be reached (${decision.reason === 'timeout' ? `no answer within ${timeoutMs} ms` : 'network error'})`;
    log.warn(
      { status: decision.status, retry: decision.retry, delayMs: decision.delayMs, elapsedMs },
      message,
    );
    throw toApplicationFailure(
      new DeliveryError(code, message, {
        retryable: decision.retry,
        retryAfterMs: decision.delayMs,
        details: { status: decision.status, attempt } satisfies ForwardFailureDetails,
      }),
    );
  };
}
