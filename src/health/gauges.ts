import { Gauge, type Registry } from 'prom-client';
import type { ConnectionsClient } from '../client/connectionsClient';
import { withinMs } from './deadline';

/**
 * Gauges of what only Temporal knows, for Prometheus: connections by provider and state, and dead letters
 * waiting by source. They are read from the visibility store when scraped (cached for `cacheMs`), so every
 * process exports the same cluster-wide values; aggregate them with `max`, never `sum` (deploy/prometheus).
 */
export function registerTemporalGauges(deps: {
  registry: Registry;
  connections: ConnectionsClient;
  sourceIds: () => readonly string[];
  countDeadLetters: (sourceId: string) => Promise<number>;
  cacheMs: number;
  now: () => number;
  /** At most this many connections are tallied per scrape (default 10,000). */
  maxListed?: number;
  /** How long a scrape waits for Temporal before it answers with the last values (default 3 s). */
  timeoutMs?: number;
}): void {
  let cached: { at: number; connections: Map<string, number>; deadLetters: Map<string, number> } | undefined;
  let inFlight: Promise<NonNullable<typeof cached>> | undefined;

  const read = async (): Promise<NonNullable<typeof cached>> => {
    const connections = new Map<string, number>();
    let listed = 0;
    for await (const connection of deps.connections.list()) {
      const key = JSON.stringify([connection.providerId, connection.state]);
      connections.set(key, (connections.get(key) ?? 0) + 1);
      if (++listed >= (deps.maxListed ?? 10_000)) break;
    }
    const deadLetters = new Map<string, number>();
    for (const sourceId of deps.sourceIds()) deadLetters.set(sourceId, await deps.countDeadLetters(sourceId));
    return { at: deps.now(), connections, deadLetters };
  };
  // A scrape never waits long for Temporal and never fails because of it: an unreachable Temporal leaves the
  // last values (or none), and the `temporal_unavailable` alerts say why.
  const fresh = async () => {
    if (cached && deps.now() - cached.at < deps.cacheMs) return cached;
    inFlight ??= read().finally(() => {
      inFlight = undefined;
    });
    try {
      cached = await withinMs(inFlight, deps.timeoutMs ?? 3_000, 'Temporal visibility');
    } catch {
      return (
        cached ?? { at: 0, connections: new Map<string, number>(), deadLetters: new Map<string, number>() }
      );
    }
    return cached;
  };

  new Gauge({
    name: 'junction_connections',
    help: 'Running connections by provider and state (pending, active, needs_reauth), from Temporal visibility.',
    labelNames: ['provider', 'state'],
    registers: [deps.registry],
    async collect() {
      this.reset();
      for (const [key, count] of (await fresh()).connections) {
        const [provider, state] = JSON.parse(key) as [string, string];
        this.set({ provider, state }, count);
      }
    },
  });
  new Gauge({
    name: 'junction_dead_letters',
    help: 'Webhook deliveries waiting in the dead letters by source, from Temporal visibility.',
    labelNames: ['source'],
    registers: [deps.registry],
    async collect() {
      this.reset();
      for (const [source, count] of (await fresh()).deadLetters) this.set({ source }, count);
    },
  });
}
