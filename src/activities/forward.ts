import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { request } from 'undici';
import { signatureHeaders } from '../deliveries/signing';
import { classifyError, classifyResponse, type RetryDecision } from '../http/classify';
import type { ForwardTarget } from '../config/schema';
import type { Logger } from '../logging/logger';
import { destinationRefusal } from '../network/destinations';
import type { Outbound } from '../network/outbound';
import { DeliveryError, DestinationError, type CodeOf } from '../shared/errors';
import { toApplicationFailure } from '../shared/failures';
import type { ForwardFailureDetails, ForwardInput, ForwardResult } from '../shared/webhooks';
import { rawBodyBytes } from '../webhooks/payload';
import type { WebhookTargets } from '../webhooks/targets';
import { reportAttempt } from './attemptReport';
import { deliveredPayload } from './webhooks';

export interface ForwardDeps {
  /**
   * Routes' targets and transforms as configured now, so a fixed URL applies to a retried dead letter;
   * without a transform the original body is forwarded.
   */
  targets: WebhookTargets;
  logger: Logger;
  /** Every forward connects through the outbound network policy. */
  outbound: Outbound;
  now?: () => number;
  /** Junction's own client: reports each attempt to the delivery workflow's log. */
  junctionClient?: Client;
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

/** The target the route forwards to as configured now; a route since removed fails the delivery for good. */
function forwardTarget(targets: WebhookTargets, input: ForwardInput, attempt: number): ForwardTarget {
  const target = targets.forward(input.sourceId, input.route, input.target);
  if (!target) {
    throw toApplicationFailure(
      new DeliveryError(
        'route_not_configured',
        `source "${input.sourceId}" has no route "${input.route}" in the current configuration`,
        { details: { attempt } satisfies ForwardFailureDetails },
      ),
    );
  }
  return target;
}

interface ForwardedBody {
  body: Buffer;
  contentType: string;
}

/** The bytes sent and their content type: the provider's body, or the route's transform of it as JSON. */
function forwardedBody(targets: WebhookTargets, input: ForwardInput, attempt: number): ForwardedBody {
  if (!targets.transform(input.sourceId, input.route)) {
    return {
      body: rawBodyBytes(input.body),
      contentType: input.contentType ?? 'application/octet-stream',
    };
  }
  // A transformed event is a new JSON document: the provider's bytes are not what is sent.
  const { payload } = deliveredPayload(targets, input, attempt);
  return { body: Buffer.from(JSON.stringify(payload), 'utf8'), contentType: 'application/json' };
}

interface ForwardRequest {
  url: string;
  headers: Record<string, string>;
  body: Buffer;
  timeoutMs: number;
}

/** The `webhook-id` of a forwarded event: the same for every attempt and target, unique across sources. */
export function forwardMessageId(input: Pick<ForwardInput, 'sourceId' | 'deliveryId'>): string {
  return `${input.sourceId}:${input.deliveryId}`;
}

/**
 * One forward: the target's headers, Junction's correlation headers, the Standard Webhooks signature over
 * exactly the bytes sent (signed per attempt, with the target's secrets as configured now) and the body,
 * within both timeouts.
 */
function forwardRequest(
  target: ForwardTarget,
  input: ForwardInput,
  { attempt, nowMs }: { attempt: number; nowMs: number },
  forwarded: ForwardedBody,
): ForwardRequest {
  return {
    url: target.url,
    headers: {
      ...target.headers,
      'content-type': forwarded.contentType,
      [FORWARD_HEADERS.source]: input.sourceId,
      [FORWARD_HEADERS.deliveryId]: input.deliveryId,
      [FORWARD_HEADERS.eventType]: input.eventType,
      [FORWARD_HEADERS.attempt]: String(attempt),
      ...signatureHeaders({
        id: forwardMessageId(input),
        timestampMs: nowMs,
        body: forwarded.body,
        secrets: target.signingSecrets ?? [],
      }),
    },
    body: forwarded.body,
    timeoutMs: Math.min(target.timeoutMs, input.timeoutMs),
  };
}

/** A target the network policy refuses: dead-lettered at once, since only a configuration change can fix it. */
function refusedDestination(refusal: DestinationError, attempt: number, log: Logger) {
  log.warn({ ...refusal.details, code: refusal.code }, refusal.message);
  return toApplicationFailure(
    new DestinationError(refusal.code, refusal.message, {
      cause: refusal,
      details: { ...refusal.details, attempt },
    }),
  );
}

/**
 * Makes the HTTP attempt and classifies what came of it: the target's answer, or the error that stood in
 * for one. A cancelled activity rethrows the cancellation; a refused destination fails for good.
 */
async function attemptForward(
  forward: ForwardRequest,
  context: Context,
  { outbound, now, log, attempt }: { outbound: Outbound; now: () => number; log: Logger; attempt: number },
): Promise<{ decision: RetryDecision; elapsedMs: number }> {
  const signal = AbortSignal.any([context.cancellationSignal, AbortSignal.timeout(forward.timeoutMs)]);
  const started = now();
  let decision: RetryDecision;
  try {
    const response = await request(forward.url, {
      method: 'POST',
      headers: forward.headers,
      body: forward.body,
      signal,
      headersTimeout: forward.timeoutMs,
      bodyTimeout: forward.timeoutMs,
      dispatcher: outbound.dispatcher,
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
    const refusal = destinationRefusal(error);
    if (refusal) throw refusedDestination(refusal, attempt, log);
    decision = classifyError(error);
    log.warn({ err: error, elapsedMs: now() - started }, 'forward attempt failed without a response');
  }
  return { decision, elapsedMs: now() - started };
}

/** Why an attempt did not deliver, in the words the record and the log keep; undefined when it did. */
function attemptFailure(
  decision: RetryDecision,
  timeoutMs: number,
): { code: CodeOf<'delivery'>; message: string } | undefined {
  if (decision.reason === 'ok') return undefined;
  const message =
    decision.status !== undefined
      ? `the target answered HTTP ${decision.status}`
      : `the target could not be reached (${decision.reason === 'timeout' ? `no answer within ${timeoutMs} ms` : 'network error'})`;
  return { code: FAILURE_CODES[decision.reason], message };
}

/** The attempt's outcome: the result on a 2xx, else a DeliveryError that says whether and when to retry. */
function forwardOutcome(
  decision: RetryDecision,
  {
    attempt,
    timeoutMs,
    elapsedMs,
    log,
  }: { attempt: number; timeoutMs: number; elapsedMs: number; log: Logger },
): ForwardResult {
  if (decision.reason === 'ok') {
    log.info({ status: decision.status, elapsedMs }, 'event forwarded');
    return { status: decision.status ?? 200, attempt };
  }
  const { code, message } = attemptFailure(decision, timeoutMs) as {
    code: CodeOf<'delivery'>;
    message: string;
  };
  log.warn({ status: decision.status, retry: decision.retry, delayMs: decision.delayMs, elapsedMs }, message);
  throw toApplicationFailure(
    new DeliveryError(code, message, {
      retryable: decision.retry,
      retryAfterMs: decision.delayMs,
      details: { status: decision.status, attempt } satisfies ForwardFailureDetails,
    }),
  );
}

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
    const target = forwardTarget(deps.targets, input, attempt);
    const forward = forwardRequest(
      target,
      input,
      { attempt, nowMs: now() },
      forwardedBody(deps.targets, input, attempt),
    );
    const { decision, elapsedMs } = await attemptForward(forward, context, {
      outbound: deps.outbound,
      now,
      log,
      attempt,
    });
    if (input.reportAttempts) {
      const failure = attemptFailure(decision, forward.timeoutMs);
      await reportAttempt(
        deps.junctionClient,
        context.info.workflowExecution?.workflowId,
        {
          route: input.route,
          ...(input.target !== undefined ? { target: input.target } : {}),
          attempt,
          outcome: failure ? 'failed' : 'delivered',
          at: new Date(now()).toISOString(),
          durationMs: elapsedMs,
          ...(decision.status !== undefined ? { status: decision.status } : {}),
          ...(failure ? { error: failure } : {}),
        },
        log,
      );
    }
    return forwardOutcome(decision, { attempt, timeoutMs: forward.timeoutMs, elapsedMs, log });
  };
}
