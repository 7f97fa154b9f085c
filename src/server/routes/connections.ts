import type { FastifyInstance, FastifyReply } from 'fastify';
import { ConnectionStuckError, ConnectionsClient } from '../../client/connections';
import type { JunctionMetrics } from '../../metrics/registry';
import type { JunctionConfig } from '../../config/schema';
import { headerShape, refreshTiming } from '../../connections/input';
import { HttpError, type JunctionErrorCode } from '../../errors';
import { ProviderCatalogue } from '../../providers/catalogue';
import {
  CONNECTION_ID_PATTERN,
  type ConnectionSecrets,
  type ConnectionWorkflowInput,
} from '../../shared/connections';
import { MAX_CONNECTION_TOKEN_TTL_MS, signConnectionToken } from '../../connections/accessTokens';
import { registerAdminRoutes } from '../auth/bearer';
import { expectedHttpError, sendError } from '../errors';
import '../requestLog';
import { registerConnectRoutes } from './connect';

/** Answers a handler's error as JSON (`HttpError`s and known connection codes); rethrows anything else. */
export type RouteFailure = (reply: FastifyReply, error: unknown) => FastifyReply;

export interface ConnectionRouteDeps {
  config: JunctionConfig;
  connections: ConnectionsClient;
  /** HMAC key for `state` and connect sessions (a key is derived for each). */
  stateSecret: Uint8Array | string;
  /** The server's own base URL when `connections.publicUrl` is not set. */
  baseUrl: () => string;
  now: () => number;
  metrics?: JunctionMetrics;
}

const STATUS_BY_CODE: Partial<Record<JunctionErrorCode, number>> = {
  connection_not_found: 404,
  connection_exists: 409,
  needs_reauth: 409,
  connection_deleted: 410,
  refresh_failed: 502,
  connection_stuck: 503,
  state_used: 400,
  state_expired: 400,
  connect_session_used: 409,
};

function toHttp(error: unknown): HttpError | undefined {
  return expectedHttpError(error, STATUS_BY_CODE);
}

const str = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : undefined);

/** Per-mode credentials from a `POST /connections` body; 400 when one is missing. */
function credentialsFromBody(mode: string, body: Record<string, unknown>): ConnectionSecrets {
  const c = (typeof body.credentials === 'object' && body.credentials ? body.credentials : {}) as Record<
    string,
    unknown
  >;
  const need = (name: string) => {
    const value = str(c[name]);
    if (value === undefined)
      throw new HttpError(400, 'bad_request', `credentials.${name} is required for ${mode}`);
    return value;
  };
  switch (mode) {
    case 'api_key':
      return { apiKey: need('apiKey') };
    case 'basic':
      return { username: need('username'), password: typeof c.password === 'string' ? c.password : '' };
    case 'client_credentials':
      return {
        clientId: str(c.clientId),
        clientSecret: str(c.clientSecret),
        privateKey: str(c.privateKey),
        keyId: str(c.keyId),
      };
    case 'jwt_bearer':
      return {
        assertionIssuer: need('issuer'),
        assertionSubject: str(c.subject),
        assertionPrivateKey: need('privateKey'),
        assertionKeyId: str(c.keyId),
        clientId: str(c.clientId) ?? need('issuer'),
        clientSecret: str(c.clientSecret),
      };
    default:
      throw new HttpError(
        400,
        'unsupported_auth_mode',
        `connections for ${mode} providers are created through a connect link (POST /connect/sessions)`,
      );
  }
}

/**
 * Connection endpoints: the authorization-code flow (`/connect/sessions`, `/connect/:provider`,
 * `/oauth/callback`: see ./connect), and the admin-authenticated management API (`/connections…`).
 */
