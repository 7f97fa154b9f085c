import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { authorizationUrl, returnToAllowed, withQuery } from '../../oauth/authorizationUrl';
import { CONNECT_SESSION_TTL_MS, signConnectSession, verifyConnectSession } from '../../oauth/connectSession';
import { loadOAuth } from '../../oauth/lib';
import { STATE_TTL_MS, signState, verifyState } from '../../oauth/state';
import { CONNECTION_ID_PATTERN } from '../../shared/connectionContract';
import { OAuthError, RequestError } from '../../shared/errors';
import { registerAdminRoutes } from '../auth/bearer';
import { ADMIN_SECURITY, COMMON_CODES, connectionId, errorResponses, scopes } from '../schemas';
import '../requestLog';
import type { ConnectionRouteDeps } from './connectionAdmin';

const redirect = { description: 'a redirect (Location)', content: { 'text/plain': { schema: z.string() } } };

/**
 * The authorization-code flow: `POST /connect/sessions` (admin) issues a signed, single-use, ten-minute connect
 * link; `GET /connect/:provider` honours only such a link, for exactly the provider, connection id and
 * `returnTo` it was issued for, and redirects to the provider with a signed `state`; `GET /oauth/callback`
 * hands the provider's answer to the pending authorization and sends the browser back to `returnTo`.
 */
