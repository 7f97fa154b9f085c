import { type ApplicationFailure, Context } from '@temporalio/activity';
import type { Counter } from 'prom-client';
import type { Logger } from '../logging/logger';
import { destinationRefusal } from '../network/destinations';
import type { Outbound } from '../network/outbound';
import { tokenEndpointError } from '../oauth/errors';
import { loadOAuth } from '../oauth/lib';
import {
  exchangeAuthorizationCode,
  isOAuthProvider,
  requestTokenGrant,
  revokeAtProvider,
  type OAuthProvider,
} from '../oauth/grants';
import type { ProviderCatalogue } from '../providers/catalogue';
import { resolveProvider, type ConnectionParams } from '../providers/resolve';
import { ConnectionError, JunctionError, OAuthError } from '../shared/errors';
import { toApplicationFailure } from '../shared/failures';
import type {
  CodeExchangeInput,
  RevokeInput,
  TokenGrantResult,
  TokenRequestInput,
} from '../shared/connectionContract';
import { TOKEN_ENDPOINT_TIMEOUT_MS } from '../shared/activityOptions';
import { connectionActivityLog } from './connectionLog';

/** What the token endpoint activities need: the catalogue as configured now, a logger, a clock, the network. */
export interface TokenActivityDeps {
  providers: () => ProviderCatalogue;
  logger: Logger;
  now: () => number;
  /** Counts token requests by provider, grant and outcome (`ok` or the failure code), when given. */
  tokenRequests?: Counter<'provider' | 'grant' | 'outcome'>;
  outbound: Outbound;
}

/** The provider by id, its `{param}` URLs filled from the connection's parameters. */
function oauthProvider(
  deps: TokenActivityDeps,
  providerId: string,
  params?: ConnectionParams,
): OAuthProvider {
  const provider = deps.providers().get(providerId);
  if (!provider) {
    throw toApplicationFailure(
      new ConnectionError('unknown_provider', `provider "${providerId}" is not in the catalogue`),
    );
  }
  if (!isOAuthProvider(provider)) {
    throw toApplicationFailure(
      new ConnectionError(
        'unsupported_auth_mode',
        `provider "${providerId}" uses ${provider.auth.mode}, which has no token endpoint`,
      ),
    );
  }
  try {
    return resolveProvider(provider, params);
  } catch (error) {
    if (error instanceof JunctionError) throw toApplicationFailure(error);
    throw error;
  }
}

/** Turns a token endpoint failure into an ApplicationFailure whose type the workflow branches on. */
async function tokenFailure(
  error: unknown,
  now: number,
  log: Logger,
  what: string,
  attempt = 1,
): Promise<ApplicationFailure> {
  const refusal = destinationRefusal(error);
  if (refusal) {
    log.warn({ ...refusal.details, code: refusal.code }, `${what} refused: ${refusal.message}`);
    return toApplicationFailure(refusal);
  }
  let failure = tokenEndpointError(error, await loadOAuth(), now);
  if (failure.code === 'invalid_grant' && attempt > 1) {
    // A retried refresh: an earlier attempt may have reached the provider, which rotated the refresh token,
    // and its answer was lost with the worker. Providers without a reuse grace refuse the old token then.
    failure = new OAuthError(
      'invalid_grant',
      `${failure.message}; an earlier attempt may have rotated the refresh token before its answer was lost`,
      { cause: failure.cause, details: failure.details },
    );
  }
  log.warn(
    { ...failure.details, code: failure.code, retry: failure.retryable },
    `${what} failed: ${failure.message}`,
  );
  return toApplicationFailure(failure);
}

/** A code exchange failure as an ApplicationFailure; an error redirect from the provider has its own code. */
async function codeExchangeFailure(
  error: unknown,
  now: () => number,
  log: Logger,
): Promise<ApplicationFailure> {
  const lib = await loadOAuth();
  if (error instanceof lib.AuthorizationResponseError) {
    return toApplicationFailure(
      new OAuthError('authorization_failed', `the provider answered ${error.error}`, {
        cause: error,
        details: { oauthError: error.error, description: error.error_description },
      }),
    );
  }
  return tokenFailure(error, now(), log, 'code exchange');
}

/** The `requestToken` activity: one refresh, client credentials or JWT bearer request. */
export function createRequestTokenActivity(deps: TokenActivityDeps) {
  return async function requestToken(input: TokenRequestInput): Promise<TokenGrantResult> {
    const log = connectionActivityLog(deps.logger, input.connectionId, input.providerId);
    const provider = oauthProvider(deps, input.providerId, input.secrets.params);
    // Heartbeats tell Temporal this worker is alive while the provider answers (the workflow sets a
    // heartbeat timeout on new runs): a worker killed mid-request is retried within seconds.
    const context = Context.current();
    const beat = setInterval(() => context.heartbeat(), 1_000);
    try {
      const result = await requestTokenGrant(provider, input, {
        timeoutMs: TOKEN_ENDPOINT_TIMEOUT_MS,
        now: deps.now,
        fetch: deps.outbound.fetch,
      });
      log.info(
        { grant: input.grant, expiresAt: result.expiresAt, rotated: Boolean(result.refreshToken) },
        'token obtained',
      );
      deps.tokenRequests?.inc({ provider: input.providerId, grant: input.grant, outcome: 'ok' });
      return result;
    } catch (error) {
      const failure = await tokenFailure(
        error,
        deps.now(),
        log,
        `${input.grant} grant`,
        context.info.attempt,
      );
      const outcome = failure.type ?? 'refresh_failed';
      deps.tokenRequests?.inc({ provider: input.providerId, grant: input.grant, outcome });
      throw failure;
    } finally {
      clearInterval(beat);
    }
  };
}

/** The `exchangeCode` activity: the authorization code exchange (with PKCE) after the redirect back. */
export function createExchangeCodeActivity(deps: TokenActivityDeps) {
  return async function exchangeCode(input: CodeExchangeInput): Promise<TokenGrantResult> {
    const log = deps.logger.child({ provider: input.providerId, activity: 'exchangeCode' });
    const provider = oauthProvider(deps, input.providerId, input.params);
    try {
      const result = await exchangeAuthorizationCode(provider, input, {
        timeoutMs: TOKEN_ENDPOINT_TIMEOUT_MS,
        now: deps.now,
        fetch: deps.outbound.fetch,
      });
      log.info(
        { expiresAt: result.expiresAt, refreshToken: Boolean(result.refreshToken) },
        'authorization code exchanged',
      );
      return result;
    } catch (error) {
      throw await codeExchangeFailure(error, deps.now, log);
    }
  };
}

/** The `revokeCredentials` activity: revokes at the provider (RFC 7009) when it declares an endpoint. */
export function createRevokeCredentialsActivity(deps: TokenActivityDeps) {
  return async function revokeCredentials(input: RevokeInput): Promise<{ revoked: boolean }> {
    const log = connectionActivityLog(deps.logger, input.connectionId, input.providerId);
    const declared = deps.providers().get(input.providerId);
    if (!declared || !isOAuthProvider(declared)) return { revoked: false };
    try {
      const provider = resolveProvider(declared, input.secrets.params);
      const revoked = await revokeAtProvider(provider, input.secrets, {
        timeoutMs: TOKEN_ENDPOINT_TIMEOUT_MS,
        fetch: deps.outbound.fetch,
      });
      log.info(
        { revoked },
        revoked ? 'credentials revoked at the provider' : 'the provider has no revocation endpoint',
      );
      return { revoked };
    } catch (error) {
      throw await tokenFailure(error, deps.now(), log, 'revocation');
    }
  };
}
