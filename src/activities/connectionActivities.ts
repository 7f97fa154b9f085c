import { type ApplicationFailure, Context } from '@temporalio/activity';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { request, type Dispatcher } from 'undici';
import type { ConnectionsConfig } from '../config/schema';
import type { Logger } from '../logging/logger';
import { tokenEndpointError } from '../oauth/errors';
import { loadOAuth } from '../oauth/lib';
import { ConnectionError, DeliveryError, OAuthError, RequestError } from '../shared/errors';
import { toApplicationFailure } from '../shared/failures';
import {
  exchangeAuthorizationCode,
  isOAuthProvider,
  requestTokenGrant,
  revokeAtProvider,
  type OAuthProvider,
} from '../oauth/grants';
import type { ProviderCatalogue } from '../providers/catalogue';
import {
  CONNECTION_WORKFLOW,
  connectionWorkflowId,
  reauthorizeUpdate,
  type CodeExchangeInput,
  type ConnectionEvent,
  type ConnectionStatus,
  type InstallConnectionInput,
  type RevokeInput,
  type TokenGrantResult,
  type TokenRequestInput,
} from '../shared/connectionContract';
import { JUNCTION_CONNECTION_ID, JUNCTION_SOURCE, JUNCTION_STATE } from '../shared/searchAttributes';
import { TOKEN_ENDPOINT_TIMEOUT_MS } from '../shared/activityOptions';

export interface ConnectionActivityDeps {
  providers: () => ProviderCatalogue;
  connectionsConfig: () => ConnectionsConfig;
  /** A codec-configured client, for installing a connection after a code exchange (update-with-start). */
  temporalClient: Client | undefined;
  logger: Logger;
  dispatcher?: Dispatcher;
  now?: () => number;
}

function oauthProvider(deps: ConnectionActivityDeps, providerId: string): OAuthProvider {
  const provider = deps.providers().get(providerId);
  if (!provider) {
    throw toApplicationFailure(
      new ConnectionError('unknown_provider', `provider "${providerId}" is not in the catalogue`),
    );
  }
  if (!isOAuthProvider(provider)) {
    throw toApplicationFailure(
      new ConnectionError(
        'unsupported_auth_mode',
        `provider "${providerId}" uses ${provider.auth.mode}, which has no token endpoint`,
      ),
    );
  }
  return provider;
}

/** Turns a token endpoint failure into an ApplicationFailure whose type the workflow branches on. */
async function tokenFailure(
  error: unknown,
  now: number,
  log: Logger,
  what: string,
  attempt = 1,
): Promise<ApplicationFailure> {
  let failure = tokenEndpointError(error, await loadOAuth(), now);
  if (failure.code === 'invalid_grant' && attempt > 1) {
    // A retried refresh: an earlier attempt may have reached the provider, which rotated the refresh token,
    // and its answer was lost with the worker. Providers without a reuse grace refuse the old token then.
    failure = new OAuthError(
      'invalid_grant',
      `${failure.message}; an earlier attempt may have rotated the refresh token before its answer was lost`,
      { cause: failure.cause, details: failure.details },
    );
  }
  log.warn(
    { ...failure.details, code: failure.code, retry: failure.retryable },
    `${what} failed: ${failure.message}`,
  );
  return toApplicationFailure(failure);
}

