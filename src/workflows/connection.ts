import {
  type ApplicationFailure,
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
  renewCredentialsUpdate,
  type ConnectionEventType,
  type ConnectionSecrets,
  type ConnectionState,
  type ConnectionStatus,
  type ConnectionWorkflowInput,
  type FreshTokenRequest,
  type RenewRequest,
} from '../shared/connectionContract';
import { activityOptions } from '../shared/activityOptions';
import { ConnectionError } from '../shared/errors';
import { readFailure, toApplicationFailure } from '../shared/failures';
import { JUNCTION_STATE } from '../shared/searchAttributes';
import { ConnectionModel, type Failure, type Refusal } from './connectionModel';

/**
 * Token requests heartbeat: a worker that dies while the provider answers is noticed within seconds, not at
 * the end of the attempt's timeout, so the retry lands inside a provider's refresh-token reuse grace.
 * (Activity options are not part of what a replay compares, so running workflows take this without a patch.)
 */
const tokenEndpoint = proxyActivities<JunctionActivities>(activityOptions.tokenEndpointWithHeartbeat);
const revocation = proxyActivities<JunctionActivities>(activityOptions.revocation);
const appEvents = proxyActivities<JunctionActivities>(activityOptions.appEvent);

function failureOf(error: unknown): Failure {
  const { code, message } = readFailure(error, 'refresh_failed');
  return { code, message };
}

function refused(refusal: Refusal): ApplicationFailure {
  return toApplicationFailure(new ConnectionError(refusal.code, refusal.message));
}

/**
 * One workflow per connection (`connection:<id>`) owns its credentials. It refreshes ahead of expiry and at
 * least every idle interval, serves the token through `renewCredentials` (callers that saw the same revision
 * share one update, so a fleet of processes costs one update and one token request), turns `invalid_grant`
 * into `needs_reauth` with an event to the application, revokes on delete, and continues as new to keep its
 * history short. The state and its decisions live in ConnectionModel; this function wires them to Temporal.
 *
 * Update handlers here only wait and read: every command that changes the workflow (token requests, memo and
 * search attributes, events) is issued by the refresh routine and the main loop, so a handler's acceptance
 * and completion never change what else the workflow does.
 */
