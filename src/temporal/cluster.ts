import { createServer } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { prepareClusterSchema, type ClusterDatabase, type SchemaStep } from './clusterSchema';
import { CLUSTER_PORT_COUNT, renderDynamicConfig, renderServerConfig } from './clusterConfig';
import type { TemporalServerKit } from './serverProvision';
import { spawnSupervised, waitUntilServing } from './supervised';

export interface ClusterOptions {
  kit: TemporalServerKit;
  db: ClusterDatabase;
  ip?: string;
  /** The frontend's gRPC port; the cluster takes the ten ports from here (see clusterPorts). */
  port: number;
  /** Where the server's config files are written. */
  dataDir: string;
  /** Lines the server prints (it logs at warn level and above unless `logLevel` says otherwise). */
  onLog?: (line: string) => void;
  logLevel?: string;
  readyTimeoutMs?: number;
}

export interface RunningCluster {
  address: string;
  schema: { persistence: SchemaStep; visibility: SchemaStep };
  configFile: string;
  /** Resolves if the server exits (after stop() or on its own). */
  exited: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Sets up (or updates) the schema, writes the config and starts the Temporal server with PostgreSQL
 * persistence and advanced visibility; resolves once its frontend answers health checks.
 */
export async function startCluster(options: ClusterOptions): Promise<RunningCluster> {
  const ip = options.ip ?? '127.0.0.1';
  const schema = await prepareClusterSchema(options.kit.sqlTool, options.kit.schemaDir, options.db);
  const dir = resolve(options.dataDir);
  mkdirSync(dir, { recursive: true });
  const dynamicConfigFile = join(dir, 'dynamicconfig.yaml');
  writeFileSync(dynamicConfigFile, renderDynamicConfig());
  const configFile = join(dir, 'temporal-server.yaml');
  // Mode 0600: the file holds the database password when there is one.
  writeFileSync(
    configFile,
    renderServerConfig({
      ip,
      port: options.port,
      db: options.db,
      dynamicConfigFile,
      logLevel: options.logLevel,
    }),
    { mode: 0o600 },
  );
  const server = spawnSupervised(
    options.kit.server,
    ['--config-file', configFile, '--allow-no-auth', 'start'],
    { cwd: dir, onLog: options.onLog, keepLines: 20 },
  );
  const address = `${ip}:${options.port}`;
  try {
    await waitUntilServing(address, server, options.readyTimeoutMs ?? 120_000, 'the Temporal server');
  } catch (error) {
    server.kill();
    throw error;
  }
  return { address, schema, configFile, exited: server.exited, stop: () => server.stop(30_000) };
}

function bindable(host: string, port: number): Promise<boolean> {
  return new Promise((resolveBind) => {
    const probe = createServer();
    probe.once('error', () => resolveBind(false));
    probe.listen(port, host, () => probe.close(() => resolveBind(true)));
  });
}

/** A first port from which the cluster's ten ports are all free (below the ephemeral range). */
export async function freeClusterPort(host = '127.0.0.1'): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    let free = true;
    for (let offset = 0; offset < CLUSTER_PORT_COUNT && free; offset++) {
      free = await bindable(host, base + offset);
    }
    if (free) return base;
  }
  throw new Error(`no ${CLUSTER_PORT_COUNT} consecutive free ports on ${host}`);
}
