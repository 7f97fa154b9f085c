import { stringify } from 'yaml';
import type { ClusterDatabase } from './clusterSchema';

/**
 * The default frontend port of `junction temporal cluster`: away from the dev server's 7233 (and its UI on
 * 8233), so both can run on one machine. The cluster takes ten ports from here.
 */
export const DEFAULT_CLUSTER_PORT = 7333;
export const CLUSTER_PORT_COUNT = 10;

/** The ports of the four services in one process: gRPC and membership each, and the frontend's HTTP API. */
export function clusterPorts(base: number) {
  return {
    frontend: base,
    frontendHttp: base + 1,
    history: base + 2,
    matching: base + 3,
    worker: base + 4,
    frontendMembership: base + 5,
    historyMembership: base + 6,
    matchingMembership: base + 7,
    workerMembership: base + 8,
  };
}

/**
 * Dynamic config: search attributes are read fresh (a namespace prepared by `junction temporal setup` can
 * use them at once, as on the dev server). Everything else keeps the server's production defaults (task
 * queue partitions included, so rate limits are tested as they run for real).
 */
export function renderDynamicConfig(): string {
  const value = (v: unknown) => [{ value: v, constraints: {} }];
  return stringify({
    'system.forceSearchAttributesCacheRefreshOnRead': value(true),
  });
}

function datastore(db: ClusterDatabase, database: string, maxConns: number) {
  return {
    sql: {
      pluginName: 'postgres12',
      databaseName: database,
      connectAddr: `${db.host}:${db.port}`,
      connectProtocol: 'tcp',
      user: db.user,
      password: db.password ?? '',
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  };
}

/** The server's static config: PostgreSQL persistence and advanced visibility, all services on `ip`. */
export function renderServerConfig(options: {
  ip: string;
  port: number;
  db: ClusterDatabase;
  dynamicConfigFile: string;
  logLevel?: string;
}): string {
  const ports = clusterPorts(options.port);
  const service = (grpcPort: number, membershipPort: number, extra: Record<string, unknown> = {}) => ({
    rpc: { grpcPort, membershipPort, bindOnIP: options.ip, ...extra },
  });
  return stringify({
    log: { stdout: true, level: options.logLevel ?? 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: 4,
      datastores: {
        'postgres-default': datastore(options.db, options.db.database, 20),
        'postgres-visibility': datastore(options.db, options.db.visibilityDatabase, 10),
      },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: options.ip } },
    services: {
      frontend: service(ports.frontend, ports.frontendMembership, { httpPort: ports.frontendHttp }),
      history: service(ports.history, ports.historyMembership),
      matching: service(ports.matching, ports.matchingMembership),
      worker: service(ports.worker, ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: `${options.ip}:${ports.frontend}`,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: options.dynamicConfigFile, pollInterval: '10s' },
  });
}
