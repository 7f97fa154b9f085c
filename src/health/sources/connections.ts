import type { ConnectionsClient } from '../../client/connectionsClient';
import { connectionStatusQuery, connectionWorkflowId } from '../../shared/connectionContract';
import type { ConnectionFacts, HealthFactSource, ProviderFacts } from '../types';

export interface ConnectionSourceOptions {
  /** At most this many running connections are listed (a visibility query); default 2,000. */
  maxListed?: number;
  /** At most this many are asked their status (a query each, needs a worker); default 200. */
  maxQueried?: number;
  /** How long one status query may take before the memo is used instead; default 2 s. */
  queryTimeoutMs?: number;
}

const QUERY_CONCURRENCY = 8;

/**
 * Connections from Temporal: every running `connection:<id>` from the visibility store (state, expiry horizon
 * and last refresh from its memo, no worker needed), then each one's status query for the last refresh's
 * outcome and the re-authorization reason (a worker answers; on timeout the memo stands). Temporal is
 * shared, so every process reports the same connections.
 */
export function connectionFactSource(
  connections: ConnectionsClient,
  options: ConnectionSourceOptions = {},
): HealthFactSource {
  const maxListed = options.maxListed ?? 2_000;
  const maxQueried = options.maxQueried ?? 200;
  const timeoutMs = options.queryTimeoutMs ?? 2_000;
  const client = connections.client;

  const detailed = async (listed: ConnectionFacts): Promise<ConnectionFacts> => {
    try {
      const handle = client.workflow.getHandle(connectionWorkflowId(listed.connectionId));
      const status = await client.withDeadline(Date.now() + timeoutMs, () =>
        handle.query(connectionStatusQuery),
      );
      return {
        connectionId: listed.connectionId,
        providerId: status.providerId,
        mode: status.mode,
        state: status.state,
        expiresAt: status.expiresAt,
        lastRefreshAt: status.lastRefreshAt,
        refreshCount: status.refreshCount,
        lastError: status.lastError,
        reauthReason: status.reauthReason,
        createdAt: status.createdAt,
        detail: 'query',
      };
    } catch {
      return listed;
    }
  };

  return {
    name: 'connections',
    async collect() {
      const listed: ConnectionFacts[] = [];
      for await (const memo of connections.list()) {
        listed.push({
          connectionId: memo.connectionId,
          providerId: memo.providerId,
          mode: memo.mode,
          state: memo.state,
          expiresAt: memo.expiresAt,
          lastRefreshAt: memo.lastRefreshAt,
          createdAt: memo.createdAt,
          detail: 'memo',
        });
        if (listed.length >= maxListed) break;
      }
      const facts = [...listed];
      let next = 0;
      const lane = async () => {
        while (next < Math.min(maxQueried, listed.length)) {
          const index = next++;
          facts[index] = await detailed(listed[index] as ConnectionFacts);
        }
      };
      await Promise.all(Array.from({ length: QUERY_CONCURRENCY }, lane));
      return { connections: facts, providers: providerCounts(facts) };
    },
  };
}

/** How many connections each provider has, by state. */
function providerCounts(facts: ConnectionFacts[]): ProviderFacts[] {
  const byProvider = new Map<
    string,
    ProviderFacts & { connections: NonNullable<ProviderFacts['connections']> }
  >();
  for (const fact of facts) {
    let entry = byProvider.get(fact.providerId);
    if (!entry) {
      entry = { providerId: fact.providerId, connections: { total: 0, byState: {} } };
      byProvider.set(fact.providerId, entry);
    }
    entry.connections.total += 1;
    entry.connections.byState[fact.state] = (entry.connections.byState[fact.state] ?? 0) + 1;
  }
  return [...byProvider.values()];
}