export function registerConnectRoutes(app: FastifyInstance, deps: ConnectionRouteDeps) {
  const connections = deps.junction.connections;
  const settings = deps.config.connections;
  const publicBase = () => (settings.publicUrl ?? deps.baseUrl()).replace(/\/$/, '');
  const redirectUri = () => `${publicBase()}/oauth/callback`;
  const checkReturnTo = (returnTo: string) => {
    if (!returnToAllowed(returnTo, settings.returnToAllowlist)) {
      throw new OAuthError('return_to_not_allowed', 'returnTo is not on connections.returnToAllowlist');
    }
  };

  registerAdminRoutes(
    app,
    () => deps.config.admin.apiKeys,
    (scope) => {
      scope.withTypeProvider<ZodTypeProvider>().post(
        '/connect/sessions',
        {
          schema: {
            tags: ['connections'],
            security: ADMIN_SECURITY,
            summary: 'Issue a connect link for one user (single use, ten minutes)',
            body: z.object({
              provider: z.string().describe('an authorization-code provider of the catalogue'),
              connectionId,
              returnTo: z.string().optional().describe('where the browser goes afterwards (allowlisted)'),
              scopes: scopes.optional(),
            }),
            response: {
              201: z.object({ url: z.string(), expiresAt: z.string() }),
              ...errorResponses({ method: 'POST', url: '/connect/sessions' }, [
                ...COMMON_CODES,
                'unauthorized',
                'unknown_provider',
                'unsupported_auth_mode',
                'return_to_not_allowed',
              ]),
            },
          },
        },
        async (request, reply) => {
          const { body } = request;
          const provider = connections.authorizationCodeProvider(body.provider);
          const returnTo = body.returnTo ?? '';
          checkReturnTo(returnTo);
          const now = deps.now();
          const session = await signConnectSession(
            {
              sessionId: randomUUID(),
              providerId: provider.id,
              connectionId: body.connectionId,
              returnTo,
              scopes: body.scopes,
            },
            deps.stateSecret,
            now,
          );
          Object.assign(request.logFields, {
            connectionId: body.connectionId,
            provider: provider.id,
            outcome: 'session_issued',
          });
          const url = withQuery(`${publicBase()}/connect/${encodeURIComponent(provider.id)}`, {
            connectionId: body.connectionId,
            returnTo,
            session,
          });
          return reply
            .code(201)
            .send({ url, expiresAt: new Date(now + CONNECT_SESSION_TTL_MS).toISOString() });
        },
      );
    },
  );

  app.withTypeProvider<ZodTypeProvider>().get(
    '/connect/:provider',
    {
      schema: {
        tags: ['connections'],
        summary: 'Open a connect link: redirects the browser to the provider',
        params: z.object({ provider: z.string() }),
        querystring: z.object({
          connectionId: z.string().optional(),
          returnTo: z.string().optional(),
          session: z.string().optional().describe('the signed connect session from POST /connect/sessions'),
        }),
        response: {
          302: redirect,
          ...errorResponses({ method: 'GET', url: '/connect/:provider' }, [
            ...COMMON_CODES,
            'unknown_provider',
            'unsupported_auth_mode',
            'connect_session_required',
            'invalid_connect_session',
            'connect_session_expired',
            'connect_session_mismatch',
            'connect_session_used',
            'return_to_not_allowed',
          ]),
        },
      },
    },
    async (request, reply) => {
      const provider = connections.authorizationCodeProvider(request.params.provider);
      const now = deps.now();
      const session = await verifyConnectSession(request.query.session, deps.stateSecret, now);
      const connectionId = request.query.connectionId ?? '';
      const returnTo = request.query.returnTo ?? '';
      const differs = [
        session.providerId !== provider.id && 'provider',
        session.connectionId !== connectionId && 'connectionId',
        session.returnTo !== returnTo && 'returnTo',
      ].filter(Boolean);
      if (differs.length > 0) {
        throw new OAuthError(
          'connect_session_mismatch',
          `this connect session was issued for another ${differs.join(' and ')}`,
        );
      }
      // Checked again: the allowlist may have changed since the session was issued.
      if (!CONNECTION_ID_PATTERN.test(connectionId)) {
        throw new RequestError(
          'bad_request',
          'connectionId must be 1-128 letters, digits, "_", ".", ":" or "-"',
        );
      }
      checkReturnTo(returnTo);
      const scopes = session.scopes ?? provider.auth.scopes;
      const lib = await loadOAuth();
      const codeVerifier = provider.auth.pkce ? lib.generateRandomCodeVerifier() : undefined;
      // The session's id names the pending authorization, so a second use of the link is refused by
      // Temporal's workflow id reuse policy (connect_session_used), with no table of spent sessions.
      const stateId = session.sessionId;
      await connections.beginAuthorization(provider.id, {
        stateId,
        connectionId,
        returnTo,
        redirectUri: redirectUri(),
        codeVerifier,
        scopes,
        expiresAt: now + STATE_TTL_MS,
      });
      const state = await signState(
        { stateId, connectionId, providerId: provider.id },
        deps.stateSecret,
        now,
      );
      Object.assign(request.logFields, { connectionId, provider: provider.id, outcome: 'redirected' });
      return reply.redirect(
        authorizationUrl(provider, {
          redirectUri: redirectUri(),
          scopes,
          state,
          codeChallenge: codeVerifier ? await lib.calculatePKCECodeChallenge(codeVerifier) : undefined,
        }),
        302,
      );
    },
  );

  app.withTypeProvider<ZodTypeProvider>().get(
    '/oauth/callback',
    {
      schema: {
        tags: ['connections'],
        summary: 'The provider’s redirect back: exchanges the code and sends the browser to returnTo',
        querystring: z.looseObject({
          state: z.string().optional(),
          code: z.string().optional(),
          error: z.string().optional(),
        }),
        response: {
          302: redirect,
          ...errorResponses({ method: 'GET', url: '/oauth/callback' }, [
            ...COMMON_CODES,
            'invalid_state',
            'state_expired',
            'state_used',
          ]),
        },
      },
    },
    async (request, reply) => {
      const state = request.query.state;
      if (!state) throw new OAuthError('invalid_state', 'the callback carries no state');
      const claims = await verifyState(state, deps.stateSecret, deps.now());
      Object.assign(request.logFields, { connectionId: claims.connectionId, provider: claims.providerId });
      const query = request.url.slice(request.url.indexOf('?') + 1);
      const outcome = await connections.completeAuthorization(claims.stateId, query);
      Object.assign(request.logFields, { outcome: outcome.status });
      const target =
        outcome.status === 'connected'
          ? withQuery(outcome.returnTo, { connection_id: outcome.connectionId, status: 'connected' })
          : withQuery(outcome.returnTo, {
              connection_id: outcome.connectionId,
              status: 'failed',
              error: outcome.error,
              error_description: outcome.description,
            });
      return reply.redirect(target, 302);
    },
  );
}