/** Activities of the connection and authorization workflows: every token endpoint call and event. */
export function createConnectionActivities(deps: ConnectionActivityDeps) {
  const now = deps.now ?? Date.now;
  const logFor = (connectionId: string, providerId: string) => {
    const context = Context.current();
    return deps.logger.child({
      workflowId: context.info.workflowExecution?.workflowId,
      connectionId,
      provider: providerId,
      activity: context.info.activityType,
      attempt: context.info.attempt,
    });
  };

  return {
    /** One token request: refresh, client credentials or JWT bearer. The result goes straight to the workflow. */
    async requestToken(input: TokenRequestInput): Promise<TokenGrantResult> {
      const log = logFor(input.connectionId, input.providerId);
      const provider = oauthProvider(deps, input.providerId);
      // Heartbeats tell Temporal this worker is alive while the provider answers (the workflow sets a
      // heartbeat timeout on new runs): a worker killed mid-request is retried within seconds.
      const context = Context.current();
      const beat = setInterval(() => context.heartbeat(), 1_000);
      try {
        const result = await requestTokenGrant(provider, input, {
          timeoutMs: TOKEN_ENDPOINT_TIMEOUT_MS,
          now,
        });
        log.info(
          { grant: input.grant, expiresAt: result.expiresAt, rotated: Boolean(result.refreshToken) },
          'token obtained',
        );
        return result;
      } catch (error) {
        throw await tokenFailure(error, now(), log, `${input.grant} grant`, context.info.attempt);
      } finally {
        clearInterval(beat);
      }
    },

    /** The authorization code exchange (with PKCE) after the provider redirected back. */
    async exchangeCode(input: CodeExchangeInput): Promise<TokenGrantResult> {
      const log = deps.logger.child({ provider: input.providerId, activity: 'exchangeCode' });
      const provider = oauthProvider(deps, input.providerId);
      try {
        const result = await exchangeAuthorizationCode(provider, input, {
          timeoutMs: TOKEN_ENDPOINT_TIMEOUT_MS,
          now,
        });
        log.info(
          { expiresAt: result.expiresAt, refreshToken: Boolean(result.refreshToken) },
          'authorization code exchanged',
        );
        return result;
      } catch (error) {
        const lib = await loadOAuth();
        if (error instanceof lib.AuthorizationResponseError) {
          throw toApplicationFailure(
            new OAuthError('authorization_failed', `the provider answered ${error.error}`, {
              cause: error,
              details: { oauthError: error.error, description: error.error_description },
            }),
          );
        }
        throw await tokenFailure(error, now(), log, 'code exchange');
      }
    },

    /** Revokes at the provider (RFC 7009) when it declares an endpoint. */
    async revokeCredentials(input: RevokeInput): Promise<{ revoked: boolean }> {
      const log = logFor(input.connectionId, input.providerId);
      const provider = deps.providers().get(input.providerId);
      if (!provider || !isOAuthProvider(provider)) return { revoked: false };
      try {
        const revoked = await revokeAtProvider(provider, input.secrets, {
          timeoutMs: TOKEN_ENDPOINT_TIMEOUT_MS,
        });
        log.info(
          { revoked },
          revoked ? 'credentials revoked at the provider' : 'the provider has no revocation endpoint',
        );
        return { revoked };
      } catch (error) {
        throw await tokenFailure(error, now(), log, 'revocation');
      }
    },

    /** Tells the application about a connection (needs_reauth, created, deleted) at `connections.events`. */
    async notifyConnectionEvent(event: ConnectionEvent): Promise<{ delivered: boolean; status?: number }> {
      const log = logFor(event.connectionId, event.providerId);
      const target = deps.connectionsConfig().events;
      if (!target) {
        log.warn(
          { event: event.type },
          'no connections.events target is configured; the event is only logged',
        );
        return { delivered: false };
      }
      const signal = AbortSignal.any([
        Context.current().cancellationSignal,
        AbortSignal.timeout(target.timeoutMs),
      ]);
      let status: number;
      try {
        const response = await request(target.url, {
          method: 'POST',
          headers: {
            ...target.headers,
            'content-type': 'application/json',
            'junction-event-type': event.type,
            'junction-connection-id': event.connectionId,
          },
          body: JSON.stringify(event),
          signal,
          dispatcher: deps.dispatcher,
        });
        await response.body.dump();
        status = response.statusCode;
      } catch (error) {
        log.warn({ err: error, event: event.type }, 'connection event not delivered');
        throw toApplicationFailure(
          new DeliveryError('target_unreachable', 'the events target could not be reached', {
            retryable: true,
          }),
        );
      }
      if (status >= 200 && status < 300) {
        log.info({ event: event.type, status }, 'connection event delivered');
        return { delivered: true, status };
      }
      const retry = status === 408 || status === 429 || status >= 500;
      throw toApplicationFailure(
        new DeliveryError(
          retry ? 'target_error' : 'target_rejected',
          `the events target answered HTTP ${status}`,
          {
            retryable: retry,
            details: { status },
          },
        ),
      );
    },

    /**
     * Installs freshly authorized credentials: starts `connection:<id>`, or hands them to the running one
     * (a reconnect after needs_reauth), in one update-with-start call.
     */
    async installConnection(input: InstallConnectionInput): Promise<ConnectionStatus> {
      if (!deps.temporalClient) {
        throw toApplicationFailure(
          new RequestError('internal_error', 'the worker has no Temporal client to install connections with'),
        );
      }
      const { connection } = input;
      const startWorkflowOperation = new WithStartWorkflowOperation(CONNECTION_WORKFLOW, {
        workflowId: connectionWorkflowId(connection.connectionId),
        taskQueue: input.taskQueue,
        args: [connection],
        workflowIdConflictPolicy: 'USE_EXISTING',
        typedSearchAttributes: [
          { key: JUNCTION_SOURCE, value: connection.providerId },
          { key: JUNCTION_CONNECTION_ID, value: connection.connectionId },
          { key: JUNCTION_STATE, value: 'pending' },
        ],
      });
      return deps.temporalClient.workflow.executeUpdateWithStart(reauthorizeUpdate, {
        args: [connection.secrets, connection.scopes],
        startWorkflowOperation,
      });
    },
  };
}

export type ConnectionActivities = ReturnType<typeof createConnectionActivities>;