export function registerConnectionRoutes(app: FastifyInstance, deps: ConnectionRouteDeps) {
  const providers = new ProviderCatalogue(deps.config.providers);
  const settings = deps.config.connections;
  const fail: RouteFailure = (reply, error) => {
    if (error instanceof ConnectionStuckError) {
      // Nothing is lost (the workflow keeps its history), but it serves nothing until repaired: say so.
      deps.metrics?.connectionsStuck.inc();
      reply.request.log.error(
        { connectionId: error.connectionId, workflowTaskAttempt: error.workflowTaskAttempt },
        'connection workflow is stuck: its workflow task keeps failing',
      );
      Object.assign(reply.request.logFields, { outcome: 'rejected', code: error.code });
      return sendError(
        reply,
        new HttpError(503, error.code, error.message, {
          cause: error,
          headers: { 'retry-after': '60' },
          details: {
            connectionId: error.connectionId,
            state: 'stuck',
            workflowTaskAttempt: error.workflowTaskAttempt,
          },
        }),
      );
    }
    const http = toHttp(error);
    if (!http) throw error;
    Object.assign(reply.request.logFields, { outcome: 'rejected', code: http.code });
    return sendError(reply, http);
  };

  registerConnectRoutes(app, deps, providers, fail);

  registerAdminRoutes(
    app,
    () => deps.config.admin.apiKeys,
    (scope) => {
      scope.get<{ Querystring: { provider?: string; state?: string } }>('/connections', async (request) => {
        const rows = [];
        for await (const row of deps.connections.list({
          providerId: request.query.provider,
          state: request.query.state,
        }))
          rows.push(row);
        return { connections: rows };
      });

      scope.get<{ Params: { id: string } }>('/connections/:id', async (request, reply) => {
        try {
          return await deps.connections.status(request.params.id);
        } catch (error) {
          return fail(reply, error);
        }
      });

      scope.post<{ Body: Record<string, unknown> }>('/connections', async (request, reply) => {
        try {
          const body = request.body && typeof request.body === 'object' ? request.body : {};
          const connectionId = str(body.connectionId) ?? '';
          if (!CONNECTION_ID_PATTERN.test(connectionId)) {
            throw new HttpError(
              400,
              'bad_request',
              'connectionId must be 1-128 letters, digits, "_", ".", ":" or "-"',
            );
          }
          const provider = providers.get(str(body.providerId) ?? '');
          if (!provider)
            throw new HttpError(400, 'unknown_provider', `no provider "${String(body.providerId)}"`);
          const secrets = credentialsFromBody(provider.auth.mode, body);
          const scopes = Array.isArray(body.scopes)
            ? body.scopes.filter((s): s is string => typeof s === 'string')
            : 'scopes' in provider.auth
              ? provider.auth.scopes
              : [];
          const input: ConnectionWorkflowInput = {
            connectionId,
            providerId: provider.id,
            mode: provider.auth.mode,
            scopes,
            secrets,
            timing: refreshTiming(provider, settings),
            headerShape: headerShape(provider),
            apiBaseUrl: provider.apiBaseUrl,
          };
          Object.assign(request.logFields, { connectionId, provider: provider.id });
          const status = await deps.connections.create(input);
          return reply.code(201).send(status);
        } catch (error) {
          return fail(reply, error);
        }
      });

      scope.delete<{ Params: { id: string } }>('/connections/:id', async (request, reply) => {
        try {
          return await deps.connections.delete(request.params.id);
        } catch (error) {
          return fail(reply, error);
        }
      });

      scope.post<{ Params: { id: string } }>('/connections/:id/refresh', async (request, reply) => {
        try {
          return await deps.connections.refresh(request.params.id);
        } catch (error) {
          return fail(reply, error);
        }
      });

      // A token that may run actions for this connection only (`Authorization: Bearer <token>` on /actions).
      scope.post<{ Params: { id: string }; Body: { ttlSeconds?: unknown } | undefined }>(
        '/connections/:id/tokens',
        async (request, reply) => {
          try {
            const ttlSeconds = request.body?.ttlSeconds ?? 3_600;
            if (
              typeof ttlSeconds !== 'number' ||
              !Number.isInteger(ttlSeconds) ||
              ttlSeconds < 60 ||
              ttlSeconds * 1_000 > MAX_CONNECTION_TOKEN_TTL_MS
            ) {
              throw new HttpError(
                400,
                'bad_request',
                'ttlSeconds must be a whole number from 60 to 2592000 (30 days)',
              );
            }
            const status = await deps.connections.status(request.params.id);
            const issued = await signConnectionToken(
              status.connectionId,
              ttlSeconds * 1_000,
              deps.stateSecret,
              deps.now(),
            );
            Object.assign(request.logFields, { connectionId: status.connectionId, outcome: 'token_issued' });
            return await reply.code(201).send({ connectionId: status.connectionId, ...issued });
          } catch (error) {
            return fail(reply, error);
          }
        },
      );
    },
  );
}
