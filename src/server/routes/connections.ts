import type { FastifyInstance } from 'fastify';
import { ConnectionStuckError, ConnectionsClient } from '../../client/connections';
import type { JunctionMetrics } from '../../metrics/registry';
import type { JunctionConfig } from '../../config/schema';
import { headerShape, refreshTiming } from '../../connections/input';
import { ConnectionError, RequestError } from '../../shared/errors';
import { ProviderCatalogue } from '../../providers/catalogue';
import {
  CONNECTION_ID_PATTERN,
  type ConnectionSecrets,
  type ConnectionWorkflowInput,
} from '../../shared/connections';
import { MAX_CONNECTION_TOKEN_TTL_MS, signConnectionToken } from '../../connections/accessTokens';
import { registerAdminRoutes } from '../auth/bearer';
import '../requestLog';
import { registerConnectRoutes } from './connect';

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
      throw new RequestError('bad_request', `credentials.${name} is required for ${mode}`);
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
      throw new ConnectionError(
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
  // A stuck connection loses nothing, but serves nothing until repaired: it is logged and counted.
  app.addHook('onError', async (request, _reply, error) => {
    if (!(error instanceof ConnectionStuckError)) return;
    deps.metrics?.connectionsStuck.inc();
    request.log.error(
      { connectionId: error.connectionId, workflowTaskAttempt: error.workflowTaskAttempt },
      'connection workflow is stuck: its workflow task keeps failing',
    );
  });

  registerConnectRoutes(app, deps, providers);

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

      scope.get<{ Params: { id: string } }>('/connections/:id', async (request) => {
        return await deps.connections.status(request.params.id);
      });

      scope.post<{ Body: Record<string, unknown> }>('/connections', async (request, reply) => {
        const body = request.body && typeof request.body === 'object' ? request.body : {};
        const connectionId = str(body.connectionId) ?? '';
        if (!CONNECTION_ID_PATTERN.test(connectionId)) {
          throw new RequestError(
            'bad_request',
            'connectionId must be 1-128 letters, digits, "_", ".", ":" or "-"',
          );
        }
        const provider = providers.get(str(body.providerId) ?? '');
        if (!provider)
          throw new ConnectionError('unknown_provider', `no provider "${String(body.providerId)}"`);
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
      });

      scope.delete<{ Params: { id: string } }>('/connections/:id', async (request) => {
        return await deps.connections.delete(request.params.id);
      });

      scope.post<{ Params: { id: string } }>('/connections/:id/refresh', async (request) => {
        return await deps.connections.refresh(request.params.id);
      });

      // A token that may run actions for this connection only (`Authorization: Bearer <token>` on /actions).
      scope.post<{ Params: { id: string }; Body: { ttlSeconds?: unknown } | undefined }>(
        '/connections/:id/tokens',
        async (request, reply) => {
          const ttlSeconds = request.body?.ttlSeconds ?? 3_600;
          if (
            typeof ttlSeconds !== 'number' ||
            !Number.isInteger(ttlSeconds) ||
            ttlSeconds < 60 ||
            ttlSeconds * 1_000 > MAX_CONNECTION_TOKEN_TTL_MS
          ) {
            throw new RequestError(
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
        },
      );
    },
  );
}
