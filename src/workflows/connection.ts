import { condition, patched, setHandler } from '@temporalio/workflow';
import {
  awaitReadyUpdate,
  connectionStatusQuery,
  credentialsQuery,
  deleteConnectionUpdate,
  getFreshTokenUpdate,
  reauthorizeUpdate,
  refreshNowUpdate,
  renewCredentialsUpdate,
  type ConnectionSecrets,
  type ConnectionStatus,
  type ConnectionWorkflowInput,
  type FreshTokenRequest,
  type RenewRequest,
} from '../shared/connectionContract';
import { ConnectionRuntime } from './connectionRuntime';

/**
 * One workflow per connection (`connection:<id>`) owns its credentials. It refreshes ahead of expiry and at
 * least every idle interval, serves the token through `renewCredentials` (callers that saw the same revision
 * share one update, so a fleet of processes costs one update and one token request), turns `invalid_grant`
 * into `needs_reauth` with an event to the application, revokes on delete, and continues as new to keep its
 * history short. The state and its decisions live in ConnectionModel, the commands in ConnectionRuntime;
 * this function registers the handlers and runs it.
 *
 * Handlers refuse in their validators (nothing is recorded for a refused update) and otherwise wait for the
 * one refresh in flight, joining it rather than starting another.
 */
export async function connection(input: ConnectionWorkflowInput): Promise<ConnectionStatus> {
  const runtime = new ConnectionRuntime(input);
  registerHandlers(runtime);
  return runtime.run();
}

function registerHandlers(runtime: ConnectionRuntime): void {
  const { model } = runtime;
  const ready = () => condition(() => model.state !== 'pending' || model.deleteRequested);
  /**
   * Once more, when the token to serve has already run out (see `servesExpiredToken`). Patched: runs from
   * before this answered such a caller with `refresh_failed`; `patched` is asked only when it happens, so
   * histories where it never does stay as they were.
   */
  const refreshIfServingExpired = async () => {
    if (model.servesExpiredToken(Date.now()) && patched('refresh-expired-token-before-serving')) {
      await runtime.refresh('token expired before it was served');
    }
  };

  setHandler(credentialsQuery, () => model.credentials());
  setHandler(connectionStatusQuery, () => model.statusWithParams());
  setHandler(
    renewCredentialsUpdate,
    async (request: RenewRequest) => {
      await ready();
      runtime.refuseUnusable();
      if (model.renewWantsRefresh(request, Date.now())) {
        await runtime.refresh(request.reason === 'rejected' ? 'rejected by provider' : 'caller');
      }
      await refreshIfServingExpired();
      return runtime.noteHistory(runtime.usableCredentials());
    },
    { validator: (_request: RenewRequest) => runtime.refuseUnusable() },
  );
  setHandler(
    getFreshTokenUpdate,
    async (request: FreshTokenRequest) => {
      await ready();
      runtime.refuseUnusable();
      if (model.isStatic || !model.hasGrant()) return runtime.usableCredentials();
      if (model.freshTokenWantsRefresh(request, Date.now())) {
        await runtime.refresh(request.rejectedHeaderValue !== undefined ? 'rejected by provider' : 'caller');
      }
      await refreshIfServingExpired();
      return runtime.noteHistory(runtime.usableCredentials());
    },
    { validator: (_request: FreshTokenRequest) => runtime.refuseUnusable() },
  );
  setHandler(
    refreshNowUpdate,
    async () => {
      // API keys, basic credentials and tokens without a refresh token have nothing to refresh: asking the
      // token endpoint would fail and wrongly mark the connection needs_reauth. Patched: histories written
      // before this asked anyway.
      if (!model.hasGrant() && patched('refresh-now-needs-a-grant')) {
        runtime.refuseUnusable();
        return runtime.noteHistory({ ...model.status });
      }
      await runtime.refresh('requested');
      runtime.refuseUnusable();
      return runtime.noteHistory({ ...model.status });
    },
    { validator: () => runtime.refuseUnusable() },
  );
  setHandler(awaitReadyUpdate, async () => {
    await condition(() => model.state !== 'pending');
    return runtime.noteHistory({ ...model.status });
  });
  setHandler(reauthorizeUpdate, async (fresh: ConnectionSecrets, scopes: string[]) => {
    if (model.deleteRequested) runtime.refuseUnusable();
    await runtime.refreshing;
    model.applyReauthorization(fresh, scopes, Date.now());
    runtime.activate();
    return runtime.noteHistory({ ...model.status });
  });
  setHandler(deleteConnectionUpdate, async () => {
    model.deleteRequested = true;
    await condition(() => runtime.finished);
    return { ...model.status };
  });
}
