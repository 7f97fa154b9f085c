import { Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Logger } from '../logging/logger';
import { DeliveryError } from '../shared/errors';
import { toApplicationFailure } from '../shared/failures';
import { appWorkflowId } from '../shared/ids';
import { enqueueInSequencer } from '../client/sequencer';
import type { EnqueueOrderedInput } from '../shared/ordering';
import { JUNCTION_SOURCE } from '../shared/searchAttributes';
import type {
  AppWorkflowEvent,
  ForwardFailureDetails,
  RawBody,
  StartAppWorkflowInput,
  StartAppWorkflowResult,
  ValidateEventInput,
} from '../shared/webhooks';
import { parsePayload, rawBodyBytes } from '../webhooks/payload';
import type { WebhookTargets } from '../webhooks/targets';

export interface WebhookActivityDeps {
  targets: WebhookTargets;
  /**
   * Starts the application's workflows. Its data converter must stay the plain default (JSON): the
   * application's worker may be written with any SDK and holds none of Junction's keys, so this client
   * never gets Junction's payload codec.
   */
  appWorkflowClient: Client;
  /** Junction's own client (with Junction's data converter), for Junction's own workflows. */
  junctionClient: Client;
  /** Junction's task queue, where its sequencer workflows run. */
  taskQueue: string;
  logger: Logger;
}

/**
 * The payload a target receives: the parsed body, or what the route's transform makes of it. A transform
 * that throws fails the delivery for good (it is pure: another attempt would throw again).
 */
export function deliveredPayload(
  targets: WebhookTargets,
  input: {
    sourceId: string;
    route: string;
    deliveryId: string;
    eventType: string;
    receivedAt?: string;
    contentType: string | undefined;
    body: RawBody;
  },
  attempt: number,
): { payload: unknown; transformed: boolean } {
  const payload = parsePayload(input.contentType, rawBodyBytes(input.body));
  const transform = targets.transform(input.sourceId, input.route);
  if (!transform) return { payload, transformed: false };
  let result: unknown;
  try {
    result = transform({
      source: input.sourceId,
      deliveryId: input.deliveryId,
      eventType: input.eventType,
      receivedAt: input.receivedAt,
      payload,
    });
  } catch (error) {
    throw toApplicationFailure(
      new DeliveryError(
        'transform_failed',
        `the route's transform threw: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error, details: { attempt } satisfies ForwardFailureDetails },
      ),
    );
  }
  if (result === undefined) {
    throw toApplicationFailure(
      new DeliveryError('transform_failed', "the route's transform returned nothing", {
        details: { attempt } satisfies ForwardFailureDetails,
      }),
    );
  }
  return { payload: result, transformed: true };
}

/** The event as the application's workflow receives it: plain JSON, the raw body when it is not JSON. */
function appWorkflowEvent(input: StartAppWorkflowInput, payload: unknown): AppWorkflowEvent {
  return {
    source: input.sourceId,
    deliveryId: input.deliveryId,
    eventType: input.eventType,
    receivedAt: input.receivedAt ?? new Date().toISOString(),
    contentType: input.contentType,
    payload: payload ?? null,
    ...(payload === undefined ? { body: input.body } : {}),
  };
}

/** The workflow target the route names as configured now; one since removed fails the delivery for good. */
function appWorkflowTarget(targets: WebhookTargets, input: StartAppWorkflowInput, attempt: number) {
  const target = targets.workflow(input.sourceId, input.route, input.target);
  if (!target) {
    throw toApplicationFailure(
      new DeliveryError(
        'route_not_configured',
        `source "${input.sourceId}" has no workflow target "${input.route}/${input.target}" in the current configuration`,
        { details: { attempt } satisfies ForwardFailureDetails },
      ),
    );
  }
  return target;
}

/** The `startAppWorkflow` activity: starts the application's workflow once per delivery and target. */
export function createStartAppWorkflowActivity(
  deps: Pick<WebhookActivityDeps, 'targets' | 'appWorkflowClient' | 'logger'>,
) {
  return async function startAppWorkflow(input: StartAppWorkflowInput): Promise<StartAppWorkflowResult> {
    const context = Context.current();
    const attempt = input.priorAttempts + context.info.attempt;
    const target = appWorkflowTarget(deps.targets, input, attempt);
    const { payload } = deliveredPayload(deps.targets, input, attempt);
    const event = appWorkflowEvent(input, payload);
    const workflowId = appWorkflowId(input.deliveryWorkflowId, input.route, input.target);
    const log = deps.logger.child({
      workflowId: input.deliveryWorkflowId,
      deliveryId: input.deliveryId,
      route: input.route,
      target: input.target,
      attempt,
    });
    try {
      await deps.appWorkflowClient.workflow.start(target.type, {
        workflowId,
        taskQueue: target.taskQueue,
        args: [event, ...target.args],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'USE_EXISTING',
        typedSearchAttributes: [{ key: JUNCTION_SOURCE, value: input.sourceId }],
      });
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) {
        log.info({ appWorkflowId: workflowId }, 'application workflow was already started');
        return { workflowId, started: false, attempt };
      }
      log.warn({ err: error }, 'starting the application workflow failed');
      throw toApplicationFailure(
        new DeliveryError(
          'workflow_start_failed',
          `could not start workflow ${target.type} on ${target.taskQueue}: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error, retryable: true, details: { attempt } satisfies ForwardFailureDetails },
        ),
      );
    }
    log.info(
      { appWorkflowId: workflowId, workflowType: target.type, taskQueue: target.taskQueue },
      'application workflow started',
    );
    return { workflowId, started: true, attempt };
  };
}

/** Activities for routing beyond HTTP forwards: application workflows, validation, ordering. */
export function createWebhookActivities(deps: WebhookActivityDeps) {
  return {
    /**
     * Starts the application's workflow type on its task queue with the event as plain JSON; a retried
     * attempt, or a redelivery, finds it started and is a success, never a second execution.
     */
    startAppWorkflow: createStartAppWorkflowActivity(deps),

    /** Checks the payload against the source's JSON schemas as configured now; returns the reasons it fails. */
    async validateWebhookEvent(input: ValidateEventInput): Promise<string[]> {
      const validator = deps.targets.validator(input.sourceId);
      if (!validator) return [];
      const payload = parsePayload(input.contentType, rawBodyBytes(input.body));
      if (payload === undefined) return ['(payload) is not JSON or form data'];
      return validator(input.eventType, payload);
    },

    /** Puts a delivery in its sequencer's line again (signal-with-start); the sequencer ignores repeats. */
    async enqueueOrdered(input: EnqueueOrderedInput): Promise<void> {
      await enqueueInSequencer(deps.junctionClient, deps.taskQueue, input);
    },

    /** Whether a workflow is still running (the sequencer asks about the delivery holding the turn). */
    async isWorkflowOpen(workflowId: string): Promise<boolean> {
      try {
        const description = await deps.junctionClient.workflow.getHandle(workflowId).describe();
        return description.status.name === 'RUNNING';
      } catch (error) {
        if (error instanceof WorkflowNotFoundError) return false;
        throw error;
      }
    },
  };
}
