import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ActionOutcome, ActionsClient } from '../../client/actionsClient';
import type { JunctionClient } from '../../client';
import type { JunctionConfig } from '../../config/schema';
import { TemporalError, type JunctionCode } from '../../shared/errors';
import { checkConnectionAccess, registerTokenRoutes, type ActionPrincipal } from '../auth/actionPrincipal';
import { httpStatus } from '../errorStatus';
import { ACTION_SECURITY, COMMON_CODES, errorBody, errorResponses } from '../schemas';
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

const runActionSchema = {
  tags: ['actions'],
  security: ACTION_SECURITY,
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
      'destination_not_allowed',
    ]),
  },
};

const actionRunSchema = {
  tags: ['actions'],
  security: ACTION_SECURITY,
  summary: 'An action run’s outcome (waits up to waitMs while it runs)',
  params: z.object({ workflowId: z.string() }),
  querystring: z.object({ waitMs }),
  response: {
    ...outcomes,
    ...errorResponses({ method: 'GET', url: '/actions/runs/:workflowId' }, [
      ...ERRORS,
      'workflow_not_found',
      'destination_not_allowed',
    ]),
  },
};

/**
 * Answers an outcome: 200 completed, 202 running (with the run to poll), or the failure as `action_failed`;
 * a destination the network policy refused is Junction's refusal, not the provider's failure, and is
 * answered as `destination_not_allowed` (403).
 */
function answerOutcome(reply: FastifyReply, outcome: ActionOutcome): FastifyReply {
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
      if (outcome.error.type === 'destination_not_allowed') {
        return reply.code(httpStatus('destination_not_allowed')).send({
          code: 'destination_not_allowed',
          message: outcome.error.message,
          ...outcome,
        });
      }
      return reply.code(httpStatus('action_failed')).send({
        code: 'action_failed',
        message: `the action failed: ${outcome.error.message}`,
        ...outcome,
      });
  }
}

/** The connection an action runs for: a connection token acts for its own connection, and may name no other. */
function actingConnection(principal: ActionPrincipal | undefined, requested: string | undefined) {
  if (principal?.kind !== 'connection') return requested;
  if (requested !== undefined) checkConnectionAccess(principal, requested);
  return principal.connectionId;
}

/** Refuses a run that is not an action, or (for a connection token) another connection's: both look absent. */
async function assertRunVisible(
  actions: ActionsClient,
  workflowId: string,
  principal: ActionPrincipal | undefined,
): Promise<void> {
  const notFound = new TemporalError('workflow_not_found', `no action run "${workflowId}"`);
  if (!workflowId.startsWith('action:')) throw notFound;
  if (
    principal?.kind === 'connection' &&
    (await actions.connectionOf(workflowId)) !== principal.connectionId
  ) {
    throw notFound;
  }
}

function registerRunAction(scope: FastifyInstance, actions: ActionsClient) {
  scope
    .withTypeProvider<ZodTypeProvider>()
    .post('/actions/:provider/:action', { schema: runActionSchema }, async (request, reply) => {
      const { workflowId } = await actions.start({
        providerId: request.params.provider,
        action: request.params.action,
        connectionId: actingConnection(request.actionPrincipal, request.body.connectionId),
        input: request.body.input,
        idempotencyKey: request.headers['idempotency-key'],
      });
      const waitMs = request.query.waitMs ?? DEFAULT_ACTION_WAIT_MS;
      return answerOutcome(reply, await actions.outcome(workflowId, waitMs));
    });
}

function registerActionRun(scope: FastifyInstance, actions: ActionsClient) {
  scope
    .withTypeProvider<ZodTypeProvider>()
    .get('/actions/runs/:workflowId', { schema: actionRunSchema }, async (request, reply) => {
      const { workflowId } = request.params;
      await assertRunVisible(actions, workflowId, request.actionPrincipal);
      return answerOutcome(reply, await actions.outcome(workflowId, request.query.waitMs ?? 0));
    });
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
  registerTokenRoutes(app, deps, (scope) => {
    registerRunAction(scope, deps.junction.actions);
    registerActionRun(scope, deps.junction.actions);
  });
}