export async function connection(input: ConnectionWorkflowInput): Promise<ConnectionStatus> {
  const model = new ConnectionModel(input, Date.now());
  const { connectionId, providerId, mode } = model;
  let refreshing: Promise<void> | undefined;
  let wake = false;
  /** Whether this run decides continue-as-new on kept events only (see the main loop; patched). */
  let keptEventsOnly = false;
  /** Set by accepted updates when the history has grown past the limit: continue as new at the next turn. */
  let continueWanted = false;
  const historyFull = () =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > input.timing.historyEventLimit;
  /** Called as an accepted update returns (a point history keeps): asks the loop to continue as new. */
  const noteHistory = <T>(result: T): T => {
    if (keptEventsOnly && historyFull()) continueWanted = true;
    return result;
  };
  let finished = false;
  const notifications = new Set<Promise<void>>();

  const publish = () => {
    model.syncExpiry();
    upsertMemo(model.memo());
  };
  const setState = (state: ConnectionState) => {
    if (model.setState(state)) upsertSearchAttributes([{ key: JUNCTION_STATE, value: state }]);
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
    const first = model.state === 'pending';
    setState('active');
    if (first) notify('connection.created');
  };

  const doRefresh = async (why: string) => {
    const grant =
      mode === 'oauth2' ? 'refresh_token' : mode === 'jwt_bearer' ? 'jwt_bearer' : 'client_credentials';
    try {
      const result = await tokenEndpoint.requestToken({
        connectionId,
        providerId,
        grant,
        secrets: { ...model.secrets },
        scopes: model.status.scopes,
      });
      model.applyToken(result, Date.now());
      activate();
      log.info('credentials refreshed', { connectionId, why, expiresAt: model.status.expiresAt });
    } catch (error) {
      if (isCancellation(error)) throw error;
      const failure = failureOf(error);
      if (model.applyRefreshFailure(failure, Date.now()) === 'needs_reauth') {
        setState('needs_reauth');
        log.warn('connection needs re-authorization', { connectionId, reason: failure.code });
        notify('connection.needs_reauth', failure.code);
      } else {
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
    const refusal = model.refusal();
    if (refusal) throw refused(refusal);
  };
  const usableCredentials = () => {
    const refusal = model.unusable(Date.now());
    if (refusal) throw refused(refusal);
    return model.credentials();
  };

  setHandler(credentialsQuery, () => model.credentials());
  setHandler(connectionStatusQuery, () => ({ ...model.status }));
  setHandler(
    renewCredentialsUpdate,
    async (request: RenewRequest) => {
      await condition(() => model.state !== 'pending' || model.deleteRequested);
      refuseUnusable();
      if (model.renewWantsRefresh(request, Date.now())) {
        await refresh(request.reason === 'rejected' ? 'rejected by provider' : 'caller');
      }
      return noteHistory(usableCredentials());
    },
    { validator: (_request: RenewRequest) => refuseUnusable() },
  );
  setHandler(
    getFreshTokenUpdate,
    async (request: FreshTokenRequest) => {
      await condition(() => model.state !== 'pending' || model.deleteRequested);
      refuseUnusable();
      if (model.isStatic || !model.hasGrant()) return usableCredentials();
      if (model.freshTokenWantsRefresh(request, Date.now())) {
        await refresh(request.rejectedHeaderValue !== undefined ? 'rejected by provider' : 'caller');
      }
      return noteHistory(usableCredentials());
    },
    { validator: (_request: FreshTokenRequest) => refuseUnusable() },
  );
  setHandler(
    refreshNowUpdate,
    async () => {
      // API keys, basic credentials and tokens without a refresh token have nothing to refresh: asking the
      // token endpoint would fail and wrongly mark the connection needs_reauth. Patched: histories written
      // before this asked anyway.
      if (!model.hasGrant() && patched('refresh-now-needs-a-grant')) {
        refuseUnusable();
        return noteHistory({ ...model.status });
      }
      await refresh('requested');
      refuseUnusable();
      return noteHistory({ ...model.status });
    },
    { validator: () => refuseUnusable() },
  );
  setHandler(awaitReadyUpdate, async () => {
    await condition(() => model.state !== 'pending');
    return noteHistory({ ...model.status });
  });
  setHandler(reauthorizeUpdate, async (fresh: ConnectionSecrets, scopes: string[]) => {
    if (model.deleteRequested) refuseUnusable();
    await refreshing;
    model.applyReauthorization(fresh, scopes, Date.now());
    activate();
    return noteHistory({ ...model.status });
  });
  setHandler(deleteConnectionUpdate, async () => {
    model.deleteRequested = true;
    await condition(() => finished);
    return { ...model.status };
  });

  upsertSearchAttributes([{ key: JUNCTION_STATE, value: model.state }]);
  publish();
  if (model.state === 'pending') {
    if (model.isStatic || model.secrets.accessToken) activate();
    else await refresh('initial');
  }

  while (!model.deleteRequested) {
    wake = false;
    continueWanted = false;
    // The timer's duration is not part of what a replay compares: running connections take the capped timing
    // without a patch.
    const due = model.nextRefreshAt(Date.now());
    /*
     * Only what history keeps may move the loop. An update that the validator rejects is delivered in a
     * speculative workflow task that the server then drops: the worker saw that activation (and its larger
     * history length) but a replay never will. Runs from before this patch also woke when the history length
     * passed the limit, which such an activation could make happen (seen as `No command scheduled for event
     * WorkflowExecutionContinuedAsNew` on replay); now the length is read only at a timer, a state change or an
     * accepted update, all of which history keeps.
     */
    keptEventsOnly = patched('continue-as-new-on-kept-events');
    const woken = () => model.deleteRequested || wake || continueWanted || (!keptEventsOnly && historyFull());
    let timedOut = false;
    if (due === undefined) await condition(woken);
    else timedOut = !(await condition(woken, Math.max(due - Date.now(), 1)));
    if (timedOut && !model.deleteRequested)
      await refresh(model.retryAt !== undefined ? 'retry' : 'ahead of expiry');
    if ((continueWanted || historyFull()) && !model.deleteRequested) {
      await refreshing;
      await Promise.all([...notifications]);
      await condition(allHandlersFinished);
      if (!model.deleteRequested) await continueAsNew<typeof connection>(model.continuation());
    }
  }

  await refreshing;
  if (model.hasGrant() || model.secrets.accessToken) {
    try {
      await revocation.revokeCredentials({ connectionId, providerId, secrets: { ...model.secrets } });
    } catch (error) {
      if (isCancellation(error)) throw error;
      log.warn('revocation failed; deleting anyway', { connectionId, code: failureOf(error).code });
    }
  }
  model.wipeSecrets();
  setState('deleted');
  notify('connection.deleted');
  await Promise.all([...notifications]);
  finished = true;
  await condition(allHandlersFinished);
  return { ...model.status };
}
