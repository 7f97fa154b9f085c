import { createHash, randomUUID } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';
import { ActionInputError, resolveAction } from '../calls/actions';
import { ActionError, ConnectionError, RequestError, TemporalError } from '../shared/errors';
import type { ProviderCatalogue } from '../providers/catalogue';
import { PROVIDER_ACTION_WORKFLOW, actionWorkflowId, type ProviderActionInput } from '../shared/actions';
import type { ProviderResponse } from '../shared/calls';
import { connectionWorkflowId } from '../shared/connectionContract';
import { readFailure } from '../shared/failures';
import { JUNCTION_CONNECTION_ID, JUNCTION_SOURCE } from '../shared/searchAttributes';
import type { providerAction } from '../workflows';

export interface ActionRequest {
  providerId: string;
  action: string;
  connectionId?: string;
  input?: unknown;
  /** The same key (per provider and action) runs the action once; a later call gets that run's outcome. */
  idempotencyKey?: string;
}

export type ActionOutcome =
  | { status: 'completed'; workflowId: string; result: ProviderResponse }
  | {
      status: 'failed';
      workflowId: string;
      error: { type: string; message: string; status?: number; body?: unknown };
    }
  | { status: 'running'; workflowId: string };

/** Memo on an action's workflow: what was asked, so a reused idempotency key with other input is caught. */
interface ActionMemo {
  requestHash?: string;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

function requestHash(request: ActionRequest): string {
  const canonical = JSON.stringify([
    request.providerId,
    request.action,
    request.connectionId ?? null,
    request.input ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('base64url');
}

/**
 * Durable actions: resolves a declared action against the provider catalogue, runs it as a
 * `providerAction` workflow (the idempotency key is the workflow id), and reports its outcome. Used by
 * `POST /actions/:provider/:action` and by application services directly.
 */
export class ActionsClient {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly catalogue: ProviderCatalogue,
  ) {}

  /** Validates and starts the action (or finds the run its idempotency key already started). */
  async start(request: ActionRequest): Promise<{ workflowId: string }> {
    const provider = this.catalogue.get(request.providerId);
    if (!provider)
      throw new ConnectionError('unknown_provider', `no provider "${request.providerId}" is configured`);
    const action = provider.actions[request.action];
    if (!action) {
      const known = Object.keys(provider.actions);
      throw new ActionError(
        'unknown_action',
        `provider "${provider.id}" has no action "${request.action}"${known.length ? `; known: ${known.join(', ')}` : ''}`,
      );
    }
    // Every auth mode's credentials (API keys and basic ones too) live on a connection.
    if (!request.connectionId) {
      throw new ActionError(
        'connection_required',
        `actions of "${provider.id}" run for a connection: send connectionId`,
      );
    }
    await this.checkConnectionProvider(request.connectionId, provider.id);
    if (request.idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(request.idempotencyKey)) {
      throw new RequestError('bad_request', 'Idempotency-Key must be 1 to 200 printable ASCII characters');
    }
    let resolved;
    try {
      resolved = resolveAction(action, request.input);
    } catch (error) {
      if (error instanceof ActionInputError) {
        throw new ActionError(
          'invalid_input',
          `invalid input for ${provider.id}.${request.action}: ${error.message}`,
          {
            cause: error,
          },
        );
      }
      throw error;
    }
    const input: ProviderActionInput = {
      providerId: provider.id,
      action: request.action,
      connectionId: request.connectionId,
      request: resolved,
      retry: action.retry ?? provider.calls.retry,
    };
    const workflowId = actionWorkflowId(provider.id, request.action, request.idempotencyKey ?? randomUUID());
    const hash = requestHash(request);
    try {
      await this.client.workflow.start<typeof providerAction>(PROVIDER_ACTION_WORKFLOW, {
        workflowId,
        taskQueue: this.taskQueue,
        args: [input],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        // A second request while the first still runs attaches to it instead of failing.
        workflowIdConflictPolicy: 'USE_EXISTING',
        memo: { requestHash: hash } satisfies ActionMemo,
        typedSearchAttributes: [
          { key: JUNCTION_SOURCE, value: provider.id },
          { key: JUNCTION_CONNECTION_ID, value: request.connectionId },
        ],
      });
    } catch (error) {
      // Finished already: the run this key started answers (after the input check below).
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
    if (request.idempotencyKey !== undefined) {
      const description = await this.client.workflow.getHandle(workflowId).describe();
      const memo = (description.memo ?? {}) as ActionMemo;
      if (memo.requestHash !== hash) {
        throw new ActionError(
          'idempotency_key_reused',
          `Idempotency-Key "${request.idempotencyKey}" was already used for a different ${provider.id}.${request.action} request`,
        );
      }
    }
    return { workflowId };
  }

  /**
   * Refuses a connection that belongs to another provider before anything runs (the caller's mistake, not an
   * upstream failure). A connection that does not exist or no longer runs is left to the action, which fails
   * with `connection_unavailable` without calling the provider.
   */
  private async checkConnectionProvider(connectionId: string, providerId: string): Promise<void> {
    let owner: string | undefined;
    try {
      const description = await this.client.workflow.getHandle(connectionWorkflowId(connectionId)).describe();
      owner = description.typedSearchAttributes.get(JUNCTION_SOURCE);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return;
      throw error;
    }
    if (owner !== undefined && owner !== providerId) {
      throw new ActionError(
        'connection_provider_mismatch',
        `connection "${connectionId}" belongs to provider "${owner}", not "${providerId}"`,
      );
    }
  }

  /** The action's outcome, waiting up to `waitMs` for it to finish. */
  async outcome(workflowId: string, waitMs: number): Promise<ActionOutcome> {
    const handle = this.client.workflow.getHandle<typeof providerAction>(workflowId);
    const notFound = (cause?: unknown) =>
      new TemporalError('workflow_not_found', `no action run "${workflowId}"`, { cause });
    let running: boolean;
    try {
      running = (await handle.describe()).status.name === 'RUNNING';
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw notFound(error);
      throw error;
    }
    // A finished run's result is there at once; a running one is waited for up to `waitMs`.
    if (running && waitMs <= 0) return { status: 'running', workflowId };
    const controller = new AbortController();
    const timer = running ? setTimeout(() => controller.abort(), waitMs) : undefined;
    try {
      const result = await this.client.connection.withAbortSignal(controller.signal, () => handle.result());
      return { status: 'completed', workflowId, result };
    } catch (error) {
      // The wait ran out while it still runs (or exactly as it finished: the next poll tells).
      if (controller.signal.aborted) return { status: 'running', workflowId };
      if (error instanceof WorkflowNotFoundError) throw notFound(error);
      if (error instanceof WorkflowFailedError) {
        return { status: 'failed', workflowId, error: describeFailure(error) };
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The connection an action run acts for (its search attribute); undefined when there is no such run. */
  async connectionOf(workflowId: string): Promise<string | undefined> {
    try {
      const description = await this.client.workflow.getHandle(workflowId).describe();
      return description.typedSearchAttributes.get(JUNCTION_CONNECTION_ID);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  /** Starts (or finds) the action and waits up to `waitMs` for its outcome. */
  async run(request: ActionRequest, waitMs: number): Promise<ActionOutcome> {
    const { workflowId } = await this.start(request);
    return this.outcome(workflowId, waitMs);
  }
}

function describeFailure(error: WorkflowFailedError): {
  type: string;
  message: string;
  status?: number;
  body?: unknown;
} {
  const failure = readFailure(error, 'action_failed');
  const { status, body } = failure.details;
  return {
    type: failure.code,
    message: failure.message,
    status: typeof status === 'number' ? status : undefined,
    body,
  };
}
