import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import type { ConnectionsConfig } from '../config/schema';
import type { ProviderCatalogue } from '../providers/catalogue';
import type { OAuthAuth, ProviderDeclaration } from '../providers/schema';
import { ConnectionError, OAuthError, RequestError } from '../shared/errors';
import { authorizationInput, connectionInput, type CreateConnectionRequest } from './connectionInputs';
import { status } from '@grpc/grpc-js';
import { readFailure } from '../shared/failures';
import { grpcStatusOf, isWorkflowNotReady, retryTransient } from './grpc';
import { visibilityLiteral } from './visibility';
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
  renewCredentialsUpdate,
  renewUpdateId,
  type AuthorizationInput,
  type AuthorizationOutcome,
  type ConnectionCredentials,
  type ConnectionMemo,
  type ConnectionStatus,
  type ConnectionWorkflowInput,
  type FreshTokenRequest,
  type RenewRequest,
} from '../shared/connectionContract';
import { JUNCTION_CONNECTION_ID, JUNCTION_SOURCE, JUNCTION_STATE } from '../shared/searchAttributes';
import type { connection, oauthAuthorization } from '../workflows';
import { ConnectionExistsError, ConnectionStuckError, toConnectionError } from './connectionErrors';

export { ConnectionExistsError, ConnectionStuckError, toConnectionError } from './connectionErrors';

/** What a describe (no worker needed) tells about a connection: the revision a caller can renew from. */
export interface ConnectionRevision {
  state: ConnectionMemo['state'];
  /** Undefined when the workflow runs code from before revisions (renew through getFreshToken then). */
  revision?: number;
}

/** A provider that connects through the authorization-code flow, with its OAuth client. */
export type AuthorizationCodeProvider = ProviderDeclaration & {
  auth: OAuthAuth & { mode: 'oauth2' };
  client: NonNullable<ProviderDeclaration['client']>;
};

/** Starts, reads and manages connection workflows; the server, CLI and credentials helper share it. */
export class ConnectionsClient {
  constructor(
    readonly client: Client,
    readonly taskQueue: string,
    /** The catalogue and settings new connections are made from (not needed to use existing ones). */
    private readonly assembly?: { providers: ProviderCatalogue; settings: ConnectionsConfig },
  ) {}

  private assemblyOrFail() {
    if (!this.assembly) throw new RequestError('internal_error', 'this client cannot create connections');
    return this.assembly;
  }

  /** A provider of the catalogue, or `unknown_provider`. */
  provider(providerId: string): ProviderDeclaration {
    const provider = this.assemblyOrFail().providers.get(providerId);
    if (!provider) throw new ConnectionError('unknown_provider', `no provider "${providerId}"`);
    return provider;
  }

  /** A provider that connects through the authorization-code flow with its OAuth client configured. */
  authorizationCodeProvider(providerId: string): AuthorizationCodeProvider {
    const provider = this.provider(providerId);
    if (provider.auth.mode !== 'oauth2') {
      throw new ConnectionError(
        'unsupported_auth_mode',
        `provider "${provider.id}" does not use the authorization-code flow`,
      );
    }
    if (!provider.client) {
      throw new ConnectionError(
        'unsupported_auth_mode',
        `provider "${provider.id}" has no OAuth client configured, so it cannot be connected`,
      );
    }
    return provider as AuthorizationCodeProvider;
  }

  /** Called once a connection is installed (the starter client enables its default syncs here). */
  afterInstall?: (connectionId: string) => Promise<void>;
  /** Called once a connection is deleted: the starter client stops its syncs (their records stay). */
  afterDelete?: (connectionId: string) => Promise<void>;

  /** Creates a connection from credentials the caller holds (API key, basic, client credentials, JWT bearer). */
  async createFromRequest(request: CreateConnectionRequest): Promise<ConnectionStatus> {
    const provider = this.provider(request.providerId);
    return this.create(connectionInput(provider, this.assemblyOrFail().settings, request));
  }

