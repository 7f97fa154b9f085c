import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import type { JunctionConfig, SourceConfig } from '../config/schema';
import { RequestError, TemporalError, WebhookVerificationError } from '../shared/errors';
import { webhookWorkflowId } from '../shared/ids';
import type { SequencerInput } from '../shared/ordering';
import { JUNCTION_SOURCE, JUNCTION_STATE } from '../shared/searchAttributes';
import {
  WEBHOOK_DELIVERY_WORKFLOW,
  discardSignal,
  retrySignal,
  statusQuery,
  type DeadLetterMemo,
  type FailureRecord,
  type WebhookDeliveryInput,
  type WebhookDeliveryStatus,
  type WebhookEvent,
} from '../shared/webhooks';
import { parsePayload, rawBodyBytes, toRawBody } from '../webhooks/payload';
import { compileRoutes, selectTargets, type CompiledRoute } from '../webhooks/routing';
import type { webhookDelivery } from '../workflows';
import { enqueueInSequencer } from './sequencer';
import { visibilityLiteral } from './visibility';

export interface StartOutcome {
  status: 'accepted' | 'duplicate';
  workflowId: string;
}

export interface DeadLetter {
  workflowId: string;
  sourceId: string | undefined;
  deliveryId: string | undefined;
  eventType: string | undefined;
  deadLetteredAt: string | undefined;
  lastError: FailureRecord | undefined;
  startedAt: string;
}

/** A request whose signature checked out: what the webhook route (or `webhooks send`) hands over. */
export interface VerifiedWebhook {
  sourceId: string;
  deliveryId: string;
  eventType: string;
  /** The parsed body, when the scheme parsed it (routing may look into it). */
  payload?: unknown;
  contentType: string | undefined;
  rawBody: Buffer;
  receivedAt: Date;
}

export interface WebhooksClientOptions {
  client: Client;
  taskQueue: string;
  /** Sources, their routes and delivery settings: what a new delivery is routed by. */
  config: Pick<JunctionConfig, 'sources' | 'delivery'>;
  /** Tuning for new ordering sequencers (tests make them continue-as-new or idle out quickly). */
  sequencer?: Pick<SequencerInput, 'maxTicketsPerRun' | 'idleTimeoutMs' | 'holderCheckMs'>;
}

/**
 * Webhook deliveries: the one place that turns a verified event into a delivery (routing it by the current
 * configuration), starts, signals and lists them, and replays finished ones. The HTTP route, the CLI and
 * application services share it.
 */
export class WebhooksClient {
  private readonly client: Client;
  private readonly taskQueue: string;
  private readonly sequencer: WebhooksClientOptions['sequencer'];
  private readonly sources = new Map<string, { source: SourceConfig; routes: CompiledRoute[] }>();
  private readonly retry: JunctionConfig['delivery']['retry'];

  constructor(options: WebhooksClientOptions) {
    this.client = options.client;
    this.taskQueue = options.taskQueue;
    this.sequencer = options.sequencer;
    this.retry = options.config.delivery.retry;
    for (const source of options.config.sources) {
      this.sources.set(source.id, { source, routes: compileRoutes(source) });
    }
  }

  private sourceOf(sourceId: string) {
    const entry = this.sources.get(sourceId);
    if (!entry) {
      const known = [...this.sources.keys()].join(', ') || 'none';
      throw new WebhookVerificationError(
        'unknown_source',
        `no webhook source "${sourceId}" is configured (configured: ${known})`,
      );
    }
    return entry;
  }

  /** The delivery input for an event: its targets by the source's routes as configured now. */
  inputFor(event: WebhookEvent, payload: unknown): WebhookDeliveryInput {
    const { source, routes } = this.sourceOf(event.sourceId);
    return {
      event,
      targets: selectTargets(routes, event.eventType, source.id, payload),
      retry: { ...this.retry, ...source.retry },
      ...(source.schemas && Object.keys(source.schemas).length > 0 ? { validate: true } : {}),
    };
  }

