import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { headerShape, refreshTiming } from '../../connections/input';
import { ConnectionError, OAuthError, RequestError } from '../../shared/errors';
import { CONNECT_SESSION_TTL_MS, signConnectSession, verifyConnectSession } from '../../oauth/connectSession';
import { loadOAuth } from '../../oauth/lib';
import { STATE_TTL_MS, signState, verifyState } from '../../oauth/state';
import type { ProviderCatalogue } from '../../providers/catalogue';
import type { OAuthAuth, ProviderDeclaration } from '../../providers/schema';
import { CONNECTION_ID_PATTERN } from '../../shared/connections';
import { registerAdminRoutes } from '../auth/bearer';
import '../requestLog';
import type { ConnectionRouteDeps } from './connections';

type AuthorizationCodeProvider = ProviderDeclaration & {
  auth: OAuthAuth & { mode: 'oauth2' };
  client: NonNullable<ProviderDeclaration['client']>;
};

/** `returnTo` must be on an allowlisted origin and under its path: no open redirect. */
export function returnToAllowed(returnTo: string, allowlist: readonly string[]): boolean {
  let target: URL;
  try {
    target = new URL(returnTo);
  } catch {
    return false;
  }
  return allowlist.some((entry) => {
    const allowed = new URL(entry);
    return target.origin === allowed.origin && target.pathname.startsWith(allowed.pathname);
  });
}

function withQuery(url: string, params: Record<string, string | undefined>): string {
  const target = new URL(url);
  for (const [key, value] of Object.entries(params))
    if (value !== undefined) target.searchParams.set(key, value);
  return target.toString();
}

const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+$/; // RFC 6749 §3.3 scope-token

/** The scopes of a `POST /connect/sessions` body: absent, or a list of RFC 6749 scope tokens. */
function scopesFromBody(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (
    !Array.isArray(value) ||
    value.length > 100 ||
    !value.every((s) => typeof s === 'string' && SCOPE.test(s))
  )
    throw new RequestError('bad_request', 'scopes must be a list of scope tokens (no spaces or quotes)');
  return value as string[];
}

/**
 * The authorization-code flow: `POST /connect/sessions` (admin) issues a signed, single-use, ten-minute connect
 * link; `GET /connect/:provider` honours only such a link, for exactly the provider, connection id and
 * `returnTo` it was issued for, and redirects to the provider with a signed `state`; `GET /oauth/callback`
 * hands the provider's answer to the pending authorization and sends the browser back to `returnTo`.
 */
