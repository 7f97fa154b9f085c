import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { RequestError, TemporalError } from '../shared/errors';
import { webhookWorkflowId } from '../shared/ids';
import { WEBHOOK_SEQUENCER_WORKFLOW, enqueueSignal, type SequencerInput } from '../shared/ordering';
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
} from '../shared/webhooks';
import type { webhookDelivery, webhookSequencer } from '../workflows';
export { isTemporalUnavailable } from './errors';

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

export interface JunctionClientOptions {
  client: Client;
  taskQueue: string;
  /** Tuning for new ordering sequencers (tests make them continue-as-new or idle out quickly). */
  sequencer?: Pick<SequencerInput, 'maxTicketsPerRun' | 'idleTimeoutMs' | 'holderCheckMs'>;
}

/** Escapes a value for a visibility query string literal. */
function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * The starter client: the one place that starts, signals and lists Junction's workflows. The HTTP server,
 * the CLI and application services all go through it.
 */
export class JunctionClient {
  readonly client: Client;
  readonly taskQueue: string;
  private readonly sequencer: JunctionClientOptions['sequencer'];

  constructor(options: JunctionClientOptions) {
    this.client = options.client;
    this.taskQueue = options.taskQueue;
    this.sequencer = options.sequencer;
  }

  /**
   * Durably hands a verified event to Temporal. The workflow id is derived from the delivery id, so a
   * redelivery finds the existing execution (running or closed) and is reported as a duplicate.
   * Throws when Temporal cannot be reached within `timeoutMs`; see {@link isTemporalUnavailable}.
   */
  async startWebhookDelivery(
    input: WebhookDeliveryInput,
    options: { timeoutMs?: number; workflowId?: string } = {},
  ): Promise<StartOutcome> {
    const workflowId = options.workflowId ?? webhookWorkflowId(input.event.sourceId, input.event.deliveryId);
    const start = () =>
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
      });
    const withDeadline = async (call: () => Promise<unknown>) => {
      if (options.timeoutMs !== undefined) {
        await this.client.connection.withDeadline(Date.now() + options.timeoutMs, call);
      } else {
        await call();
      }
    };
    let status: StartOutcome['status'] = 'accepted';
    try {
      await withDeadline(start);
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
    await this.client.workflow.signalWithStart<typeof webhookSequencer, [string]>(
      WEBHOOK_SEQUENCER_WORKFLOW,
      {
        workflowId: sequencerId,
        taskQueue: this.taskQueue,
        args: [{ sourceId, route, ...this.sequencer } satisfies SequencerInput],
        signal: enqueueSignal,
        signalArgs: [workflowId],
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        typedSearchAttributes: [{ key: JUNCTION_SOURCE, value: sourceId }],
      },
    );
  }

  /** Lists dead-lettered events (a visibility query), newest first. */
  async *listDeadLetters(filter: { sourceId?: string } = {}): AsyncGenerator<DeadLetter> {
    const clauses = [
      `WorkflowType = ${quote(WEBHOOK_DELIVERY_WORKFLOW)}`,
      `${JUNCTION_STATE.name} = 'dead_lettered'`,
    ];
    if (filter.sourceId) clauses.push(`${JUNCTION_SOURCE.name} = ${quote(filter.sourceId)}`);
    clauses.push(`ExecutionStatus = 'Running'`);
    for await (const info of this.client.workflow.list({ query: clauses.join(' AND ') })) {
      yield toDeadLetter(info);
    }
  }

  /** The current state of one delivery (a query: needs a worker polling the task queue). */
  async deliveryStatus(workflowId: string): Promise<WebhookDeliveryStatus> {
    return this.client.workflow.getHandle(workflowId).query(statusQuery);
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
    let description;
    try {
      description = await handle.describe();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        throw new TemporalError('workflow_not_found', `no workflow with id "${workflowId}"`, {
          cause: error,
        });
      }
      throw error;
    }
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

  private async assertDeadLettered(workflowId: string): Promise<void> {
    let description;
    try {
      description = await this.client.workflow.getHandle(workflowId).describe();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        throw new TemporalError('workflow_not_found', `no workflow with id "${workflowId}"`, {
          cause: error,
        });
      }
      throw error;
    }
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
