import { hostname } from 'node:os';
import type { CounterRing } from './counterRing';
import { withinMs } from './deadline';
import { connectionHealth, providerHealth, sourceHealth, syncHealth } from './rules';
import {
  worstStatus,
  type EntityHealth,
  type HealthFactSource,
  type HealthFacts,
  type HealthReport,
  type HealthStatus,
} from './types';

/** Merges entities of one kind by id: later sources add to (never erase) what earlier ones said. */
function mergeBy<T extends object>(items: T[], key: (item: T) => string): T[] {
  const merged = new Map<string, T>();
  for (const item of items) {
    const id = key(item);
    const before = merged.get(id);
    merged.set(id, before ? { ...before, ...definedOnly(item) } : item);
  }
  return [...merged.values()].sort((a, b) => key(a).localeCompare(key(b)));
}

function definedOnly<T extends object>(item: T): Partial<T> {
  return Object.fromEntries(Object.entries(item).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function counts(entities: Array<{ status: HealthStatus }>): Record<HealthStatus, number> {
  const out: Record<HealthStatus, number> = { healthy: 0, degraded: 0, failing: 0 };
  for (const entity of entities) out[entity.status] += 1;
  return out;
}

/** Healthy entities first out of the way: failing, then degraded, then the rest, each by id. */
function byUrgency<F>(entities: Array<EntityHealth<F>>): Array<EntityHealth<F>> {
  const rank: Record<HealthStatus, number> = { failing: 0, degraded: 1, healthy: 2 };
  return [...entities].sort((a, b) => rank[a.status] - rank[b.status] || a.id.localeCompare(b.id));
}

/**
 * Integration health: asks every fact source (connections from Temporal, calls and webhooks from this
 * process's counters, and whatever a later module adds), merges what they say per entity, and judges each
 * entity `healthy | degraded | failing` with its reasons.
 */
export class HealthService {
  private readonly sources: HealthFactSource[] = [];

  constructor(
    private readonly deps: {
      ring: CounterRing;
      now: () => number;
      instance?: string;
      /** A fact source that takes longer is reported unavailable (default 15 s). */
      sourceTimeoutMs?: number;
    },
    sources: HealthFactSource[] = [],
  ) {
    this.sources.push(...sources);
  }

  /** The seam for more facts (a sync module adds its lag and conflicts here). */
  addSource(source: HealthFactSource): void {
    this.sources.push(source);
  }

  start(): Promise<void> {
    return this.deps.ring.start();
  }

  stop(): void {
    this.deps.ring.stop();
  }

  async report(): Promise<HealthReport> {
    const now = this.deps.now();
    const timeoutMs = this.deps.sourceTimeoutMs ?? 15_000;
    const results = await Promise.allSettled(
      this.sources.map((source) => withinMs(source.collect(now), timeoutMs, `the ${source.name} facts`)),
    );
    const facts: Required<HealthFacts> = { connections: [], providers: [], sources: [], syncs: [] };
    const unavailable: HealthReport['scope']['unavailable'] = [];
    results.forEach((result, index) => {
      const name = (this.sources[index] as HealthFactSource).name;
      if (result.status === 'rejected') {
        const reason: unknown = result.reason;
        unavailable.push({
          source: name,
          message: reason instanceof Error ? reason.message : String(reason),
        });
        return;
      }
      for (const kind of ['connections', 'providers', 'sources', 'syncs'] as const) {
        (facts[kind] as unknown[]).push(...(result.value[kind] ?? []));
      }
    });
    const connections = byUrgency(
      mergeBy(facts.connections, (c) => c.connectionId).map((c) => connectionHealth(c, now)),
    );
    const providers = byUrgency(mergeBy(facts.providers, (p) => p.providerId).map(providerHealth));
    const sources = byUrgency(mergeBy(facts.sources, (s) => s.sourceId).map(sourceHealth));
    const syncs = byUrgency(mergeBy(facts.syncs, (s) => `${s.connectionId}/${s.syncName}`).map(syncHealth));
    const all = [...connections, ...providers, ...sources, ...syncs];
    return {
      status:
        unavailable.length > 0
          ? worstStatus(['degraded', ...all.map((e) => e.status)])
          : worstStatus(all.map((e) => e.status)),
      checkedAt: new Date(now).toISOString(),
      scope: {
        instance: this.deps.instance ?? `${hostname()}:${process.pid}`,
        countersSince: new Date(this.deps.ring.since ?? now).toISOString(),
        unavailable,
      },
      summary: {
        connections: counts(connections),
        providers: counts(providers),
        sources: counts(sources),
        syncs: counts(syncs),
      },
      connections,
      providers,
      sources,
      syncs,
    };
  }
}
