import {
  type ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { JunctionActivities } from '../activities';
import { activityOptions } from '../shared/activityOptions';
import type {
  ConnectionEventType,
  ConnectionState,
  ConnectionStatus,
  ConnectionWorkflowInput,
} from '../shared/connectionContract';
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
 * The connection workflow's wiring around its ConnectionModel: the memo and search attribute, events to the
 * application, the one refresh in flight, the timer loop, continue-as-new and delete. Its methods issue the
 * workflow's commands; handlers (./connection.ts) call them.
 */
export class ConnectionRuntime {
  readonly model: ConnectionModel;
  /** The refresh in flight, which every caller joins: at most one token request at a time. */
  refreshing: Promise<void> | undefined;
  /** The connection finished deleting: the delete update may answer. */
  finished = false;
  private wake = false;
  /** Whether this run decides continue-as-new on kept events only (see `run`; patched). */
  private keptEventsOnly = false;
  /** Set by accepted updates when the history has grown past the limit: continue as new at the next turn. */
  private continueWanted = false;
  private readonly notifications = new Set<Promise<void>>();

  constructor(private readonly input: ConnectionWorkflowInput) {
    this.model = new ConnectionModel(input, Date.now());
  }

  private historyFull(): boolean {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength > this.input.timing.historyEventLimit;
  }

  /** Called as an accepted update returns (a point history keeps): asks the loop to continue as new. */
  noteHistory<T>(result: T): T {
    if (this.keptEventsOnly && this.historyFull()) this.continueWanted = true;
    return result;
  }

  publish(): void {
    this.model.syncExpiry();
    upsertMemo(this.model.memo());
  }

  setState(state: ConnectionState): void {
    if (this.model.setState(state)) upsertSearchAttributes([{ key: JUNCTION_STATE, value: state }]);
    this.publish();
    this.wake = true;
  }

  /** Tells the application; events never hold up refreshes or callers, and are awaited only at the end. */
  notify(type: ConnectionEventType, reason?: string): void {
    const { connectionId, providerId } = this.model;
    const sent: Promise<void> = appEvents
      .notifyConnectionEvent({ type, connectionId, providerId, occurredAt: new Date().toISOString(), reason })
      .then(
        () => undefined,
        (error: unknown) => {
          if (!isCancellation(error))
            log.warn('connection event not delivered', { type, error: failureOf(error).code });
        },
      )
      .finally(() => this.notifications.delete(sent));
    this.notifications.add(sent);
  }

  activate(): void {
    const first = this.model.state === 'pending';
    this.setState('active');
    if (first) this.notify('connection.created');
  }

  private async doRefresh(why: string): Promise<void> {
    const { model } = this;
    const { connectionId, providerId, mode } = model;
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
      this.activate();
      log.info('credentials refreshed', { connectionId, why, expiresAt: model.status.expiresAt });
    } catch (error) {
      if (isCancellation(error)) throw error;
      const failure = failureOf(error);
      if (model.applyRefreshFailure(failure, Date.now()) === 'needs_reauth') {
        this.setState('needs_reauth');
        log.warn('connection needs re-authorization', { connectionId, reason: failure.code });
        this.notify('connection.needs_reauth', failure.code);
      } else {
        this.publish();
        log.warn('refresh failed; trying again later', { connectionId, code: failure.code });
      }
    }
  }

  /** Refreshes, or joins the refresh already running: at most one token request at a time. */
  refresh(why: string): Promise<void> {
    this.refreshing ??= this.doRefresh(why).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  refuseUnusable(): void {
    const refusal = this.model.refusal();
    if (refusal) throw refused(refusal);
  }

  usableCredentials() {
    const refusal = this.model.unusable(Date.now());
    if (refusal) throw refused(refusal);
    return this.model.credentials();
  }

  /**
   * The workflow's life after its handlers are registered: first credentials, then refresh on a timer until
   * deleted (continuing as new when the history is long), then revoke and finish.
   */
  async run(): Promise<ConnectionStatus> {
    const { model } = this;
    upsertSearchAttributes([{ key: JUNCTION_STATE, value: model.state }]);
    this.publish();
    if (model.state === 'pending') {
      if (model.isStatic || model.secrets.accessToken) this.activate();
      else await this.refresh('initial');
    }
    while (!model.deleteRequested) {
      this.wake = false;
      this.continueWanted = false;
      // The timer's duration is not part of what a replay compares: running connections take the capped
      // timing without a patch.
      const due = model.nextRefreshAt(Date.now());
      /*
       * Only what history keeps may move the loop. An update that the validator rejects is delivered in a
       * speculative workflow task that the server then drops: the worker saw that activation (and its larger
       * history length) but a replay never will. Runs from before this patch also woke when the history
       * length passed the limit, which such an activation could make happen (seen as `No command scheduled
       * for event WorkflowExecutionContinuedAsNew` on replay); now the length is read only at a timer, a state
       * change or an accepted update, all of which history keeps.
       */
      this.keptEventsOnly = patched('continue-as-new-on-kept-events');
      const woken = () =>
        model.deleteRequested ||
        this.wake ||
        this.continueWanted ||
        (!this.keptEventsOnly && this.historyFull());
      let timedOut = false;
      const refreshesWhenSet = model.status.refreshCount;
      if (due === undefined) await condition(woken);
      else timedOut = !(await condition(woken, Math.max(due - Date.now(), 1)));
      if (timedOut && !model.deleteRequested && this.timerStillDue(refreshesWhenSet))
        await this.refresh(model.retryAt !== undefined ? 'retry' : 'ahead of expiry');
      if ((this.continueWanted || this.historyFull()) && !model.deleteRequested) {
        await this.refreshing;
        await Promise.all([...this.notifications]);
        await condition(allHandlersFinished);
        if (!model.deleteRequested) await continueAsNew(model.continuation());
      }
    }
    return this.finish();
  }

  /**
   * Whether the refresh timer that just fired still has a refresh to do: none has succeeded since it was set
   * (one in flight is joined). A refresh that callers started at the same moment can finish in the very
   * workflow task in which the timer fires (a busy worker picks both up together); the timer, set for the old
   * token, then made a second token request for the same expiry. The loop goes round instead and sets the
   * timer for the new token. Patched: runs from before refreshed anyway; `patched` is asked only when a
   * refresh did finish, so other histories stay as they were.
   */
  private timerStillDue(refreshesWhenSet: number): boolean {
    if (this.model.status.refreshCount === refreshesWhenSet) return true;
    return !patched('refresh-timer-skips-after-a-refresh');
  }

  /** Revokes at the provider (best effort), forgets the secrets, tells the application, and ends. */
  private async finish(): Promise<ConnectionStatus> {
    const { model } = this;
    const { connectionId, providerId } = model;
    await this.refreshing;
    if (model.hasGrant() || model.secrets.accessToken) {
      try {
        await revocation.revokeCredentials({ connectionId, providerId, secrets: { ...model.secrets } });
      } catch (error) {
        if (isCancellation(error)) throw error;
        log.warn('revocation failed; deleting anyway', { connectionId, code: failureOf(error).code });
      }
    }
    model.wipeSecrets();
    this.setState('deleted');
    this.notify('connection.deleted');
    await Promise.all([...this.notifications]);
    this.finished = true;
    await condition(allHandlersFinished);
    return { ...model.status };
  }
}
