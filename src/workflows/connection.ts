import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { JunctionActivities } from '../activities';
import {
  awaitReadyUpdate,
  connectionStatusQuery,
  credentialsQuery,
  deleteConnectionUpdate,
  getFreshTokenUpdate,
  reauthorizeUpdate,
  refreshNowUpdate,
  type ConnectionCredentials,
  type ConnectionEventType,
  type ConnectionMemo,
  type ConnectionSecrets,
  type ConnectionState,
  type ConnectionStatus,
  type ConnectionWorkflowInput,
  type FreshTokenRequest,
} from '../shared/connections';
import { credentialHeaders } from '../shared/credentialHeaders';
import {
  CONNECTION_EVENT_RETRY,
  REVOCATION_RETRY,
  TOKEN_ENDPOINT_RETRY,
  TOKEN_ENDPOINT_TIMEOUT_MS,
  toRetryPolicy,
} from '../shared/retryPresets';
import { JUNCTION_STATE } from '../shared/searchAttributes';

const tokenEndpoint = proxyActivities<JunctionActivities>({
  startToCloseTimeout: TOKEN_ENDPOINT_TIMEOUT_MS + 5_000,
  retry: toRetryPolicy(TOKEN_ENDPOINT_RETRY),
});
const revocation = proxyActivities<JunctionActivities>({
  startToCloseTimeout: TOKEN_ENDPOINT_TIMEOUT_MS + 5_000,
  retry: toRetryPolicy(REVOCATION_RETRY),
});
const appEvents = proxyActivities<JunctionActivities>({
  startToCloseTimeout: 60_000,
  retry: toRetryPolicy(CONNECTION_EVENT_RETRY),
});

/** After a refresh failed for a transient reason (its retries spent), try again this much later. */
const RETRY_AFTER_FAILURE_MS = 60_000;
/** Failures that no retry fixes: the grant is gone or the client is rejected; a person must reconnect. */
const NEEDS_REAUTH = new Set([
  'invalid_grant',
  'token_request_rejected',
  'unknown_provider',
  'unsupported_auth_mode',
]);

function failureOf(error: unknown): { code: string; message: string } {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure)
    return { code: cause.type ?? 'refresh_failed', message: cause.message };
  return { code: 'refresh_failed', message: cause instanceof Error ? cause.message : String(cause) };
}

/**
 * One workflow per connection (`connection:<id>`) owns its credentials. It refreshes ahead of expiry and at
 * least every idle interval, serves the token through a query and the `getFreshToken` update (one refresh
 * however many callers ask at once), turns `invalid_grant` into `needs_reauth` with an event to the
 * application, revokes on delete, and continues as new to keep its history short.
 */
