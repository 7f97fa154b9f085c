import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { verifyConnectionToken } from '../../connections/accessTokens';
import { AuthError } from '../../shared/errors';
import { sendError } from '../errors';
import { bearerToken, matchesAnyKey } from './bearer';
import '../requestLog';

/** Who is calling: an operator or service with an admin key, or a holder of one connection's token. */
export type ActionPrincipal = { kind: 'admin' } | { kind: 'connection'; connectionId: string };

declare module 'fastify' {
  interface FastifyRequest {
    actionPrincipal?: ActionPrincipal;
  }
}

export interface ActionAuthDeps {
  /** Admin API keys, read per request (so reloaded configuration applies). */
  adminKeys: () => readonly string[];
  /** The key connection tokens are verified with; without it only admin keys are accepted. */
  stateSecret?: Uint8Array | string;
  now: () => number;
}

/** The principal a bearer token stands for, or undefined when it is neither an admin key nor a valid token. */
async function principalOf(
  token: string | undefined,
  deps: ActionAuthDeps,
): Promise<ActionPrincipal | undefined> {
  if (token === undefined) return undefined;
  const adminKeys = deps.adminKeys();
  if (adminKeys.length > 0 && matchesAnyKey(token, adminKeys)) return { kind: 'admin' };
  const connectionId = deps.stateSecret
    ? await verifyConnectionToken(token, deps.stateSecret, deps.now())
    : undefined;
  return connectionId === undefined ? undefined : { kind: 'connection', connectionId };
}

/** An onRequest hook that sets `request.actionPrincipal`, or answers 401 `unauthorized` with `WWW-Authenticate`. */
export function actionAuthHook(deps: ActionAuthDeps) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const principal = await principalOf(bearerToken(request), deps);
    if (principal !== undefined) {
      request.actionPrincipal = principal;
      return;
    }
    Object.assign(request.logFields, { outcome: 'unauthorized' });
    return sendError(
      reply,
      new AuthError('unauthorized', 'send "Authorization: Bearer <admin API key or connection token>"'),
      { headers: { 'www-authenticate': 'Bearer realm="junction-actions"' } },
    );
  };
}

/** Refuses (403 `forbidden`) a connection token used for another connection; an admin key acts for any. */
export function checkConnectionAccess(principal: ActionPrincipal | undefined, connectionId: string): void {
  if (principal?.kind === 'connection' && principal.connectionId !== connectionId) {
    throw new AuthError('forbidden', `this token is for connection "${principal.connectionId}" only`);
  }
}

/**
 * Registers `routes` in an encapsulated scope that admits an admin key or a connection's token (actions, the
 * change stream, writes to records), with `request.actionPrincipal` set for them to check.
 */
export function registerTokenRoutes(
  app: FastifyInstance,
  deps: Omit<ActionAuthDeps, 'adminKeys'> & { config: { admin: { apiKeys: readonly string[] } } },
  routes: (scope: FastifyInstance) => void | Promise<void>,
): void {
  const { config, stateSecret, now } = deps;
  void app.register(async (scope) => {
    scope.addHook('onRequest', actionAuthHook({ adminKeys: () => config.admin.apiKeys, stateSecret, now }));
    await routes(scope);
  });
}