  /** Durably hands a verified event to Temporal (see `start`): routed by the current configuration. */
  async deliver(webhook: VerifiedWebhook, options: { timeoutMs?: number } = {}): Promise<StartOutcome> {
    const event: WebhookEvent = {
      sourceId: webhook.sourceId,
      deliveryId: webhook.deliveryId,
      eventType: webhook.eventType,
      receivedAt: webhook.receivedAt.toISOString(),
      contentType: webhook.contentType,
      body: toRawBody(webhook.rawBody),
    };
    return this.start(this.inputFor(event, webhook.payload), options);
  }

  /**
   * Starts `webhook:<source>:<deliveryId>`. The id is derived from the delivery id, so a redelivery finds the
   * existing execution (running or closed) and is reported as a duplicate. Throws when Temporal cannot be
   * reached within `timeoutMs` (see `isTemporalUnavailable`).
   */
  async start(
    input: WebhookDeliveryInput,
    options: { timeoutMs?: number; workflowId?: string } = {},
  ): Promise<StartOutcome> {
    const workflowId = options.workflowId ?? webhookWorkflowId(input.event.sourceId, input.event.deliveryId);
    // One deadline for the whole hand-over (the start and any enqueues), not one per call.
    const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
    const withDeadline = async (call: () => Promise<unknown>) => {
      if (deadline === undefined) return call();
      return this.client.connection.withDeadline(deadline, call);
    };
    let status: StartOutcome['status'] = 'accepted';
    try {
      await withDeadline(() =>
        this.client.workflow.start<typeof webhookDelivery>(WEBHOOK_DELIVERY_WORKFLOW, {
          workflowId,
          taskQueue: this.taskQueue,
          args: [input],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          workflowIdConflictPolicy: 'FAIL',
          typedSearchAttributes: [
            { key: JUNCTION_SOURCE, value: input.event.sourceId },
            { key: JUNCTION_STATE, value: input.targets.length > 0 ? 'delivering' : 'unrouted' },
          ],
        }),
      );
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      status = 'duplicate';
    }
    // Ordered routes: put the delivery in line before answering, so the line follows arrival order. A
    // duplicate is put in line again (the sequencer ignores a delivery it holds, or one already finished),
    // which repairs an earlier attempt whose start was stored but whose enqueue was not.
    for (const [sequencerId, route] of orderedRoutes(input)) {
      await withDeadline(() => this.enqueueOrdered(sequencerId, input.event.sourceId, route, workflowId));
    }
    return { status, workflowId };
  }

  /** Signal-with-start: the sequencer for a route and key gets the delivery in line (started if idle). */
  async enqueueOrdered(
    sequencerId: string,
    sourceId: string,
    route: string,
    workflowId: string,
  ): Promise<void> {
    const request = { sequencerId, sourceId, route, workflowId };
    await enqueueInSequencer(this.client, this.taskQueue, request, this.sequencer);
  }

  /** Dead-lettered events (a visibility query), newest first. */
  async *listDeadLetters(filter: { sourceId?: string } = {}): AsyncGenerator<DeadLetter> {
    for await (const info of this.client.workflow.list({ query: deadLetterQuery(filter.sourceId) })) {
      yield toDeadLetter(info);
    }
  }

  /** How many events of a source (or of all) wait in the dead letters (a visibility count). */
  async countDeadLetters(sourceId?: string): Promise<number> {
    return (await this.client.workflow.count(deadLetterQuery(sourceId))).count;
  }

