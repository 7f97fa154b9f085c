import type { ConnectionWorkflowInput } from '../../src/shared/connectionContract';
import { renewUpdateId } from '../../src/shared/connectionContract';
import {
  ConnectionModel,
  DEFAULT_MIN_REFRESH_INTERVAL_MS,
  RETRY_AFTER_FAILURE_MS,
} from '../../src/workflows/connectionModel';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function model(overrides: Partial<ConnectionWorkflowInput> = {}, now = T0) {
  return new ConnectionModel(
    {
      connectionId: 'c1',
      providerId: 'p',
      mode: 'oauth2',
      scopes: ['read'],
      secrets: { refreshToken: 'r0' },
      timing: { refreshMarginMs: 300_000, historyEventLimit: 5_000 },
      headerShape: { header: 'authorization', prefix: 'Bearer ' },
      ...overrides,
    },
    now,
  );
}

/** A connection that just got a token living `lifetimeMs`, at `now`. */
function withToken(lifetimeMs: number, now = T0, overrides: Partial<ConnectionWorkflowInput> = {}) {
  const m = model(overrides, now);
  m.applyToken(
    { accessToken: 'a1', tokenType: 'bearer', refreshToken: 'r1', expiresAt: now + lifetimeMs },
    now,
  );
  m.setState('active');
  return m;
}

describe('refresh timer', () => {
  test('15-second tokens with the default 300 s margin: refreshed half-way through, not every second', () => {
    const m = withToken(15_000);
    // The margin alone (300 s) would put the next refresh before the token was even issued.
    expect(m.nextRefreshAt(T0)).toBe(T0 + 7_500);
  });

  test('five-minute tokens cost one token request per 150 s instead of about one a second', () => {
    const m = withToken(300_000);
    expect(m.nextRefreshAt(T0)).toBe(T0 + 150_000);
    const perDay = (24 * 3600 * 1000) / (m.nextRefreshAt(T0)! - T0);
    expect(perDay).toBeLessThanOrEqual(576);
  });

  test('long-lived tokens keep the declared margin', () => {
    const m = withToken(3_600_000);
    expect(m.nextRefreshAt(T0)).toBe(T0 + 3_600_000 - 300_000);
  });

  test('a floor keeps the timer from firing sooner than the minimum interval after the last refresh', () => {
    const m = withToken(2_000);
    expect(m.nextRefreshAt(T0)).toBe(T0 + DEFAULT_MIN_REFRESH_INTERVAL_MS);
    const custom = withToken(2_000, T0, {
      timing: { refreshMarginMs: 300_000, historyEventLimit: 5_000, minRefreshIntervalMs: 30_000 },
    });
    expect(custom.nextRefreshAt(T0)).toBe(T0 + 30_000);
    // A token already expired when it arrived (clock skew, expires_in 0) does not loop either.
    const skewed = model();
    skewed.applyToken({ accessToken: 'a', tokenType: 'bearer', expiresAt: T0 - 1_000 }, T0);
    skewed.setState('active');
    expect(skewed.nextRefreshAt(T0)).toBe(T0 + DEFAULT_MIN_REFRESH_INTERVAL_MS);
  });

  test('the idle interval still drives refreshes of tokens that do not expire', () => {
    const m = model({ timing: { refreshMarginMs: 0, idleRefreshMs: 60_000, historyEventLimit: 5_000 } });
    m.applyToken({ accessToken: 'a', tokenType: 'bearer', refreshToken: 'r' }, T0);
    m.setState('active');
    expect(m.nextRefreshAt(T0)).toBe(T0 + 60_000);
  });

  test('after a transient failure the retry time wins; a connection that needs re-auth waits for a person', () => {
    const m = withToken(3_600_000);
    expect(m.applyRefreshFailure({ code: 'token_endpoint_unavailable', message: 'HTTP 503' }, T0)).toBe(
      'retry_later',
    );
    expect(m.nextRefreshAt(T0)).toBe(T0 + RETRY_AFTER_FAILURE_MS);
    expect(m.applyRefreshFailure({ code: 'invalid_grant', message: 'revoked' }, T0)).toBe('needs_reauth');
    m.setState('needs_reauth');
    expect(m.nextRefreshAt(T0)).toBeUndefined();
    expect(m.refusal()).toMatchObject({ code: 'needs_reauth' });
  });

  test('API keys and basic credentials have nothing to refresh', () => {
    const m = model({ mode: 'api_key', secrets: { apiKey: 'k' } });
    m.setState('active');
    expect(m.nextRefreshAt(T0)).toBeUndefined();
    expect(m.renewWantsRefresh({ seenRevision: m.revision, reason: 'rejected', attempt: 0 }, T0)).toBe(false);
  });
});

