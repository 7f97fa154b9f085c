import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ConnectionsClient } from '../../client/connections';
import type { JunctionConfig } from '../../config/schema';
import { headerShape, refreshTiming } from '../../connections/input';
import { HttpError, JunctionError } from '../../errors';
import { loadOAuth } from '../../oauth/lib';
import { STATE_TTL_MS, signState, verifyState } from '../../oauth/state';
import { ProviderCatalogue } from '../../providers/catalogue';
import {
  CONNECTION_ID_PATTERN,
  type ConnectionSecrets,
  type ConnectionWorkflowInput,
} from '../../shared/connections';
import { registerAdminRoutes } from '../auth/bearer';
import { sendError } from '../errors';
import '../requestLog';

export interface ConnectionRouteDeps {
  config: JunctionConfig;
  connections: ConnectionsClient;
  /** HMAC key for `state`. */
  stateSecret: Uint8Array | string;
  /** The server's own base URL when `connections.publicUrl` is not set. */
  baseUrl: () => string;
  now: () => number;
}

const STATUS_BY_CODE: Partial<Record<string, number>> = {
  connection_not_found: 404,
  connection_exists: 409,
  needs_reauth: 409,
  connection_deleted: 410,
  refresh_failed: 502,
  state_used: 400,
  state_expired: 400,
};

function toHttp(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof JunctionError) {
    const status = STATUS_BY_CODE[error.code];
    if (status) return new HttpError(status, error.code, error.message, { cause: error });
  }
  return undefined;
}

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
      throw new HttpError(400, 'bad_request', `credentials.${name} is required for ${mode}`);
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
      throw new HttpError(
        400,
        'unsupported_auth_mode',
        `connections for ${mode} providers are created through GET /connect/:provider`,
      );
  }
}

/**
 * Connection endpoints: the authorization-code flow (`/connect/:provider`, `/oauth/callback`), and the
 * admin-authenticated management API (`/connections…`).
 */
export function registerConnectionRoutes(app: FastifyInstance, deps: ConnectionRouteDeps) {
  const providers = new ProviderCatalogue(deps.config.providers);
  const settings = deps.config.connections;
  const redirectUri = () => `${(settings.publicUrl ?? deps.baseUrl()).replace(/\/$/, '')}/oauth/callback`;
  const fail = (reply: FastifyReply, error: unknown) => {
    const http = toHttp(error);
    if (!http) throw error;
    Object.assign(reply.request.logFields, { outcome: 'rejected', code: http.code });
    return sendError(reply, http);
  };

  app.get<{ Params: { provider: string }; Querystring: Record<string, string | undefined> }>(
    '/connect/:provider',
    async (request, reply) => {
      try {
        const provider = providers.get(request.params.provider);
        if (!provider)
          throw new HttpError(404, 'unknown_provider', `no provider "${request.params.provider}"`);
        if (provider.auth.mode !== 'oauth2') {
          throw new HttpError(
            400,
            'unsupported_auth_mode',
            `provider "${provider.id}" does not use the authorization-code flow`,
          );
        }
        if (!provider.client)
          throw new HttpError(
            400,
            'unknown_provider',
            `provider "${provider.id}" has no OAuth client configured`,
          );
        const connectionId = request.query.connectionId ?? '';
        if (!CONNECTION_ID_PATTERN.test(connectionId)) {
          throw new HttpError(
            400,
            'bad_request',
            'connectionId must be 1-128 letters, digits, "_", ".", ":" or "-"',
          );
        }
        const returnTo = request.query.returnTo ?? '';
        if (!returnToAllowed(returnTo, settings.returnToAllowlist)) {
          throw new HttpError(
            400,
            'return_to_not_allowed',
            'returnTo is not on connections.returnToAllowlist',
          );
        }
        const scopes = request.query.scopes
          ? request.query.scopes.split(/[\s,]+/).filter(Boolean)
          : provider.auth.scopes;
        const lib = await loadOAuth();
        const stateId = randomUUID();
        const now = deps.now();
        const codeVerifier = provider.auth.pkce ? lib.generateRandomCodeVerifier() : undefined;
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
      } catch (error) {
        return fail(reply, error);
      }
    },
  );

  app.get<{ Querystring: Record<string, string | undefined> }>('/oauth/callback', async (request, reply) => {
    try {
      const state = request.query.state;
      if (!state) throw new HttpError(400, 'invalid_state', 'the callback carries no state');
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
    } catch (error) {
      return fail(reply, error);
    }
  });

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

      scope.get<{ Params: { id: string } }>('/connections/:id', async (request, reply) => {
        try {
          return await deps.connections.status(request.params.id);
        } catch (error) {
          return fail(reply, error);
        }
      });

      scope.post<{ Body: Record<string, unknown> }>('/connections', async (request, reply) => {
        try {
          const body = request.body && typeof request.body === 'object' ? request.body : {};
          const connectionId = str(body.connectionId) ?? '';
          if (!CONNECTION_ID_PATTERN.test(connectionId)) {
            throw new HttpError(
              400,
              'bad_request',
              'connectionId must be 1-128 letters, digits, "_", ".", ":" or "-"',
            );
          }
          const provider = providers.get(str(body.providerId) ?? '');
          if (!provider)
            throw new HttpError(400, 'unknown_provider', `no provider "${String(body.providerId)}"`);
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
        } catch (error) {
          return fail(reply, error);
        }
      });

      scope.delete<{ Params: { id: string } }>('/connections/:id', async (request, reply) => {
        try {
          return await deps.connections.delete(request.params.id);
        } catch (error) {
          return fail(reply, error);
        }
      });

      scope.post<{ Params: { id: string } }>('/connections/:id/refresh', async (request, reply) => {
        try {
          return await deps.connections.refresh(request.params.id);
        } catch (error) {
          return fail(reply, error);
        }
      });
    },
  );
}
