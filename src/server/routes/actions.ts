import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ActionOutcome, ActionsClient } from '../../client/actions';
import type { JunctionConfig } from '../../config/schema';
import { AuthError, RequestError, TemporalError } from '../../shared/errors';
import { verifyConnectionToken } from '../../connections/accessTokens';
import { bearerToken, matchesAnyKey } from '../auth/bearer';
import { sendError } from '../errors';
import '../requestLog';

/** Default and longest wait for an action's outcome before answering 202 with the run to poll. */
export const DEFAULT_ACTION_WAIT_MS = 10_000;
export const MAX_ACTION_WAIT_MS = 60_000;

function waitMs(raw: unknown): number {
  if (raw === undefined) return DEFAULT_ACTION_WAIT_MS;
  const value = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || value > MAX_ACTION_WAIT_MS) {
    throw new RequestError(
      'bad_request',
      `waitMs must be a whole number of milliseconds, at most ${MAX_ACTION_WAIT_MS}`,
    );
  }
  return value;
}

function send(reply: FastifyReply, outcome: ActionOutcome): FastifyReply {
  Object.assign(reply.request.logFields, { workflowId: outcome.workflowId, outcome: outcome.status });
  const poll = `/actions/runs/${encodeURIComponent(outcome.workflowId)}`;
  switch (outcome.status) {
    case 'completed':
      return reply.code(200).send(outcome);
    case 'running':
      return reply
        .code(202)
        .header('location', poll)
        .send({ ...outcome, poll });
    case 'failed':
      return reply.code(502).send({
        code: 'action_failed',
        message: `the action failed: ${outcome.error.message}`,
        ...outcome,
      });
  }
}

/** Who is calling: an operator or service with an admin key, or a holder of one connection's token. */
type Principal = { kind: 'admin' } | { kind: 'connection'; connectionId: string };

declare module 'fastify' {
  interface FastifyRequest {
    actionPrincipal?: Principal;
  }
}

/**
 * Durable actions over HTTP, for an admin key or a connection-scoped token (`POST /connections/:id/tokens`,
 * good for that connection's actions only):
 * `POST /actions/:provider/:action` `{ connectionId, input }` (header `Idempotency-Key`; `?waitMs=`) runs the
 * action as a workflow and answers its outcome (200), its failure (502) or, when it outlasts the wait, 202
 * with the run to poll at `GET /actions/runs/:workflowId`.
 */
export function registerActionRoutes(
  app: FastifyInstance,
  deps: {
    config: JunctionConfig;
    actions: ActionsClient;
    stateSecret?: Uint8Array | string;
    now: () => number;
  },
) {
  void app.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      const token = bearerToken(request);
      if (
        token !== undefined &&
        matchesAnyKey(token, deps.config.admin.apiKeys) &&
        deps.config.admin.apiKeys.length > 0
      ) {
        request.actionPrincipal = { kind: 'admin' };
        return;
      }
      const connectionId =
        token !== undefined && deps.stateSecret
          ? await verifyConnectionToken(token, deps.stateSecret, deps.now())
          : undefined;
      if (connectionId !== undefined) {
        request.actionPrincipal = { kind: 'connection', connectionId };
        return;
      }
      Object.assign(request.logFields, { outcome: 'unauthorized' });
      return sendError(
        reply,
        new AuthError('unauthorized', 'send "Authorization: Bearer <admin API key or connection token>"'),
        { headers: { 'www-authenticate': 'Bearer realm="junction-actions"' } },
      );
    });

    scope.post<{
      Params: { provider: string; action: string };
      Querystring: { waitMs?: string };
      Body: { connectionId?: unknown; input?: unknown } | undefined;
    }>('/actions/:provider/:action', async (request, reply) => {
      const body = request.body ?? {};
      if (typeof body !== 'object' || Array.isArray(body)) {
        throw new RequestError('bad_request', 'the body must be a JSON object { connectionId, input }');
      }
      if (body.connectionId !== undefined && typeof body.connectionId !== 'string') {
        throw new RequestError('bad_request', 'connectionId must be a string');
      }
      let connectionId = body.connectionId;
      const principal = request.actionPrincipal;
      if (principal?.kind === 'connection') {
        if (connectionId !== undefined && connectionId !== principal.connectionId) {
          throw new AuthError('forbidden', `this token is for connection "${principal.connectionId}" only`);
        }
        connectionId = principal.connectionId;
      }
      const key = request.headers['idempotency-key'];
      const wait = waitMs(request.query.waitMs);
      const { workflowId } = await deps.actions.start({
        providerId: request.params.provider,
        action: request.params.action,
        connectionId,
        input: body.input,
        idempotencyKey: typeof key === 'string' ? key : undefined,
      });
      return send(reply, await deps.actions.outcome(workflowId, wait));
    });

    scope.get<{ Params: { workflowId: string }; Querystring: { waitMs?: string } }>(
      '/actions/runs/:workflowId',
      async (request, reply) => {
        const { workflowId } = request.params;
        const notFound = new TemporalError('workflow_not_found', `no action run "${workflowId}"`);
        if (!workflowId.startsWith('action:')) throw notFound;
        const principal = request.actionPrincipal;
        // A connection's token sees that connection's runs only; others look like they do not exist.
        if (
          principal?.kind === 'connection' &&
          (await deps.actions.connectionOf(workflowId)) !== principal.connectionId
        ) {
          throw notFound;
        }
        const wait = request.query.waitMs === undefined ? 0 : waitMs(request.query.waitMs);
        return send(reply, await deps.actions.outcome(workflowId, wait));
      },
    );
  });
}
