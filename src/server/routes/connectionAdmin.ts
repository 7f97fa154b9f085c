import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ConnectionStuckError, type ConnectionsClient } from '../../client/connectionsClient';
import { MAX_CONNECTION_TOKEN_TTL_MS, signConnectionToken } from '../../connections/accessTokens';
import { identifier } from '../../config/primitives';
import type { JunctionMetrics } from '../../metrics/registry';
import type { JunctionCode } from '../../shared/errors';
import { registerAdminRoutes } from '../auth/bearer';
import {
  ADMIN_SECURITY,
  COMMON_CODES,
  connectionId,
  connectionParams,
  connectionStatus,
  errorResponses,
  scopes,
} from '../schemas';
import '../requestLog';
import type { ConnectionRouteDeps } from './connectionDeps';

/** Codes every route on one connection can answer. */
const ON_CONNECTION: JunctionCode[] = [
  ...COMMON_CODES,
  'unauthorized',
  'connection_not_found',
  'connection_stuck',
];

const credentials = z
  .object({
    apiKey: z.string(),
    username: z.string(),
    password: z.string(),
    clientId: z.string(),
    clientSecret: z.string(),
    privateKey: z.string().describe('PKCS#8 PEM (private_key_jwt, or the JWT bearer assertion key)'),
    keyId: z.string(),
    issuer: z.string().describe('JWT bearer: the assertion issuer (a service account)'),
    subject: z.string().describe('JWT bearer: the user to act as'),
  })
  .partial()
  .describe('what the provider’s auth mode needs: apiKey; username/password; client credentials; JWT bearer');

const idParams = z.object({ id: z.string().describe('the connection id') });

/** What every management route shares in the OpenAPI document. */
const managementRoute = { tags: ['connections'], security: ADMIN_SECURITY };

const listConnectionsSchema = {
  ...managementRoute,
  summary: 'List running connections (from their memos: no worker needed)',
  querystring: z.object({
    provider: identifier.optional().describe('only this provider'),
    state: connectionStatus.shape.state.optional().describe('only this state, e.g. needs_reauth'),
  }),
  response: {
    200: z.object({
      connections: z.array(
        connectionStatus.partial().extend({ connectionId: z.string(), providerId: z.string() }),
      ),
    }),
    ...errorResponses({ method: 'GET', url: '/connections' }, [...COMMON_CODES, 'unauthorized']),
  },
};

const connectionStatusSchema = {
  ...managementRoute,
  summary: 'A connection’s state, scopes, expiry horizon and last refresh (never a secret)',
  params: idParams,
  response: {
    200: connectionStatus,
    ...errorResponses({ method: 'GET', url: '/connections/:id' }, ON_CONNECTION),
  },
};

const createConnectionSchema = {
  ...managementRoute,
  summary: 'Create a connection from credentials you hold (API key, basic, client credentials, JWT bearer)',
  description:
    'Authorization-code providers connect through a connect link instead (POST /connect/sessions). ' +
    'Answers once the first token is in place.',
  body: z.object({
    connectionId,
    providerId: z.string().describe('a provider of the catalogue'),
    credentials: credentials.optional(),
    scopes: scopes.optional(),
    params: connectionParams.optional(),
  }),
  response: {
    201: connectionStatus,
    ...errorResponses({ method: 'POST', url: '/connections' }, [
      ...COMMON_CODES,
      'unauthorized',
      'unknown_provider',
      'unsupported_auth_mode',
      'invalid_connection_params',
      'connection_exists',
      'invalid_grant',
      'token_request_rejected',
      'refresh_failed',
    ]),
  },
};

const deleteConnectionSchema = {
  ...managementRoute,
  summary: 'Revoke at the provider (RFC 7009) and end the connection',
  params: idParams,
  response: {
    200: connectionStatus,
    ...errorResponses({ method: 'DELETE', url: '/connections/:id' }, [
      ...ON_CONNECTION,
      'connection_deleted',
    ]),
  },
};

const refreshConnectionSchema = {
  ...managementRoute,
  summary: 'Refresh the token now',
  params: idParams,
  response: {
    200: connectionStatus,
    ...errorResponses({ method: 'POST', url: '/connections/:id/refresh' }, [
      ...ON_CONNECTION,
      'needs_reauth',
      'connection_deleted',
      'refresh_failed',
    ]),
  },
};

