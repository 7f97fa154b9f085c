import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuthorizationCodeProvider } from '../../client/connectionsClient';
import { authorizationUrl, returnToAllowed, withQuery } from '../../oauth/authorizationUrl';
import {
  CONNECT_SESSION_TTL_MS,
  signConnectSession,
  verifyConnectSession,
  type ConnectSessionClaims,
} from '../../oauth/connectSession';
import { loadOAuth } from '../../oauth/lib';
import { resolveProvider } from '../../providers/resolve';
import { STATE_TTL_MS, signState, verifyState } from '../../oauth/state';
import { CONNECTION_ID_PATTERN, type AuthorizationOutcome } from '../../shared/connectionContract';
import { OAuthError, RequestError } from '../../shared/errors';
import { registerAdminRoutes } from '../auth/bearer';
import {
  ADMIN_SECURITY,
  COMMON_CODES,
  CONNECTION_ID_RULE,
  connectionId,
  connectionParams,
  errorResponses,
  scopes,
} from '../schemas';
import '../requestLog';
import type { ConnectionRouteDeps } from './connectionDeps';
import { connectSessionParams } from './reconnectParams';

const redirect = { description: 'a redirect (Location)', content: { 'text/plain': { schema: z.string() } } };

const connectSessionSchema = {
  tags: ['connections'],
  security: ADMIN_SECURITY,
  summary: 'Issue a connect link for one user (single use, ten minutes)',
  body: z.object({
    provider: z.string().describe('an authorization-code provider of the catalogue'),
    connectionId,
    returnTo: z.string().optional().describe('where the browser goes afterwards (allowlisted)'),
    scopes: scopes.optional(),
    params: connectionParams.optional(),
  }),
  response: {
    201: z.object({ url: z.string(), expiresAt: z.string() }),
    ...errorResponses({ method: 'POST', url: '/connect/sessions' }, [
      ...COMMON_CODES,
      'unauthorized',
      'unknown_provider',
      'unsupported_auth_mode',
      'invalid_connection_params',
      'connection_params_differ',
      'connection_stuck',
      'return_to_not_allowed',
      'destination_not_allowed',
    ]),
  },
};

const connectLinkSchema = {
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
};

const oauthCallbackSchema = {
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
};

/** What a connect link was opened for: its provider, connection id and `returnTo`. */
interface ConnectLink {
  provider: AuthorizationCodeProvider;
  connectionId: string;
  returnTo: string;
}

/** Where browsers and providers reach this server: `connections.publicUrl`, else its own address. */
function publicBase(deps: ConnectionRouteDeps): string {
  return (deps.config.connections.publicUrl ?? deps.baseUrl()).replace(/\/$/, '');
}

/** Refuses a `returnTo` outside `connections.returnToAllowlist`: no open redirect. */
function checkReturnTo(deps: ConnectionRouteDeps, returnTo: string): void {
  if (!returnToAllowed(returnTo, deps.config.connections.returnToAllowlist)) {
    throw new OAuthError('return_to_not_allowed', 'returnTo is not on connections.returnToAllowlist');
  }
}

/** Admits a link only for exactly the provider, connection id and `returnTo` its session was issued for. */
function checkLink(deps: ConnectionRouteDeps, session: ConnectSessionClaims, link: ConnectLink): void {
  const differs = [
    session.providerId !== link.provider.id && 'provider',
    session.connectionId !== link.connectionId && 'connectionId',
    session.returnTo !== link.returnTo && 'returnTo',
  ].filter(Boolean);
  if (differs.length > 0) {
    throw new OAuthError(
      'connect_session_mismatch',
      `this connect session was issued for another ${differs.join(' and ')}`,
    );
  }
  // Checked again when the link is used: the allowlist may have changed since the session was issued.
  if (!CONNECTION_ID_PATTERN.test(link.connectionId)) {
    throw new RequestError('bad_request', CONNECTION_ID_RULE);
  }
  checkReturnTo(deps, link.returnTo);
}

/**
 * Starts the pending authorization (named by the session's id, so a second use of the link is refused by
 * Temporal's workflow id reuse policy as `connect_session_used`, with no table of spent sessions) and
 * returns the provider's authorization URL, with a signed `state` and the PKCE challenge where used.
 */
async function beginAuthorization(
  deps: ConnectionRouteDeps,
  session: ConnectSessionClaims,
  { provider, connectionId, returnTo }: ConnectLink,
  now: number,
): Promise<string> {
  const scopes = session.scopes ?? provider.auth.scopes;
  // The session's parameters were checked when it was issued; the same check fills the URLs now.
  const tenant = resolveProvider(provider, session.params);
  const lib = await loadOAuth();
  const codeVerifier = provider.auth.pkce ? lib.generateRandomCodeVerifier() : undefined;
  const stateId = session.sessionId;
  const redirectUri = `${publicBase(deps)}/oauth/callback`;
  await deps.junction.connections.beginAuthorization(provider.id, {
    stateId,
    connectionId,
    returnTo,
    redirectUri,
    codeVerifier,
    scopes,
    params: session.params,
    expiresAt: now + STATE_TTL_MS,
  });
  const state = await signState({ stateId, connectionId, providerId: provider.id }, deps.stateSecret, now);
  return authorizationUrl(tenant, {
    redirectUri,
    scopes,
    state,
    codeChallenge: codeVerifier ? await lib.calculatePKCECodeChallenge(codeVerifier) : undefined,
  });
}