export function registerConnectRoutes(
  app: FastifyInstance,
  deps: ConnectionRouteDeps,
  providers: ProviderCatalogue,
) {
  const settings = deps.config.connections;
  const publicBase = () => (settings.publicUrl ?? deps.baseUrl()).replace(/\/$/, '');
  const redirectUri = () => `${publicBase()}/oauth/callback`;

  const authorizationCodeProvider = (id: string): AuthorizationCodeProvider => {
    const provider = providers.get(id);
    if (!provider) throw new ConnectionError('unknown_provider', `no provider "${id}"`);
    if (provider.auth.mode !== 'oauth2') {
      throw new ConnectionError(
        'unsupported_auth_mode',
        `provider "${provider.id}" does not use the authorization-code flow`,
      );
    }
    if (!provider.client) {
      throw new ConnectionError(
        'unsupported_auth_mode',
        `provider "${provider.id}" has no OAuth client configured, so it cannot be connected`,
      );
    }
    return provider as AuthorizationCodeProvider;
  };
  const checkConnectionId = (connectionId: string) => {
    if (!CONNECTION_ID_PATTERN.test(connectionId)) {
      throw new RequestError(
        'bad_request',
        'connectionId must be 1-128 letters, digits, "_", ".", ":" or "-"',
      );
    }
  };
  const checkReturnTo = (returnTo: string) => {
    if (!returnToAllowed(returnTo, settings.returnToAllowlist)) {
      throw new OAuthError('return_to_not_allowed', 'returnTo is not on connections.returnToAllowlist');
    }
  };

  registerAdminRoutes(
    app,
    () => deps.config.admin.apiKeys,
    (scope) => {
      scope.post<{ Body: Record<string, unknown> }>('/connect/sessions', async (request, reply) => {
        const body = request.body && typeof request.body === 'object' ? request.body : {};
        const provider = authorizationCodeProvider(typeof body.provider === 'string' ? body.provider : '');
        const connectionId = typeof body.connectionId === 'string' ? body.connectionId : '';
        checkConnectionId(connectionId);
        const returnTo = typeof body.returnTo === 'string' ? body.returnTo : '';
        checkReturnTo(returnTo);
        const scopes = scopesFromBody(body.scopes);
        const now = deps.now();
        const session = await signConnectSession(
          { sessionId: randomUUID(), providerId: provider.id, connectionId, returnTo, scopes },
          deps.stateSecret,
          now,
        );
        Object.assign(request.logFields, {
          connectionId,
          provider: provider.id,
          outcome: 'session_issued',
        });
        const url = withQuery(`${publicBase()}/connect/${encodeURIComponent(provider.id)}`, {
          connectionId,
          returnTo,
          session,
        });
        return reply.code(201).send({ url, expiresAt: new Date(now + CONNECT_SESSION_TTL_MS).toISOString() });
      });
    },
  );

  app.get<{ Params: { provider: string }; Querystring: Record<string, string | undefined> }>(
    '/connect/:provider',
    async (request, reply) => {
      const provider = authorizationCodeProvider(request.params.provider);
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
      checkConnectionId(connectionId);
      checkReturnTo(returnTo);
      const scopes = session.scopes ?? provider.auth.scopes;
      const lib = await loadOAuth();
      const codeVerifier = provider.auth.pkce ? lib.generateRandomCodeVerifier() : undefined;
      // The session's id names the pending authorization, so a second use of the link is refused by
      // Temporal's workflow id reuse policy (connect_session_used), with no table of spent sessions.
      const stateId = session.sessionId;
      await deps.connections.startAuthorization({
        stateId,
        connectionId,
        providerId: provider.id,
        returnTo,
        redirectUri: redirectUri(),
        codeVerifier,
        scopes,
        expiresAt: now + STATE_TTL_MS,
        timing: refreshTiming(provider, settings),
        headerShape: headerShape(provider),
        apiBaseUrl: provider.apiBaseUrl,
      });
      const state = await signState(
        { stateId, connectionId, providerId: provider.id },
        deps.stateSecret,
        now,
      );
      const url = new URL(provider.auth.authorizationUrl);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('client_id', provider.client.clientId);
      url.searchParams.set('redirect_uri', redirectUri());
      if (scopes.length > 0) url.searchParams.set('scope', scopes.join(provider.auth.scopeSeparator));
      url.searchParams.set('state', state);
      if (codeVerifier) {
        url.searchParams.set('code_challenge', await lib.calculatePKCECodeChallenge(codeVerifier));
        url.searchParams.set('code_challenge_method', 'S256');
      }
      for (const [key, value] of Object.entries(provider.auth.authorizationParams))
        url.searchParams.set(key, value);
      Object.assign(request.logFields, { connectionId, provider: provider.id, outcome: 'redirected' });
      return reply.redirect(url.toString(), 302);
    },
  );

  app.get<{ Querystring: Record<string, string | undefined> }>('/oauth/callback', async (request, reply) => {
    const state = request.query.state;
    if (!state) throw new OAuthError('invalid_state', 'the callback carries no state');
    const claims = await verifyState(state, deps.stateSecret, deps.now());
    Object.assign(request.logFields, { connectionId: claims.connectionId, provider: claims.providerId });
    const query = request.url.slice(request.url.indexOf('?') + 1);
    const outcome = await deps.connections.completeAuthorization(claims.stateId, query);
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
  });
}