const issueTokenSchema = {
  ...managementRoute,
  summary: 'Issue a token that runs actions for this connection only',
  params: idParams,
  body: z
    .object({
      ttlSeconds: z
        .number()
        .int()
        .min(60)
        .max(MAX_CONNECTION_TOKEN_TTL_MS / 1_000)
        .default(3_600)
        .describe('lifetime, 60 s to 30 days'),
    })
    .default({ ttlSeconds: 3_600 }),
  response: {
    201: z.object({ connectionId: z.string(), token: z.string(), expiresAt: z.string() }),
    ...errorResponses({ method: 'POST', url: '/connections/:id/tokens' }, ON_CONNECTION),
  },
};

/** A stuck connection loses nothing, but serves nothing until repaired: it is logged and counted. */
function reportStuckConnections(metrics: JunctionMetrics | undefined) {
  return async (request: FastifyRequest, _reply: FastifyReply, error: FastifyError) => {
    if (!(error instanceof ConnectionStuckError)) return;
    metrics?.connectionsStuck.inc();
    request.log.error(
      { connectionId: error.connectionId, workflowTaskAttempt: error.workflowTaskAttempt },
      'connection workflow is stuck: its workflow task keeps failing',
    );
  };
}

function registerListConnections(scope: FastifyInstance, connections: ConnectionsClient) {
  scope
    .withTypeProvider<ZodTypeProvider>()
    .get('/connections', { schema: listConnectionsSchema }, async (request) => {
      const rows = [];
      const filter = { providerId: request.query.provider, state: request.query.state };
      for await (const row of connections.list(filter)) rows.push(row);
      return { connections: rows };
    });
}

function registerConnectionStatus(scope: FastifyInstance, connections: ConnectionsClient) {
  scope
    .withTypeProvider<ZodTypeProvider>()
    .get('/connections/:id', { schema: connectionStatusSchema }, async (request) =>
      connections.status(request.params.id),
    );
}

function registerCreateConnection(scope: FastifyInstance, connections: ConnectionsClient) {
  scope
    .withTypeProvider<ZodTypeProvider>()
    .post('/connections', { schema: createConnectionSchema }, async (request, reply) => {
      Object.assign(request.logFields, {
        connectionId: request.body.connectionId,
        provider: request.body.providerId,
      });
      return reply.code(201).send(await connections.createFromRequest(request.body));
    });
}

function registerDeleteConnection(scope: FastifyInstance, connections: ConnectionsClient) {
  scope
    .withTypeProvider<ZodTypeProvider>()
    .delete('/connections/:id', { schema: deleteConnectionSchema }, async (request) =>
      connections.delete(request.params.id),
    );
}

function registerRefreshConnection(scope: FastifyInstance, connections: ConnectionsClient) {
  scope
    .withTypeProvider<ZodTypeProvider>()
    .post('/connections/:id/refresh', { schema: refreshConnectionSchema }, async (request) =>
      connections.refresh(request.params.id),
    );
}

/** A token that may run actions for this connection only (`Authorization: Bearer <token>` on /actions). */
function registerIssueConnectionToken(scope: FastifyInstance, deps: ConnectionRouteDeps) {
  scope
    .withTypeProvider<ZodTypeProvider>()
    .post('/connections/:id/tokens', { schema: issueTokenSchema }, async (request, reply) => {
      const status = await deps.junction.connections.status(request.params.id);
      const ttlMs = request.body.ttlSeconds * 1_000;
      const issued = await signConnectionToken(status.connectionId, ttlMs, deps.stateSecret, deps.now());
      Object.assign(request.logFields, { connectionId: status.connectionId, outcome: 'token_issued' });
      return reply.code(201).send({ connectionId: status.connectionId, ...issued });
    });
}

/**
 * Connection endpoints: the authorization-code flow (`/connect/sessions`, `/connect/:provider`,
 * `/oauth/callback`: see ./connectFlow), and the admin-authenticated management API (`/connections…`).
 */
export function registerConnectionRoutes(app: FastifyInstance, deps: ConnectionRouteDeps) {
  const connections = deps.junction.connections;
  app.addHook('onError', reportStuckConnections(deps.metrics));

  registerAdminRoutes(
    app,
    () => deps.config.admin.apiKeys,
    (scope) => {
      registerListConnections(scope, connections);
      registerConnectionStatus(scope, connections);
      registerCreateConnection(scope, connections);
      registerDeleteConnection(scope, connections);
      registerRefreshConnection(scope, connections);
      registerIssueConnectionToken(scope, deps);
    },
  );
}
