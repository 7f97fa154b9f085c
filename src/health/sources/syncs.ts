import type { SyncsClient } from '../../client/syncsClient';
import type { SyncCatalogue } from '../../sync/catalogue';
import type { HealthFactSource, SyncFacts } from '../types';

/** Streams asked about their last error or parked deletes per report, at most (the rest use visibility). */
const MAX_STATUS_QUERIES = 50;

/**
 * Sync streams' facts from Temporal: every running stream (a visibility list: state and last success), its
 * declared interval, and for a failed stream or one awaiting approval, the reason from its status query.
 */
export function syncFactSource(syncs: SyncsClient, catalogue: SyncCatalogue): HealthFactSource {
  return {
    name: 'syncs',
    async collect(now) {
      const facts: SyncFacts[] = [];
      let queried = 0;
      for (const row of await syncs.list()) {
        const declared = catalogue.find(row.providerId, row.syncName)?.declaration;
        const fact: SyncFacts = {
          connectionId: row.connectionId,
          syncName: row.syncName,
          paused: row.state === 'paused',
          ...(declared ? { intervalSeconds: declared.frequencySeconds } : {}),
          ...(row.lastSuccessAt
            ? { lagSeconds: Math.max(0, (now - Date.parse(row.lastSuccessAt)) / 1_000) }
            : {}),
        };
        const troubled = row.state === 'failed' || row.state === 'awaiting_approval';
        if (troubled && queried++ < MAX_STATUS_QUERIES) {
          const status = await syncs.status(row.connectionId, row.syncName).catch(() => undefined);
          if (status?.lastRun?.error) fact.lastError = status.lastRun.error;
          if (status?.pendingDeletes) fact.parkedDeletes = status.pendingDeletes.unseen;
        }
        facts.push(fact);
      }
      return { syncs: facts };
    },
  };
}