  /** Starts the pending authorization for a connect link (see `startAuthorization`). */
  async beginAuthorization(
    providerId: string,
    request: Parameters<typeof authorizationInput>[2],
  ): Promise<void> {
    const provider = this.authorizationCodeProvider(providerId);
    await this.startAuthorization(authorizationInput(provider, this.assemblyOrFail().settings, request));
  }

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
    let installed: ConnectionStatus;
    try {
      installed = await Promise.race([ready, timeout]);
    } finally {
      clearTimeout(timer);
    }
    if (installed.state === 'active') await this.afterInstall?.(installed.connectionId);
    return installed;
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
        throw new OAuthError(
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
      const outcome = await handle.executeUpdate(completeAuthorizationUpdate, { args: [{ query }] });
      if (outcome.status === 'connected') await this.afterInstall?.(outcome.connectionId);
      return outcome;
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) throw readFailure(error, 'state_used');
      if (error instanceof WorkflowNotFoundError || grpcStatusOf(error) === status.NOT_FOUND) {
        throw new OAuthError('state_used', 'this authorization was already completed or has expired', {
          cause: error,
        });
      }
      throw error;
    }
  }

  /**
   * Runs a query or update on the connection's workflow: busy or aborted answers are tried again (updates are
   * sent with a fixed id, so a repeat joins the same update), and Temporal's errors become Junction's codes.
   */
  private async call<T>(connectionId: string, run: () => Promise<T>): Promise<T> {
    try {
      return await retryTransient(run);
    } catch (error) {
      if (isWorkflowNotReady(error)) throw await this.stuck(connectionId, error);
      throw toConnectionError(error, connectionId);
    }
  }

  /** The error for a connection whose workflow task fails, with the attempt count from a describe. */
  private async stuck(connectionId: string, cause: unknown): Promise<unknown> {
    try {
      const description = await this.handle(connectionId).describe();
      const attempt = description.raw.pendingWorkflowTask?.attempt ?? undefined;
      return new ConnectionStuckError(connectionId, attempt ?? undefined, { cause });
    } catch (error) {
      return toConnectionError(error, connectionId);
    }
  }

  async status(connectionId: string): Promise<ConnectionStatus> {
    return this.call(connectionId, () => this.handle(connectionId).query(connectionStatusQuery));
  }

  /** Running connections (a visibility query; details from the memo, so no worker is needed). */
  async *list(
    filter: { providerId?: string; state?: string } = {},
  ): AsyncGenerator<ConnectionMemo & { connectionId: string }> {
    const clauses = [`WorkflowType = '${CONNECTION_WORKFLOW}'`, `ExecutionStatus = 'Running'`];
    if (filter.providerId) clauses.push(`${JUNCTION_SOURCE.name} = ${visibilityLiteral(filter.providerId)}`);
    if (filter.state) clauses.push(`${JUNCTION_STATE.name} = ${visibilityLiteral(filter.state)}`);
    for await (const info of this.client.workflow.list({ query: clauses.join(' AND ') })) {
      yield toListed(info);
    }
  }

  /** Revokes at the provider and ends the connection. */
  async delete(connectionId: string): Promise<ConnectionStatus> {
    const updateId = randomUUID();
    const deleted = await this.call(connectionId, () =>
      this.handle(connectionId).executeUpdate(deleteConnectionUpdate, { updateId }),
    );
    await this.afterDelete?.(connectionId);
    return deleted;
  }

  async refresh(connectionId: string): Promise<ConnectionStatus> {
    const updateId = randomUUID();
    return this.call(connectionId, () =>
      this.handle(connectionId).executeUpdate(refreshNowUpdate, { updateId }),
    );
  }

  /** The current credentials (a query: cheap, no history, but it needs a worker to answer). */
  async credentials(connectionId: string): Promise<ConnectionCredentials> {
    return this.call(connectionId, () => this.handle(connectionId).query(credentialsQuery));
  }

  /**
   * The connection's state and credentials revision from its memo: a describe, answered by the Temporal
   * server alone, so it keeps working when every process asks at once and the workers are busy.
   */
  async revision(connectionId: string): Promise<ConnectionRevision> {
    const description = await this.call(connectionId, () => this.handle(connectionId).describe());
    if (description.status.name !== 'RUNNING') {
      throw new ConnectionError('connection_not_found', `connection "${connectionId}" no longer runs`);
    }
    const memo = (description.memo ?? {}) as Partial<ConnectionMemo>;
    return { state: memo.state ?? 'pending', revision: memo.revision };
  }

  /**
   * Credentials newer or fresher than `request.seenRevision`. Every caller with the same request sends the
   * same update id, so the server folds them into one update, however many processes ask.
   */
  async renew(connectionId: string, request: RenewRequest): Promise<ConnectionCredentials> {
    const updateId = renewUpdateId(request);
    return this.call(connectionId, () =>
      this.handle(connectionId).executeUpdate(renewCredentialsUpdate, { args: [request], updateId }),
    );
  }

  /**
   * Fresh credentials (an update of its own per call): kept for workflows whose code predates
   * `renewCredentials`. Prefer `renew`.
   */
  async getFreshToken(connectionId: string, request: FreshTokenRequest = {}): Promise<ConnectionCredentials> {
    const updateId = randomUUID();
    return this.call(connectionId, () =>
      this.handle(connectionId).executeUpdate(getFreshTokenUpdate, { args: [request], updateId }),
    );
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