describe('renew decisions', () => {
  test('a caller holding an older revision gets the current credentials without a token request', () => {
    const m = withToken(20_000);
    const seen = m.revision - 1;
    expect(
      m.renewWantsRefresh({ seenRevision: seen, reason: 'stale', minValidityMs: 60_000, attempt: 0 }, T0),
    ).toBe(false);
    expect(m.renewWantsRefresh({ seenRevision: seen, reason: 'rejected', attempt: 0 }, T0)).toBe(false);
  });

  test('stale is judged with the caller margin capped at half the lifetime', () => {
    const m = withToken(20_000);
    const request = { seenRevision: m.revision, reason: 'stale' as const, minValidityMs: 60_000, attempt: 0 };
    expect(m.renewWantsRefresh(request, T0 + 9_000)).toBe(false);
    expect(m.renewWantsRefresh(request, T0 + 10_000)).toBe(true);
  });

  test('a rejection refreshes only while the rejected value is still the current one', () => {
    const m = withToken(20_000);
    const base = { seenRevision: m.revision, reason: 'rejected' as const, attempt: 0 };
    expect(m.renewWantsRefresh({ ...base, rejectedHeaderValue: 'Bearer a1' }, T0)).toBe(true);
    expect(m.renewWantsRefresh({ ...base, rejectedHeaderValue: 'Bearer old' }, T0)).toBe(false);
  });

  test('every change bumps the revision: tokens, failures, state changes, re-authorization', () => {
    const m = model();
    const revisions = [m.revision];
    m.applyToken({ accessToken: 'a', tokenType: 'bearer', expiresAt: T0 + 1_000 }, T0);
    revisions.push(m.revision);
    m.setState('active');
    revisions.push(m.revision);
    m.setState('active');
    expect(m.revision).toBe(revisions.at(-1));
    m.applyRefreshFailure({ code: 'token_endpoint_unavailable', message: 'x' }, T0);
    revisions.push(m.revision);
    m.applyReauthorization({ accessToken: 'b', refreshToken: 'r' }, ['read'], T0);
    revisions.push(m.revision);
    expect(new Set(revisions).size).toBe(revisions.length);
    expect(m.credentials().revision).toBe(m.revision);
    expect(m.memo().revision).toBe(m.revision);
  });

  test('a revision and its carried status survive continue-as-new', () => {
    const m = withToken(20_000);
    const next = new ConnectionModel(m.continuation(), T0 + 1);
    expect(next.revision).toBe(m.revision);
    expect(next.secrets.refreshToken).toBe('r1');
    expect(next.state).toBe('active');
  });

  test('update ids name the revision, the reason and the attempt, and never a secret', () => {
    expect(renewUpdateId({ seenRevision: 7, reason: 'stale', minValidityMs: 60_000, attempt: 0 })).toBe(
      'renew-7-stale-60000-0',
    );
    const rejected = renewUpdateId({
      seenRevision: 7,
      reason: 'rejected',
      rejectedHeaderValue: 'Bearer secret-token',
      attempt: 2,
    });
    expect(rejected).toBe('renew-7-rejected-2');
    expect(rejected).not.toContain('secret');
  });

  test('no usable token: a deleted connection, one that needs re-auth, an expired token', () => {
    const m = withToken(1_000);
    expect(m.unusable(T0)).toBeUndefined();
    expect(m.unusable(T0 + 1_000)).toMatchObject({ code: 'refresh_failed' });
    m.deleteRequested = true;
    expect(m.unusable(T0)).toMatchObject({ code: 'connection_deleted' });
  });

  test('a token that ran out before it was served calls for one more refresh, unless a refresh just failed', () => {
    // Applied late: the answer reached the workflow 10 s after an 8-second token was issued.
    const late = model();
    late.applyToken({ accessToken: 'a1', tokenType: 'bearer', expiresAt: T0 + 8_000 }, T0 + 10_000);
    late.setState('active');
    expect(late.servesExpiredToken(T0 + 10_000)).toBe(true);
    expect(withToken(8_000).servesExpiredToken(T0 + 7_999)).toBe(false);
    const failed = withToken(1_000);
    failed.applyRefreshFailure({ code: 'provider_unavailable', message: 'down' }, T0 + 2_000);
    expect(failed.servesExpiredToken(T0 + 2_000)).toBe(false);
    const reauth = withToken(1_000);
    reauth.setState('needs_reauth');
    expect(reauth.servesExpiredToken(T0 + 2_000)).toBe(false);
    const apiKey = model({ mode: 'api_key', secrets: { apiKey: 'k' } });
    apiKey.setState('active');
    expect(apiKey.servesExpiredToken(T0)).toBe(false);
  });
});