/** Where the browser goes after the callback: its `returnTo`, with the outcome in the query. */
function returnTarget(outcome: AuthorizationOutcome): string {
  return outcome.status === 'connected'
    ? withQuery(outcome.returnTo, { connection_id: outcome.connectionId, status: 'connected' })
    : withQuery(outcome.returnTo, {
        connection_id: outcome.connectionId,
        status: 'failed',
        error: outcome.error,
        error_description: outcome.description,
      });
}

function registerConnectSessions(scope: FastifyInstance, deps: ConnectionRouteDeps) {
  scope
    .withTypeProvider<ZodTypeProvider>()
    .post('/connect/sessions', { schema: connectSessionSchema }, async (request, reply) => {
      const { body } = request;
      const provider = deps.junction.connections.authorizationCodeProvider(body.provider);
      const returnTo = body.returnTo ?? '';
      checkReturnTo(deps, returnTo);
      const params = await connectSessionParams(
        deps.junction.connections,
        provider,
        body.connectionId,
        body.params,
      );
      // The browser is sent there with the outcome: a private or loopback address needs allowlisting too.
      await deps.outbound.checkRedirectTarget(returnTo);
      const now = deps.now();
      const session = await signConnectSession(
        {
          sessionId: randomUUID(),
          providerId: provider.id,
          connectionId: body.connectionId,
          returnTo,
          scopes: body.scopes,
          params,
        },
        deps.stateSecret,
        now,
      );
      Object.assign(request.logFields, {
        connectionId: body.connectionId,
        provider: provider.id,
        outcome: 'session_issued',
      });
      const url = withQuery(`${publicBase(deps)}/connect/${encodeURIComponent(provider.id)}`, {
        connectionId: body.connectionId,
        returnTo,
        session,
      });
      return reply.code(201).send({ url, expiresAt: new Date(now + CONNECT_SESSION_TTL_MS).toISOString() });
    });
}

function registerConnectLink(app: FastifyInstance, deps: ConnectionRouteDeps) {
  app
    .withTypeProvider<ZodTypeProvider>()
    .get('/connect/:provider', { schema: connectLinkSchema }, async (request, reply) => {
      const provider = deps.junction.connections.authorizationCodeProvider(request.params.provider);
      const now = deps.now();
      const session = await verifyConnectSession(request.query.session, deps.stateSecret, now);
      const link = {
        provider,
        connectionId: request.query.connectionId ?? '',
        returnTo: request.query.returnTo ?? '',
      };
      checkLink(deps, session, link);
      const target = await beginAuthorization(deps, session, link, now);
      Object.assign(request.logFields, {
        connectionId: link.connectionId,
        provider: provider.id,
        outcome: 'redirected',
      });
      return reply.redirect(target, 302);
    });
}

function registerOAuthCallback(app: FastifyInstance, deps: ConnectionRouteDeps) {
  app
    .withTypeProvider<ZodTypeProvider>()
    .get('/oauth/callback', { schema: oauthCallbackSchema }, async (request, reply) => {
      const state = request.query.state;
      if (!state) throw new OAuthError('invalid_state', 'the callback carries no state');
      const claims = await verifyState(state, deps.stateSecret, deps.now());
      Object.assign(request.logFields, { connectionId: claims.connectionId, provider: claims.providerId });
      const query = request.url.slice(request.url.indexOf('?') + 1);
      const outcome = await deps.junction.connections.completeAuthorization(claims.stateId, query);
      Object.assign(request.logFields, { outcome: outcome.status });
      return reply.redirect(returnTarget(outcome), 302);
    });
}

/**
 * The authorization-code flow: `POST /connect/sessions` (admin) issues a signed, single-use, ten-minute connect
 * link; `GET /connect/:provider` honours only such a link, for exactly the provider, connection id and
 * `returnTo` it was issued for, and redirects to the provider with a signed `state`; `GET /oauth/callback`
 * hands the provider's answer to the pending authorization and sends the browser back to `returnTo`.
 */
export function registerConnectRoutes(app: FastifyInstance, deps: ConnectionRouteDeps) {
  registerAdminRoutes(
    app,
    () => deps.config.admin.apiKeys,
    (scope) => registerConnectSessions(scope, deps),
  );
  registerConnectLink(app, deps);
  registerOAuthCallback(app, deps);
}
