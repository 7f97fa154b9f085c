import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { JunctionError, type JunctionErrorCode } from '../errors';
import {
  CONNECTION_WORKFLOW,
  OAUTH_AUTHORIZATION_WORKFLOW,
  authorizationWorkflowId,
  awaitReadyUpdate,
  completeAuthorizationUpdate,
  connectionStatusQuery,
  connectionWorkflowId,
  credentialsQuery,
  deleteConnectionUpdate,
  getFreshTokenUpdate,
  refreshNowUpdate,
  type AuthorizationInput,
  type AuthorizationOutcome,
  type ConnectionCredentials,
  type ConnectionMemo,
  type ConnectionStatus,
  type ConnectionWorkflowInput,
  type FreshTokenRequest,
} from '../shared/connections';
import { JUNCTION_CONNECTION_ID, JUNCTION_SOURCE, JUNCTION_STATE } from '../shared/searchAttributes';
import type { connection, oauthAuthorization } from '../workflows';

const KNOWN_CODES = new Set<string>([
  'needs_reauth',
  'connection_deleted',
  'refresh_failed',
  'state_used',
  'state_expired',
  'invalid_grant',
  'token_request_rejected',
  'token_endpoint_unavailable',
]);

/** Maps Temporal's errors for a connection onto Junction's codes (not found, needs re-auth, …). */
export function toConnectionError(error: unknown, connectionId: string): unknown {
  if (error instanceof WorkflowNotFoundError) {
    return new JunctionError('connection_not_found', `no connection "${connectionId}"`, { cause: error });
  }
  if (error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure) {
    const type = error.cause.type ?? '';
    if (KNOWN_CODES.has(type))
      return new JunctionError(type as JunctionErrorCode, error.cause.message, { cause: error });
  }
  const message = (error as { message?: string })?.message ?? '';
  if (/workflow execution already completed/i.test(message)) {
    return new JunctionError('connection_not_found', `connection "${connectionId}" no longer runs`, {
      cause: error,
    });
  }
  return error;
}

/** Why a connection start was refused: it already exists (running). */
export class ConnectionExistsError extends JunctionError {
  constructor(connectionId: string, options?: { cause?: unknown }) {
    super(
      'connection_exists',
      `connection "${connectionId}" already exists; delete it first or reconnect it`,
      options,
    );
  }
}

/** Starts, reads and manages connection workflows; the server, CLI and credentials helper share it. */
export class ConnectionsClient {
  constructor(
    readonly client: Client,
    readonly taskQueue: string,
  ) {}

  private handle(connectionId: string) {
    return this.client.workflow.getHandle<typeof connection>(connectionWorkflowId(connectionId));
  }

