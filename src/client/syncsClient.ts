import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import type { JunctionConfig } from '../config/schema';
import { SyncError } from '../shared/errors';
import {
  JUNCTION_CONNECTION_ID,
  JUNCTION_LAST_SUCCESS_AT,
  JUNCTION_SOURCE,
  JUNCTION_STATE,
} from '../shared/searchAttributes';
import {
  SYNC_WORKFLOW,
  approveDeletesSignal,
  pauseSyncSignal,
  recordsChangedSignal,
  rejectDeletesSignal,
  resumeSyncSignal,
  writesWaitingSignal,
  syncNowUpdate,
  syncStatusQuery,
  syncWorkflowId,
  type RecordsChanged,
  type SyncNowRequest,
  type SyncStatus,
} from '../shared/syncContract';
import type { SyncCatalogue } from '../sync/catalogue';
import type { sync } from '../workflows/sync';
import type { ConnectionsClient } from './connectionsClient';
import { retryTransient } from './grpc';
import { visibilityLiteral } from './visibility';

/** A sync as the list shows it: from visibility, so no worker is needed. */
export interface ListedSync {
  connectionId: string;
  providerId: string;
  syncName: string;
  /** `JunctionState`: idle, syncing, paused, awaiting_approval or failed. */
  state: string;
  lastSuccessAt?: string;
}

/**
 * Syncs of connections: enable (start the stream's workflow), disable, list, and drive one (sync now, pause,
 * resume, approve or reject parked deletes), each through Temporal only; records are read from the store.
 */
