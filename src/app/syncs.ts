import type { JunctionClient } from '../client';
import type { JunctionConfig } from '../config/schema';
import type { Logger } from '../logging/logger';
import type { JunctionMetrics } from '../metrics/registry';
import { SYNC_NOTIFY_SOURCE, type SyncNotifyInput } from '../shared/syncContract';
import type { WebhookEvent } from '../shared/webhooks';
import { createSyncStoreActivities, type SyncStoreActivities } from '../sync/activities';
import { SyncCatalogue } from '../sync/catalogue';
import { encodeCursor } from '../sync/cursor';
import { createSyncMetrics, type SyncMetrics } from '../sync/metrics';
import { openRecordStore, storeLocation } from '../sync/store/open';
import type { RecordStore } from '../sync/store/recordStore';
import { WriteStore } from '../sync/store/writeStore';

/** Where the record store comes from: one made by the caller (tests), or configuration (and dev's data dir). */
export interface RecordsOption {
  store?: RecordStore;
  /** `junction dev`: the embedded store's directory when no database is configured. */
  embeddedDir?: string;
  env?: NodeJS.ProcessEnv;
}

export interface AssembledSyncs {
  catalogue: SyncCatalogue;
  /** Open when a provider declares a sync. */
  store?: RecordStore;
  /** The application's writes, in the same store. */
  writes?: WriteStore;
  metrics: SyncMetrics;
  /** Closes the store if it was opened here. */
  close(): Promise<void>;
}

/** Opens the record store when (and only when) a configured provider declares a sync. */
export async function assembleSyncs(
  config: JunctionConfig,
  metrics: JunctionMetrics,
  records: RecordsOption = {},
): Promise<AssembledSyncs> {
  const catalogue = new SyncCatalogue(config.providers);
  const syncMetrics = createSyncMetrics(metrics.registry);
  if (catalogue.size === 0 && !records.store) {
    return { catalogue, metrics: syncMetrics, close: async () => undefined };
  }
  const owned = !records.store;
  const store =
    records.store ??
    (await openRecordStore(
      storeLocation(config.syncs, { env: records.env ?? process.env, embeddedDir: records.embeddedDir }),
    ));
  return {
    catalogue,
    store,
    writes: new WriteStore(store),
    metrics: syncMetrics,
    close: async () => {
      if (owned) await store.db.close();
    },
  };
}

/**
 * "A run changed something", delivered to `syncs.notify` as a webhook delivery of Junction's own source:
 * retried, dead-lettered and replayable like a forward. Its delivery id names the run, so a retried
 * activity finds the delivery it started.
 */
export function syncNotifier(config: JunctionConfig, junction: JunctionClient) {
  const notify = config.syncs.notify;
  if (!notify) return undefined;
  return async (input: SyncNotifyInput): Promise<void> => {
    const payload = {
      connectionId: input.connectionId,
      providerId: input.providerId,
      sync: input.syncName,
      added: input.added,
      updated: input.updated,
      deleted: input.deleted,
      cursor: encodeCursor(input.lastSeq),
    };
    const event: WebhookEvent = {
      sourceId: SYNC_NOTIFY_SOURCE,
      deliveryId: `${input.connectionId}:${input.syncName}:${input.runId}`,
      eventType: 'sync.changed',
      receivedAt: new Date().toISOString(),
      contentType: 'application/json',
      body: { encoding: 'utf8', data: JSON.stringify(payload) },
    };
    await junction.webhooks.start({
      event,
      targets: [{ route: 'notify', kind: 'forward', timeoutMs: notify.timeoutMs }],
      retry: config.delivery.retry,
    });
  };
}

/** The store-side sync activities for Junction's worker. */
export function syncStoreActivities(
  syncs: AssembledSyncs,
  config: JunctionConfig,
  junction: JunctionClient,
  logger: Logger,
): Partial<SyncStoreActivities> {
  if (!syncs.store) return {};
  return createSyncStoreActivities({
    store: syncs.store,
    writes: syncs.writes,
    catalogue: syncs.catalogue,
    logger,
    metrics: syncs.metrics,
    tombstoneRetentionDays: config.syncs.tombstoneRetentionDays,
    notify: syncNotifier(config, junction),
  });
}