  /**
   * The current state of one delivery, with its delivery log (a query: needs a worker polling the task
   * queue). An unknown workflow id is a `workflow_not_found` error.
   */
  async deliveryStatus(workflowId: string): Promise<WebhookDeliveryStatus> {
    try {
      return await this.client.workflow.getHandle(workflowId).query(statusQuery);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        throw new TemporalError('workflow_not_found', `no workflow with id "${workflowId}"`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  /** Sends `retry` to a dead-lettered delivery. Refuses, with a clear error, when it is not dead-lettered. */
  async retryDeadLetter(workflowId: string): Promise<void> {
    await this.assertDeadLettered(workflowId);
    await this.client.workflow.getHandle(workflowId).signal(retrySignal);
  }

  /** Sends `discard` to a dead-lettered delivery; it completes as discarded. */
  async discardDeadLetter(workflowId: string, reason?: string): Promise<void> {
    await this.assertDeadLettered(workflowId);
    await this.client.workflow.getHandle(workflowId).signal(discardSignal, reason);
  }

  /**
   * The input a delivery was started with, read from its history (decoded with this client's data
   * converter), so a finished event can be replayed without a worker.
   */
  async deliveryInput(workflowId: string): Promise<{ input: WebhookDeliveryInput; running: boolean }> {
    const handle = this.client.workflow.getHandle(workflowId);
    const description = await this.describe(workflowId);
    if (description.type !== WEBHOOK_DELIVERY_WORKFLOW) {
      throw new RequestError(
        'bad_request',
        `workflow "${workflowId}" is a ${description.type}, not a webhook delivery`,
      );
    }
    const history = await handle.fetchHistory();
    const payloads = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
    const [input] = await decodeArrayFromPayloads(this.client.options.loadedDataConverter, payloads);
    return { input: input as WebhookDeliveryInput, running: description.status.name === 'RUNNING' };
  }

  /**
   * Re-runs a finished event as a new delivery, routed by the routes as configured now (the reason to replay
   * is usually a fixed route or target). Its id says what it replays: `<workflowId>:replay:<time>`.
   */
  async replay(workflowId: string, now: number = Date.now()): Promise<StartOutcome> {
    const { input, running } = await this.deliveryInput(workflowId);
    if (running) {
      throw new RequestError(
        'bad_request',
        `workflow "${workflowId}" is still running; use \`junction dlq retry\` for a dead letter`,
      );
    }
    const { event } = input;
    const payload = parsePayload(event.contentType, rawBodyBytes(event.body));
    return this.start(
      { ...this.inputFor(event, payload), replayOf: workflowId },
      { workflowId: `${workflowId}:replay:${now.toString(36)}` },
    );
  }

  private async describe(workflowId: string) {
    try {
      return await this.client.workflow.getHandle(workflowId).describe();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        throw new TemporalError('workflow_not_found', `no workflow with id "${workflowId}"`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  private async assertDeadLettered(workflowId: string): Promise<void> {
    const description = await this.describe(workflowId);
    const state = description.typedSearchAttributes.get(JUNCTION_STATE);
    if (description.status.name !== 'RUNNING' || state !== 'dead_lettered') {
      throw new TemporalError(
        'not_dead_lettered',
        `workflow "${workflowId}" is not dead-lettered (status ${description.status.name}, state ${state ?? 'unknown'})`,
      );
    }
  }
}

/** The sequencers an event's ordered targets wait on, each with its route. */
function orderedRoutes(input: WebhookDeliveryInput): Map<string, string> {
  const routes = new Map<string, string>();
  for (const target of input.targets) if (target.orderedBy) routes.set(target.orderedBy, target.route);
  return routes;
}

function toDeadLetter(info: WorkflowExecutionInfo): DeadLetter {
  const memo = (info.memo ?? {}) as DeadLetterMemo;
  return {
    workflowId: info.workflowId,
    sourceId: info.typedSearchAttributes.get(JUNCTION_SOURCE),
    deliveryId: memo.deliveryId,
    eventType: memo.eventType,
    deadLetteredAt: memo.deadLetteredAt ?? undefined,
    lastError: memo.lastError ?? undefined,
    startedAt: info.startTime.toISOString(),
  };
}

function deadLetterQuery(sourceId?: string): string {
  const clauses = [
    `WorkflowType = ${visibilityLiteral(WEBHOOK_DELIVERY_WORKFLOW)}`,
    `${JUNCTION_STATE.name} = 'dead_lettered'`,
  ];
  if (sourceId) clauses.push(`${JUNCTION_SOURCE.name} = ${visibilityLiteral(sourceId)}`);
  clauses.push(`ExecutionStatus = 'Running'`);
  return clauses.join(' AND ');
}