export async function connection(input: ConnectionWorkflowInput): Promise<ConnectionStatus> {
  const { connectionId, providerId, mode, timing, headerShape } = input;
  const secrets: ConnectionSecrets = { ...input.secrets };
  const status: ConnectionStatus = {
    connectionId,
    providerId,
    mode,
    state: 'pending',
    scopes: input.scopes,
    refreshCount: 0,
    createdAt: new Date().toISOString(),
    apiBaseUrl: input.apiBaseUrl,
    ...input.status,
  };
  let refreshing: Promise<void> | undefined;
  let retryAt: number | undefined;
  let wake = false;
  let deleteRequested = false;
  let finished = false;
  const notifications = new Set<Promise<void>>();

  const hasGrant = () =>
    mode === 'client_credentials' || mode === 'jwt_bearer' || Boolean(secrets.refreshToken);
  const expiresWithin = (ms: number) =>
    secrets.expiresAt !== undefined && secrets.expiresAt - Date.now() <= ms;
  const headers = () => credentialHeaders(mode, secrets, headerShape);
  /**
   * How close to expiry a caller may find the token before it is refreshed: its own margin or the provider's,
   * but never more than half a token's lifetime, or tokens shorter than a caller's margin would be
   * refreshed on every call.
   */
  const staleThreshold = (minValidityMs: number) => {
    const wanted = Math.max(minValidityMs, timing.refreshMarginMs);
    if (secrets.expiresAt === undefined || !status.lastRefreshAt) return wanted;
    const lifetime = secrets.expiresAt - Date.parse(status.lastRefreshAt);
    return lifetime > 0 ? Math.min(wanted, lifetime / 2) : wanted;
  };
  const credentials = (): ConnectionCredentials => ({
    connectionId,
    providerId,
    state: status.state,
    headers: status.state === 'active' ? headers() : {},
    expiresAt: secrets.expiresAt,
    apiBaseUrl: status.apiBaseUrl,
  });
  const memo = (): ConnectionMemo => ({
    providerId,
    mode,
    state: status.state,
    scopes: status.scopes,
    expiresAt: status.expiresAt,
    lastRefreshAt: status.lastRefreshAt,
    createdAt: status.createdAt,
  });
  const publish = () => {
    status.expiresAt =
      secrets.expiresAt !== undefined ? new Date(secrets.expiresAt).toISOString() : undefined;
    upsertMemo(memo());
  };
  const setState = (state: ConnectionState) => {
    if (status.state !== state) upsertSearchAttributes([{ key: JUNCTION_STATE, value: state }]);
    status.state = state;
    publish();
    wake = true;
  };
  const notify = (type: ConnectionEventType, reason?: string) => {
    // Events never hold up refreshes or callers; they are awaited only before the run ends.
    const sent: Promise<void> = appEvents
      .notifyConnectionEvent({ type, connectionId, providerId, occurredAt: new Date().toISOString(), reason })
      .then(
        () => undefined,
        (error: unknown) => {
          if (!isCancellation(error))
            log.warn('connection event not delivered', { type, error: failureOf(error).code });
        },
      )
      .finally(() => notifications.delete(sent));
    notifications.add(sent);
  };
  const activate = () => {
    const first = status.state === 'pending';
    setState('active');
    if (first) notify('connection.created');
  };
  const needsReauth = (reason: string) => {
    status.reauthReason = reason;
    setState('needs_reauth');
    log.warn('connection needs re-authorization', { connectionId, reason });
    notify('connection.needs_reauth', reason);
  };

  const doRefresh = async (why: string) => {
    const grant =
      mode === 'oauth2' ? 'refresh_token' : mode === 'jwt_bearer' ? 'jwt_bearer' : 'client_credentials';
    try {
      const result = await tokenEndpoint.requestToken({
        connectionId,
        providerId,
        grant,
        secrets: { ...secrets },
        scopes: status.scopes,
      });
      // Store first, before anything else can fail: a rotated refresh token replaces the old one here,
      // and the old one may already be void at the provider.
      secrets.accessToken = result.accessToken;
      secrets.tokenType = result.tokenType;
      secrets.expiresAt = result.expiresAt;
      if (result.refreshToken) secrets.refreshToken = result.refreshToken;
      if (result.scopes) status.scopes = result.scopes;
      if (result.apiBaseUrl) status.apiBaseUrl = result.apiBaseUrl;
      status.refreshCount += 1;
      status.lastRefreshAt = new Date().toISOString();
      status.lastError = undefined;
      retryAt = undefined;
      activate();
      log.info('credentials refreshed', { connectionId, why, expiresAt: status.expiresAt });
    } catch (error) {
      if (isCancellation(error)) throw error;
      const failure = failureOf(error);
      status.lastError = failure;
      if (NEEDS_REAUTH.has(failure.code)) {
        needsReauth(failure.code);
      } else {
        retryAt = Date.now() + RETRY_AFTER_FAILURE_MS;
        publish();
        log.warn('refresh failed; trying again later', { connectionId, code: failure.code });
      }
    }
  };
  /** Refreshes, or joins the refresh already running: at most one token request at a time. */
  const refresh = (why: string): Promise<void> => {
    refreshing ??= doRefresh(why).finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  };

  const refuseUnusable = () => {
    if (deleteRequested || status.state === 'deleted') {
      throw ApplicationFailure.create({
        type: 'connection_deleted',
        message: `connection "${connectionId}" was deleted`,
        nonRetryable: true,
      });
    }
    if (status.state === 'needs_reauth') {
      throw ApplicationFailure.create({
        type: 'needs_reauth',
        message: `connection "${connectionId}" needs re-authorization (${status.reauthReason ?? 'credentials rejected'})`,
        nonRetryable: true,
      });
    }
  };
  const usableCredentials = () => {
    refuseUnusable();
    if (mode !== 'api_key' && mode !== 'basic' && (!secrets.accessToken || expiresWithin(0))) {
      throw ApplicationFailure.create({
        type: 'refresh_failed',
        message: `connection "${connectionId}" has no valid token: ${status.lastError?.message ?? 'refresh failed'}`,
        nonRetryable: true,
      });
    }
    return credentials();
  };

  setHandler(credentialsQuery, credentials);
  setHandler(connectionStatusQuery, () => ({ ...status }));
  setHandler(
    getFreshTokenUpdate,
    async (request: FreshTokenRequest) => {
      await condition(() => status.state !== 'pending' || deleteRequested);
      refuseUnusable();
      if (mode === 'api_key' || mode === 'basic' || !hasGrant()) return usableCredentials();
      const current = headers()[headerShape.header.toLowerCase()] ?? headers().authorization;
      const stale =
        request.rejectedHeaderValue !== undefined
          ? request.rejectedHeaderValue === current
          : !secrets.accessToken || expiresWithin(staleThreshold(request.minValidityMs ?? 0));
      if (stale) await refresh(request.rejectedHeaderValue !== undefined ? 'rejected by provider' : 'caller');
      return usableCredentials();
    },
    { validator: (_request: FreshTokenRequest) => refuseUnusable() },
  );
  setHandler(
    refreshNowUpdate,
    async () => {
      // API keys, basic credentials and tokens without a refresh token have nothing to refresh: asking the
      // token endpoint would fail and wrongly mark the connection needs_reauth. Patched: histories written
      // before this asked anyway.
      if (!hasGrant() && patched('refresh-now-needs-a-grant')) {
        refuseUnusable();
        return { ...status };
      }
      await refresh('requested');
      refuseUnusable();
      return { ...status };
    },
    { validator: () => refuseUnusable() },
  );
  setHandler(awaitReadyUpdate, async () => {
    await condition(() => status.state !== 'pending');
    return { ...status };
  });
  setHandler(reauthorizeUpdate, async (fresh: ConnectionSecrets, scopes: string[]) => {
    if (deleteRequested) refuseUnusable();
    await refreshing;
    Object.assign(secrets, {
      accessToken: fresh.accessToken,
      refreshToken: fresh.refreshToken,
      expiresAt: fresh.expiresAt,
      tokenType: fresh.tokenType,
    });
    status.scopes = scopes;
    status.lastRefreshAt = new Date().toISOString();
    status.lastError = undefined;
    status.reauthReason = undefined;
    retryAt = undefined;
    activate();
    return { ...status };
  });
  setHandler(deleteConnectionUpdate, async () => {
    deleteRequested = true;
    await condition(() => finished);
    return { ...status };
  });

  upsertSearchAttributes([{ key: JUNCTION_STATE, value: status.state }]);
  publish();
  if (status.state === 'pending') {
    if (mode === 'api_key' || mode === 'basic' || secrets.accessToken) activate();
    else await refresh('initial');
  }

  const nextDue = (): number | undefined => {
    if (retryAt !== undefined && status.state !== 'needs_reauth') return retryAt;
    if (status.state !== 'active' || !hasGrant()) return undefined;
    const candidates: number[] = [];
    if (secrets.expiresAt !== undefined) candidates.push(secrets.expiresAt - timing.refreshMarginMs);
    if (timing.idleRefreshMs !== undefined) {
      const last = status.lastRefreshAt ? Date.parse(status.lastRefreshAt) : Date.now();
      candidates.push(last + timing.idleRefreshMs);
    }
    return candidates.length > 0 ? Math.min(...candidates) : undefined;
  };
  const historyFull = () =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > timing.historyEventLimit;

  while (!deleteRequested) {
    wake = false;
    const due = nextDue();
    const woken = () => deleteRequested || wake || historyFull();
    let timedOut = false;
    if (due === undefined) await condition(woken);
    else timedOut = !(await condition(woken, Math.max(due - Date.now(), 1)));
    if (timedOut && !deleteRequested) await refresh(retryAt !== undefined ? 'retry' : 'ahead of expiry');
    if (historyFull() && !deleteRequested) {
      await refreshing;
      await Promise.all([...notifications]);
      await condition(allHandlersFinished);
      if (!deleteRequested) {
        const { connectionId: _c, providerId: _p, mode: _m, ...carried } = status;
        await continueAsNew<typeof connection>({
          ...input,
          secrets,
          scopes: status.scopes,
          apiBaseUrl: status.apiBaseUrl,
          status: carried,
        });
      }
    }
  }

  await refreshing;
  if (hasGrant() || secrets.accessToken) {
    try {
      await revocation.revokeCredentials({ connectionId, providerId, secrets: { ...secrets } });
    } catch (error) {
      if (isCancellation(error)) throw error;
      log.warn('revocation failed; deleting anyway', { connectionId, code: failureOf(error).code });
    }
  }
  for (const key of Object.keys(secrets) as Array<keyof ConnectionSecrets>) delete secrets[key];
  setState('deleted');
  notify('connection.deleted');
  await Promise.all([...notifications]);
  finished = true;
  await condition(allHandlersFinished);
  return { ...status };
}
