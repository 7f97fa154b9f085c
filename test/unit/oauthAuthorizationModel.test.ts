import { ActivityFailure, RetryState, TimeoutFailure } from '@temporalio/common';
import type { AuthorizationInput } from '../../src/shared/connectionContract';
import { OAuthError } from '../../src/shared/errors';
import { toApplicationFailure } from '../../src/shared/failures';
import { AuthorizationModel } from '../../src/workflows/oauthAuthorizationModel';

const T0 = Date.parse('2026-01-01T00:00:00Z');

const input: AuthorizationInput = {
  stateId: 'st-1',
  timing: { refreshMarginMs: 300_000, historyEventLimit: 5_000 },
  headerShape: { header: 'authorization', prefix: 'Bearer ' },
  apiBaseUrl: 'https://api.example.test',
  connectionId: 'acct-1',
  providerId: 'github',
  returnTo: 'https://app.example.test/done',
  redirectUri: 'https://junction.example.test/oauth/callback',
  codeVerifier: 'verifier',
  scopes: ['repo'],
  expiresAt: T0 + 600_000,
};

/** A failed activity as a workflow sees it: the activity's failure wrapped in an ActivityFailure. */
function activityFailed(cause: Error): ActivityFailure {
  return new ActivityFailure(
    'activity failed',
    'exchangeCode',
    '1',
    RetryState.NON_RETRYABLE_FAILURE,
    undefined,
    cause,
  );
}

test('a callback is accepted once and only before the authorization expires', () => {
  const flow = new AuthorizationModel(input);
  expect(flow.refusal(T0)).toBeUndefined();
  expect(flow.refusal(T0 + 600_001)).toMatchObject({ code: 'state_expired' });
  expect(flow.callbackWaitMs(T0)).toBe(600_000);
  expect(flow.callbackWaitMs(T0 + 700_000)).toBe(1);
  flow.receive({ query: 'code=abc&state=st-1' });
  expect(flow.refusal(T0)).toMatchObject({ code: 'state_used' });
});

test('the code exchange gets the callback and the verifier; the connection gets the tokens', () => {
  const flow = new AuthorizationModel(input);
  expect(() => flow.exchangeInput()).toThrow('no callback');
  flow.receive({ query: 'code=abc&state=st-1' });
  expect(flow.exchangeInput()).toEqual({
    providerId: 'github',
    callbackQuery: 'code=abc&state=st-1',
    stateId: 'st-1',
    redirectUri: input.redirectUri,
    codeVerifier: 'verifier',
  });
  const installed = flow.installInput(
    { accessToken: 'a', tokenType: 'bearer', refreshToken: 'r', expiresAt: T0 + 3_600_000 },
    'junction',
  );
  expect(installed.taskQueue).toBe('junction');
  expect(installed.connection).toMatchObject({
    connectionId: 'acct-1',
    mode: 'oauth2',
    scopes: ['repo'],
    apiBaseUrl: 'https://api.example.test',
    secrets: { accessToken: 'a', refreshToken: 'r', expiresAt: T0 + 3_600_000, tokenType: 'bearer' },
  });
  // Scopes and an API base the provider sent win over the requested ones.
  const granted = flow.installInput(
    { accessToken: 'a', tokenType: 'bearer', scopes: ['read'], apiBaseUrl: 'https://eu.example.test' },
    'junction',
  );
  expect(granted.connection).toMatchObject({ scopes: ['read'], apiBaseUrl: 'https://eu.example.test' });
});

test("the browser is sent back with the provider's OAuth error, Junction's code, or server_error", () => {
  const flow = new AuthorizationModel(input);
  const denied = toApplicationFailure(
    new OAuthError('token_request_rejected', 'rejected', {
      details: { oauthError: 'invalid_grant', description: 'code reused' },
    }),
  );
  expect(flow.failed(activityFailed(denied))).toEqual({
    status: 'failed',
    connectionId: 'acct-1',
    returnTo: input.returnTo,
    error: 'invalid_grant',
    description: 'code reused',
  });
  const unavailable = toApplicationFailure(new OAuthError('token_endpoint_unavailable', 'HTTP 503'));
  expect(flow.failed(activityFailed(unavailable))).toMatchObject({ error: 'token_endpoint_unavailable' });
  const timedOut = new TimeoutFailure('timed out', undefined, 'START_TO_CLOSE');
  expect(flow.failed(activityFailed(timedOut))).toMatchObject({ error: 'server_error' });
  expect(flow.outcome).toMatchObject({ status: 'failed' });
  expect(flow.connected()).toEqual({ status: 'connected', connectionId: 'acct-1', returnTo: input.returnTo });
  expect(flow.outcome).toEqual(flow.connected());
});
