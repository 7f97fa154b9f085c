import type { SyncCatalogue } from '../sync/catalogue';
import { syncFactSource } from './sources/syncs';
import type { JunctionClient } from '../client';
import type { BreakerSnapshot } from '../calls/breaker';
import type { JunctionConfig } from '../config/schema';
import type { JunctionMetrics } from '../metrics/registry';
import { CounterRing, registryCounters } from './counterRing';
import { registerTemporalGauges } from './gauges';
import { HealthService } from './service';
import { callFactSource, PROVIDER_CALLS, TOKEN_REQUESTS } from './sources/calls';
import { connectionFactSource } from './sources/connections';
import { webhookFactSource, WEBHOOKS_RECEIVED } from './sources/webhooks';

export { HealthService } from './service';
export type * from './types';

/** One sample of the counters every 15 s, kept for an hour (the longest window). */
export const DEFAULT_SAMPLE_INTERVAL_MS = 15_000;

/**
 * Integration health for one process, wired from what it has: Junction's client (connections and dead
 * letters from Temporal), its metrics registry (call, token and webhook counters, sampled into a ring) and,
 * in a process that runs provider workers, their breakers. Also registers the Temporal-backed gauges
 * (`junction_connections`, `junction_dead_letters`) on the registry.
 */
export function createHealthService(deps: {
  config: JunctionConfig;
  junction: JunctionClient;
  metrics: JunctionMetrics;
  breakers?: () => Record<string, BreakerSnapshot>;
  now?: () => number;
  sampleIntervalMs?: number;
  /** Declared syncs: their streams' lag, failures and parked deletes join the report. */
  syncCatalogue?: SyncCatalogue;
}): HealthService {
  const now = deps.now ?? Date.now;
  const { registry } = deps.metrics;
  const ring = new CounterRing(
    registryCounters(registry, [PROVIDER_CALLS, TOKEN_REQUESTS, WEBHOOKS_RECEIVED]),
    {
      intervalMs: deps.sampleIntervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS,
      horizonMs: 60 * 60_000,
      now,
    },
  );
  const countDeadLetters = (sourceId: string) => deps.junction.webhooks.countDeadLetters(sourceId);
  registerTemporalGauges({
    registry,
    connections: deps.junction.connections,
    sourceIds: () => deps.config.sources.map((source) => source.id),
    countDeadLetters,
    cacheMs: deps.sampleIntervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS,
    now,
  });
  return new HealthService({ ring, now }, [
    connectionFactSource(deps.junction.connections),
    callFactSource({ providers: () => deps.config.providers, ring, breakers: deps.breakers }),
    webhookFactSource({ sources: () => deps.config.sources, ring, registry, countDeadLetters }),
    ...(deps.syncCatalogue && deps.syncCatalogue.size > 0
      ? [syncFactSource(deps.junction.syncs, deps.syncCatalogue)]
      : []),
  ]);
}
