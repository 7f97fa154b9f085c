import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ActionOutcome } from '../../client/actionsClient';
import type { JunctionClient } from '../../client';
import type { JunctionConfig } from '../../config/schema';
import { verifyConnectionToken } from '../../connections/accessTokens';
import { AuthError, TemporalError, type JunctionCode } from '../../shared/errors';
import { bearerToken, matchesAnyKey } from '../auth/bearer';
import { sendError } from '../errors';
import { httpStatus } from '../errorStatus';
import { COMMON_CODES, errorBody, errorResponses } from '../schemas';
import '../requestLog';

/** Default and longest wait for an action's outcome before answering 202 with the run to poll. */
export const DEFAULT_ACTION_WAIT_MS = 10_000;
export const MAX_ACTION_WAIT_MS = 60_000;

const waitMs = z
  .string()
  .regex(/^\d+$/, `waitMs must be a whole number of milliseconds, at most ${MAX_ACTION_WAIT_MS}`)
  .transform(Number)
  .pipe(z.number().max(MAX_ACTION_WAIT_MS, `waitMs must be at most ${MAX_ACTION_WAIT_MS}`))
  .optional()
  .describe('how long to wait for the outcome before answering 202');

const providerResponse = z.looseObject({
  status: z.number().int(),
  headers: z.record(z.string(), z.string()),
  body: z.unknown(),
  attempt: z.number().int(),
});
const outcomes = {
  200: z.object({ status: z.literal('completed'), workflowId: z.string(), result: providerResponse }),
  202: z.object({ status: z.literal('running'), workflowId: z.string(), poll: z.string() }),
  502: errorBody(['action_failed']).extend({
    status: z.literal('failed'),
    workflowId: z.string(),
    error: z.looseObject({ type: z.string(), message: z.string(), status: z.number().optional() }),
  }),
};

const ERRORS: JunctionCode[] = [...COMMON_CODES, 'unauthorized', 'forbidden'];

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
      return reply.code(httpStatus('action_failed')).send({
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
    junction: JunctionClient;
    stateSecret?: Uint8Array | string;
    now: () => number;
  },
) {
  const actions = deps.junction.actions;
  void app.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      const token = bearerToken(request);
      if (
        token !== undefined &&
        deps.config.admin.apiKeys.length > 0 &&
        matchesAnyKey(token, deps.config.admin.apiKeys)
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
    const routes = scope.withTypeProvider<ZodTypeProvider>();
    const security: Array<Record<string, string[]>> = [{ adminKey: [] }, { connectionToken: [] }];

    routes.post(
      '/actions/:provider/:action',
      {
        schema: {
          tags: ['actions'],
          security,
          summary: 'Run a declared provider action durably',
          description:
            'The same Idempotency-Key (per provider and action) runs the action once; a later call gets that ' +
            'run’s outcome. A connection token may only name its own connection.',
          params: z.object({ provider: z.string(), action: z.string() }),
          querystring: z.object({ waitMs }),
          headers: z.looseObject({
            'idempotency-key': z
              .string()
              .regex(/^[\x21-\x7e]{1,200}$/, 'Idempotency-Key must be 1 to 200 printable ASCII characters')
              .optional(),
          }),
          body: z
            .object({
              connectionId: z.string().optional().describe('the connection to act for'),
              input: z.unknown().optional().describe('the action’s input, checked against its schema'),
            })
            .default({}),
          response: {
            ...outcomes,
            ...errorResponses({ method: 'POST', url: '/actions/:provider/:action' }, [
              ...ERRORS,
              'unknown_provider',
              'unknown_action',
              'connection_required',
              'connection_provider_mismatch',
              'invalid_input',
              'idempotency_key_reused',
            ]),
          },
        },
      },
      async (request, reply) => {
        let connectionId = request.body.connectionId;
        const principal = request.actionPrincipal;
        if (principal?.kind === 'connection') {
          if (connectionId !== undefined && connectionId !== principal.connectionId) {
            throw new AuthError('forbidden', `this token is for connection "${principal.connectionId}" only`);
          }
          connectionId = principal.connectionId;
        }
        const { workflowId } = await actions.start({
          providerId: request.params.provider,
          action: request.params.action,
          connectionId,
          input: request.body.input,
          idempotencyKey: request.headers['idempotency-key'],
        });
        return send(reply, await actions.outcome(workflowId, request.query.waitMs ?? DEFAULT_ACTION_WAIT_MS));
      },
    );

    routes.get(
      '/actions/runs/:workflowId',
      {
        schema: {
          tags: ['actions'],
          security,
          summary: 'An action run’s outcome (waits up to waitMs while it runs)',
          params: z.object({ workflowId: z.string() }),
          querystring: z.object({ waitMs }),
          response: {
            ...outcomes,
            ...errorResponses({ method: 'GET', url: '/actions/runs/:workflowId' }, [
              ...ERRORS,
              'workflow_not_found',
            ]),
          },
        },
      },
      async (request, reply) => {
        const { workflowId } = request.params;
        const notFound = new TemporalError('workflow_not_found', `no action run "${workflowId}"`);
        if (!workflowId.startsWith('action:')) throw notFound;
        const principal = request.actionPrincipal;
        // A connection's token sees that connection's runs only; others look like they do not exist.
        if (
          principal?.kind === 'connection' &&
          (await actions.connectionOf(workflowId)) !== principal.connectionId
        ) {
          throw notFound;
        }
        return send(reply, await actions.outcome(workflowId, request.query.waitMs ?? 0));
      },
    );
  });
}
