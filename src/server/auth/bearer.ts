import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { AuthError } from '../../shared/errors';
import { sendError } from '../errors';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Whether `presented` equals one of `accepted`, in time that does not depend on where they differ: both sides
 * are hashed to 32 bytes first, so `timingSafeEqual` always compares equal lengths, and every accepted key is
 * compared (no early exit that would tell which key matched).
 */
export function matchesAnyKey(presented: string, accepted: readonly string[]): boolean {
  const candidate = digest(presented);
  let match = false;
  for (const key of accepted) match = timingSafeEqual(candidate, digest(key)) || match;
  return match;
}

/** The token of an `Authorization: Bearer …` header (RFC 6750 §2.1), or undefined. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * An onRequest hook that admits only requests bearing one of `keys()` (read per request, so reloaded
 * configuration applies). Answers 401 `unauthorized` with `WWW-Authenticate: Bearer` otherwise; with no keys
 * configured every request is refused.
 */
export function bearerAuthHook(keys: () => readonly string[], realm = 'junction'): onRequestHookHandler {
  return (request: FastifyRequest, reply: FastifyReply, done) => {
    const token = bearerToken(request);
    const accepted = keys();
    if (token !== undefined && accepted.length > 0 && matchesAnyKey(token, accepted)) {
      done();
      return;
    }
    const message =
      accepted.length === 0
        ? 'no API keys are configured for this endpoint (admin.apiKeys)'
        : token === undefined
          ? 'send "Authorization: Bearer <admin API key>"'
          : 'the API key is not valid';
    Object.assign(request.logFields ?? {}, { outcome: 'unauthorized' });
    void sendError(reply, new AuthError('unauthorized', message), {
      headers: { 'www-authenticate': `Bearer realm="${realm}"` },
    });
  };
}

/**
 * Registers `routes` in an encapsulated scope behind admin bearer authentication. Management endpoints
 * (`/connections`, later `/actions`) all go through this one plugin.
 */
export function registerAdminRoutes(
  app: FastifyInstance,
  apiKeys: () => readonly string[],
  routes: (scope: FastifyInstance) => void | Promise<void>,
): void {
  void app.register(async (scope) => {
    scope.addHook('onRequest', bearerAuthHook(apiKeys, 'junction-admin'));
    await routes(scope);
  });
}