  /** Starts `connection:<id>` and waits until its first credentials are in place (or it needs re-auth). */
  async create(
    input: ConnectionWorkflowInput,
    options: { readyTimeoutMs?: number } = {},
  ): Promise<ConnectionStatus> {
    try {
      await this.client.workflow.start<typeof connection>(CONNECTION_WORKFLOW, {
        workflowId: connectionWorkflowId(input.connectionId),
        taskQueue: this.taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        typedSearchAttributes: [
          { key: JUNCTION_SOURCE, value: input.providerId },
          { key: JUNCTION_CONNECTION_ID, value: input.connectionId },
          { key: JUNCTION_STATE, value: 'pending' },
        ],
      });
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError)
        throw new ConnectionExistsError(input.connectionId, { cause: error });
      throw error;
    }
    const ready = this.handle(input.connectionId).executeUpdate(awaitReadyUpdate);
    const timeoutMs = options.readyTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<ConnectionStatus>((resolve, reject) => {
      timer = setTimeout(() => {
        this.status(input.connectionId).then(resolve, reject);
      }, timeoutMs);
    });
    try {
      return await Promise.race([ready, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Starts the pending authorization that the callback completes (single use, ten minutes). Its id comes
   * from the connect session, so a session already used (its authorization running or closed) is refused
   * with `connect_session_used`.
   */
  async startAuthorization(input: AuthorizationInput): Promise<void> {
    try {
      await this.client.workflow.start<typeof oauthAuthorization>(OAUTH_AUTHORIZATION_WORKFLOW, {
        workflowId: authorizationWorkflowId(input.stateId),
        taskQueue: this.taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowExecutionTimeout: input.expiresAt - Date.now() + 5 * 60_000,
        typedSearchAttributes: [
          { key: JUNCTION_SOURCE, value: input.providerId },
          { key: JUNCTION_CONNECTION_ID, value: input.connectionId },
        ],
      });
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) {
        throw new JunctionError(
          'connect_session_used',
          'this connect link was already used; ask the application for a new one',
          { cause: error },
        );
      }
      throw error;
    }
  }

  /** Hands the callback to its pending authorization; refused (`state_used`) for a second callback. */
  async completeAuthorization(stateId: string, query: string): Promise<AuthorizationOutcome> {
    const handle = this.client.workflow.getHandle<typeof oauthAuthorization>(
      authorizationWorkflowId(stateId),
    );
    try {
      return await handle.executeUpdate(completeAuthorizationUpdate, { args: [{ query }] });
    } catch (error) {
      const mapped = toConnectionError(error, stateId);
      if (
        mapped instanceof JunctionError &&
        (mapped.code === 'state_used' || mapped.code === 'state_expired')
      )
        throw mapped;
      if (
        error instanceof WorkflowNotFoundError ||
        /already completed/i.test((error as Error)?.message ?? '')
      ) {
        throw new JunctionError('state_used', 'this authorization was already completed or has expired', {
          cause: error,
        });
      }
      throw error;
    }
  }

  async status(connectionId: string): Promise<ConnectionStatus> {
    try {
      return await this.handle(connectionId).query(connectionStatusQuery);
    } catch (error) {
      throw toConnectionError(error, connectionId);
    }
  }

  /** Running connections (a visibility query; details from the memo, so no worker is needed). */
  async *list(
    filter: { providerId?: string; state?: string } = {},
  ): AsyncGenerator<ConnectionMemo & { connectionId: string }> {
    const clauses = [`WorkflowType = '${CONNECTION_WORKFLOW}'`, `ExecutionStatus = 'Running'`];
    const quote = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    if (filter.providerId) clauses.push(`${JUNCTION_SOURCE.name} = ${quote(filter.providerId)}`);
    if (filter.state) clauses.push(`${JUNCTION_STATE.name} = ${quote(filter.state)}`);
    for await (const info of this.client.workflow.list({ query: clauses.join(' AND ') })) {
      yield toListed(info);
    }
  }

  /** Revokes at the provider and ends the connection. */
  async delete(connectionId: string): Promise<ConnectionStatus> {
    try {
      return await this.handle(connectionId).executeUpdate(deleteConnectionUpdate);
    } catch (error) {
      throw toConnectionError(error, connectionId);
    }
  }

  async refresh(connectionId: string): Promise<ConnectionStatus> {
    try {
      return await this.handle(connectionId).executeUpdate(refreshNowUpdate);
    } catch (error) {
      throw toConnectionError(error, connectionId);
    }
  }

  /** The current credentials (a query: cheap, no history). */
  async credentials(connectionId: string): Promise<ConnectionCredentials> {
    try {
      return await this.handle(connectionId).query(credentialsQuery);
    } catch (error) {
      throw toConnectionError(error, connectionId);
    }
  }

  /** Fresh credentials (an update): the workflow refreshes at most once for all concurrent callers. */
  async getFreshToken(connectionId: string, request: FreshTokenRequest = {}): Promise<ConnectionCredentials> {
    try {
      return await this.handle(connectionId).executeUpdate(getFreshTokenUpdate, { args: [request] });
    } catch (error) {
      throw toConnectionError(error, connectionId);
    }
  }
}

function toListed(info: WorkflowExecutionInfo): ConnectionMemo & { connectionId: string } {
  const memo = (info.memo ?? {}) as Partial<ConnectionMemo>;
  return {
    connectionId:
      info.typedSearchAttributes.get(JUNCTION_CONNECTION_ID) ?? info.workflowId.replace(/^connection:/, ''),
    providerId: memo.providerId ?? info.typedSearchAttributes.get(JUNCTION_SOURCE) ?? '',
    mode: memo.mode ?? 'oauth2',
    state:
      (info.typedSearchAttributes.get(JUNCTION_STATE) as ConnectionMemo['state'] | undefined) ??
      memo.state ??
      'pending',
    scopes: memo.scopes ?? [],
    expiresAt: memo.expiresAt,
    lastRefreshAt: memo.lastRefreshAt,
    createdAt: memo.createdAt ?? info.startTime.toISOString(),
  };
}
