import { Counter, Gauge, type Registry } from 'prom-client';
import type { SyncStreamRef } from '../shared/syncContract';

/** Sync metrics: records written and pages read per sync, lag and parked deletes per stream. */
export interface SyncMetrics {
  written(ref: SyncStreamRef, action: 'added' | 'updated' | 'deleted', count: number): void;
  page(ref: SyncStreamRef): void;
  finished(ref: SyncStreamRef, at: Date): void;
  parked(ref: SyncStreamRef, deletes: number): void;
}

/** Registers the sync metrics on Junction's registry. Lag is computed when scraped, from each last success. */
export function createSyncMetrics(registry: Registry, now: () => number = Date.now): SyncMetrics {
  const records = new Counter({
    name: 'junction_sync_records_written_total',
    help: 'Records a sync added, updated or deleted in the store (unchanged ones write nothing).',
    labelNames: ['provider', 'sync', 'action'],
    registers: [registry],
  });
  const pages = new Counter({
    name: 'junction_sync_pages_total',
    help: 'Provider pages a sync fetched and wrote.',
    labelNames: ['provider', 'sync'],
    registers: [registry],
  });
  const lastSuccess = new Map<string, { labels: Record<string, string>; at: number }>();
  new Gauge({
    name: 'junction_sync_lag_seconds',
    help: 'Seconds since the stream last finished a run successfully (per stream this process ran).',
    labelNames: ['provider', 'sync', 'connection'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, at } of lastSuccess.values()) this.set(labels, Math.max(0, (now() - at) / 1_000));
    },
  });
  const parked = new Gauge({
    name: 'junction_sync_parked_deletes',
    help: 'Deletes a sweep holds back until an operator approves or rejects them (mass-delete guard).',
    labelNames: ['provider', 'sync', 'connection'],
    registers: [registry],
  });
  const streamLabels = (ref: SyncStreamRef) => ({
    provider: ref.providerId,
    sync: ref.syncName,
    connection: ref.connectionId,
  });
  return {
    written(ref, action, count) {
      if (count > 0) records.inc({ provider: ref.providerId, sync: ref.syncName, action }, count);
    },
    page(ref) {
      pages.inc({ provider: ref.providerId, sync: ref.syncName });
    },
    finished(ref, at) {
      lastSuccess.set(`${ref.connectionId}\u0000${ref.syncName}`, {
        labels: streamLabels(ref),
        at: at.getTime(),
      });
    },
    parked(ref, deletes) {
      parked.set(streamLabels(ref), deletes);
    },
  };
}
