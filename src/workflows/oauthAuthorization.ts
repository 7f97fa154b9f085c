import {
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { JunctionActivities } from '../activities';
import {
  completeAuthorizationUpdate,
  type AuthorizationCallback,
  type AuthorizationInput,
  type AuthorizationOutcome,
} from '../shared/connections';
import { OAuthError } from '../shared/errors';
import { readFailure, toApplicationFailure } from '../shared/failures';
import { activityOptions } from '../shared/activityOptions';

const { exchangeCode, installConnection } = proxyActivities<JunctionActivities>(
  activityOptions.tokenEndpoint,
);

/** The OAuth error to send the browser back with (RFC 6749 §4.1.2.1): the provider's, or Junction's code. */
function failureCode(error: unknown): { error: string; description?: string } {
  const failure = readFailure(error, 'authorization_failed');
  const { oauthError, description } = failure.details;
  return {
    error:
      typeof oauthError === 'string'
        ? oauthError
        : failure.code === 'activity_timeout'
          ? 'server_error'
          : failure.code,
    description: typeof description === 'string' ? description : undefined,
  };
}

/**
 * One pending authorization-code flow, keyed by the `state`'s id. It holds the PKCE verifier (encrypted by
 * the codec, never in a cookie or URL), accepts the provider's callback once, exchanges the code and installs
 * the connection. Unclaimed, it ends after ten minutes; a second callback is refused.
 */
export async function oauthAuthorization(
  input: AuthorizationInput,
): Promise<AuthorizationOutcome | { status: 'expired' }> {
  let callback: AuthorizationCallback | undefined;
  let outcome: AuthorizationOutcome | undefined;

  setHandler(
    completeAuthorizationUpdate,
    async (received: AuthorizationCallback) => {
      callback = received;
      await condition(() => outcome !== undefined);
      return outcome as AuthorizationOutcome;
    },
    {
      validator: (_received: AuthorizationCallback) => {
        if (callback !== undefined) {
          throw toApplicationFailure(
            new OAuthError('state_used', 'this authorization was already completed'),
          );
        }
        if (Date.now() > input.expiresAt) {
          throw toApplicationFailure(new OAuthError('state_expired', 'this authorization expired'));
        }
      },
    },
  );

  const arrived = await condition(() => callback !== undefined, Math.max(input.expiresAt - Date.now(), 1));
  if (!arrived) return { status: 'expired' };

  const base = { connectionId: input.connectionId, returnTo: input.returnTo };
  try {
    const tokens = await exchangeCode({
      providerId: input.providerId,
      callbackQuery: (callback as AuthorizationCallback).query,
      stateId: input.stateId,
      redirectUri: input.redirectUri,
      codeVerifier: input.codeVerifier,
    });
    await installConnection({
      taskQueue: workflowInfo().taskQueue,
      connection: {
        connectionId: input.connectionId,
        providerId: input.providerId,
        mode: 'oauth2',
        scopes: tokens.scopes ?? input.scopes,
        secrets: {
          accessToken: tokens.accessToken,
          refreshToken: tokens.refreshToken,
          expiresAt: tokens.expiresAt,
          tokenType: tokens.tokenType,
        },
        timing: input.timing,
        headerShape: input.headerShape,
        apiBaseUrl: tokens.apiBaseUrl ?? input.apiBaseUrl,
      },
    });
    outcome = { status: 'connected', ...base };
  } catch (error) {
    outcome = { status: 'failed', ...base, ...failureCode(error) };
  }
  await condition(allHandlersFinished);
  return outcome;
}