export class SyncsClient {
  private readonly historyEventLimit: number;

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly catalogue: SyncCatalogue,
    private readonly connections: ConnectionsClient,
    config: Pick<JunctionConfig, 'syncs'>,
  ) {
    this.historyEventLimit = config.syncs.historyEventLimit;
  }

  /** A provider's declared sync (no Temporal call: the stream row names the provider). */
  declaration(providerId: string, syncName: string) {
    return this.catalogue.find(providerId, syncName);
  }

  /**
   * Tells the stream's workflow that application writes wait in the store. Best effort: a write is stored
   * before this, and every run of the stream drains what a lost signal left behind.
   */
  async writesWaiting(connectionId: string, syncName: string): Promise<boolean> {
    try {
      await this.client.workflow
        .getHandle(syncWorkflowId(connectionId, syncName))
        .signal(writesWaitingSignal);
      return true;
    } catch {
      return false;
    }
  }

  /** The declared sync of a connection's provider, or `unknown_sync` (the connection must exist). */
  async declared(connectionId: string, syncName: string) {
    const { providerId } = await this.connections.status(connectionId);
    const found = this.catalogue.find(providerId, syncName);
    if (!found) {
      throw new SyncError('unknown_sync', `provider "${providerId}" declares no sync "${syncName}"`, {
        details: { providerId, syncName },
      });
    }
    return found;
  }

  /** Starts the stream's workflow (its first run begins at once); enabling a running sync changes nothing. */
  async enable(connectionId: string, syncName: string): Promise<SyncStatus> {
    const found = await this.declared(connectionId, syncName);
    await this.startStream(connectionId, found.providerId, syncName, found.declaration.frequencySeconds);
    return this.status(connectionId, syncName);
  }

  /** Starts a stream without asking the connection (a new connection's syncs enabled by default). */
  async startStream(
    connectionId: string,
    providerId: string,
    syncName: string,
    frequencySeconds: number,
  ): Promise<void> {
    await retryTransient(() =>
      this.client.workflow.start<typeof sync>(SYNC_WORKFLOW, {
        workflowId: syncWorkflowId(connectionId, syncName),
        taskQueue: this.taskQueue,
        args: [
          {
            connectionId,
            providerId,
            syncName,
            frequencyMs: frequencySeconds * 1_000,
            historyEventLimit: this.historyEventLimit,
          },
        ],
        workflowIdConflictPolicy: 'USE_EXISTING',
        typedSearchAttributes: [
          { key: JUNCTION_SOURCE, value: providerId },
          { key: JUNCTION_CONNECTION_ID, value: connectionId },
          { key: JUNCTION_STATE, value: 'idle' },
        ],
      }),
    );
  }

  /** Starts the syncs a connection's provider declares `enabledByDefault` (a new connection's). */
  async enableDefaults(connectionId: string): Promise<void> {
    if (this.catalogue.size === 0) return;
    const { providerId } = await this.connections.status(connectionId);
    for (const found of this.catalogue.ofProvider(providerId)) {
      if (!found.declaration.enabledByDefault) continue;
      await this.startStream(connectionId, providerId, found.name, found.declaration.frequencySeconds);
    }
  }

  /** Stops every sync of a connection (it was deleted); the records stay readable. */
  async disableAll(connectionId: string): Promise<void> {
    if (this.catalogue.size === 0) return;
    for (const listed of await this.list({ connectionId })) {
      await this.disable(connectionId, listed.syncName).catch(() => undefined);
    }
  }

  /** Stops the stream's workflow; its records stay in the store. */
  async disable(connectionId: string, syncName: string): Promise<void> {
    await this.running(connectionId, syncName, (handle) => handle.cancel());
  }

  async status(connectionId: string, syncName: string): Promise<SyncStatus> {
    return this.running(connectionId, syncName, (handle) => handle.query(syncStatusQuery));
  }

  /** Running syncs, of one connection or all (a visibility query). */
  async list(filter: { connectionId?: string } = {}): Promise<ListedSync[]> {
    const clauses = [`WorkflowType = '${SYNC_WORKFLOW}'`, `ExecutionStatus = 'Running'`];
    if (filter.connectionId) {
      clauses.push(`${JUNCTION_CONNECTION_ID.name} = ${visibilityLiteral(filter.connectionId)}`);
    }
    const listed: ListedSync[] = [];
    for await (const info of this.client.workflow.list({ query: clauses.join(' AND ') })) {
      const attributes = info.typedSearchAttributes;
      const [, , ...rest] = info.workflowId.split(':');
      const lastSuccess = attributes.get(JUNCTION_LAST_SUCCESS_AT);
      listed.push({
        connectionId: attributes.get(JUNCTION_CONNECTION_ID) ?? '',
        providerId: attributes.get(JUNCTION_SOURCE) ?? '',
        syncName: rest.join(':'),
        state: attributes.get(JUNCTION_STATE) ?? 'idle',
        ...(lastSuccess ? { lastSuccessAt: lastSuccess.toISOString() } : {}),
      });
    }
    return listed;
  }

  /** `sync now` (optionally in full, or from scratch): resolves once the stream has taken the request. */
  async run(connectionId: string, syncName: string, request: SyncNowRequest = {}): Promise<SyncStatus> {
    await this.running(connectionId, syncName, (handle) =>
      handle.executeUpdate(syncNowUpdate, { args: [request], updateId: randomUUID() }),
    );
    return this.status(connectionId, syncName);
  }

  async pause(connectionId: string, syncName: string): Promise<void> {
    await this.running(connectionId, syncName, (handle) => handle.signal(pauseSyncSignal));
  }

  async resume(connectionId: string, syncName: string): Promise<void> {
    await this.running(connectionId, syncName, (handle) => handle.signal(resumeSyncSignal));
  }

  /** Approves (or rejects) the deletes a sweep parked; `not_awaiting_approval` when none are parked. */
  async decideDeletes(connectionId: string, syncName: string, approve: boolean): Promise<SyncStatus> {
    const status = await this.status(connectionId, syncName);
    if (!status.pendingDeletes) {
      throw new SyncError(
        'not_awaiting_approval',
        `sync "${syncName}" of connection "${connectionId}" has no deletes waiting for approval`,
      );
    }
    await this.running(connectionId, syncName, (handle) =>
      handle.signal(approve ? approveDeletesSignal : rejectDeletesSignal),
    );
    return status;
  }

  /** Records a provider webhook brought, for the stream to apply (newer version wins). */
  async recordsChanged(connectionId: string, syncName: string, batch: RecordsChanged): Promise<void> {
    await this.running(connectionId, syncName, (handle) => handle.signal(recordsChangedSignal, batch));
  }

  private async running<T>(
    connectionId: string,
    syncName: string,
    act: (handle: ReturnType<Client['workflow']['getHandle']>) => Promise<T>,
  ): Promise<T> {
    const handle = this.client.workflow.getHandle(syncWorkflowId(connectionId, syncName));
    const notEnabled = (cause?: unknown) =>
      new SyncError(
        'sync_not_enabled',
        `sync "${syncName}" is not enabled for connection "${connectionId}"`,
        {
          cause,
          details: { connectionId, syncName },
        },
      );
    try {
      const description = await retryTransient(() => handle.describe());
      if (description.status.name !== 'RUNNING') throw notEnabled();
      return await retryTransient(() => act(handle));
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw notEnabled(error);
      throw error;
    }
  }
}
