import type { Command } from 'commander';
import { loadConfig } from '../config/load';
import { RequestError } from '../shared/errors';
import { startCluster } from '../temporal/cluster';
import { DEFAULT_CLUSTER_PORT } from '../temporal/clusterConfig';
import { connectClient } from '../temporal/connection';
import { DEFAULT_RETENTION_DAYS, setupNamespace } from '../temporal/namespace';
import { provisionTemporalServer, TEMPORAL_SERVER_VERSION } from '../temporal/serverProvision';

interface ClusterCommandOptions {
  ip: string;
  port: string;
  dbHost: string;
  dbPort: string;
  dbUser: string;
  database: string;
  visibilityDatabase: string;
  dataDir: string;
  namespace?: string;
  retentionDays: string;
}

function wholeNumber(value: string, flag: string, min = 1, max = 65_535): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new RequestError('bad_request', `${flag} must be a whole number from ${min} to ${max}`);
  }
  return number;
}

const progress = (line: string) => process.stderr.write(`${line}\n`);

/** Runs until SIGINT/SIGTERM (then stops the server) or until the server exits on its own. */
async function runCluster(options: ClusterCommandOptions): Promise<void> {
  const { config } = loadConfig();
  const port = wholeNumber(options.port, '--port');
  const retentionDays = wholeNumber(options.retentionDays, '--retention-days', 1, 3650);
  const db = {
    host: options.dbHost,
    port: wholeNumber(options.dbPort, '--db-port'),
    user: options.dbUser,
    password: process.env.PGPASSWORD || undefined,
    database: options.database,
    visibilityDatabase: options.visibilityDatabase,
  };
  const namespace = options.namespace ?? process.env.TEMPORAL_NAMESPACE ?? config.temporal.namespace;
  const kit = await provisionTemporalServer({ onProgress: progress });
  progress(`Temporal server ${TEMPORAL_SERVER_VERSION}: ${kit.server} (${kit.origin})`);
  const cluster = await startCluster({
    kit,
    db,
    ip: options.ip,
    port,
    dataDir: options.dataDir,
    onLog: progress,
  });
  progress(
    `schema: ${db.database} ${cluster.schema.persistence}, ${db.visibilityDatabase} ${cluster.schema.visibility}`,
  );
  let stopping = false;
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const stop = async () => {
    stopping = true;
    await cluster.stop();
  };
  try {
    const connection = await connectClient({ address: cluster.address });
    try {
      const result = await setupNamespace(connection, namespace, { retentionDays, createIfMissing: true });
      progress(
        `namespace ${namespace}${result.created ? ' (created)' : ''}: registered ${result.registered.length ? result.registered.join(', ') : 'nothing new'}; retention ${retentionDays} days`,
      );
    } finally {
      await connection.close();
    }
  } catch (error) {
    clearInterval(keepAlive);
    await stop();
    throw error;
  }
  process.stdout.write(
    [
      'Temporal cluster is running',
      `  Temporal:   ${cluster.address} (namespace ${namespace})`,
      `  PostgreSQL: ${db.host}:${db.port} databases ${db.database}, ${db.visibilityDatabase}`,
      `  Config:     ${cluster.configFile}`,
      `  Use it:     TEMPORAL_ADDRESS=${cluster.address} junction server | junction worker`,
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    const onSignal = () => {
      if (stopping) return;
      progress('stopping the Temporal server');
      void stop().then(resolve);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    void cluster.exited.then(() => {
      if (stopping) return;
      progress('the Temporal server exited on its own');
      process.exitCode = 1;
      resolve();
    });
  });
  clearInterval(keepAlive);
  progress('stopped');
}

/** `junction temporal cluster`: a Temporal server on PostgreSQL, set up for Junction. */
export function registerClusterCommand(temporal: Command): void {
  temporal
    .command('cluster')
    .description(
      `run a Temporal server ${TEMPORAL_SERVER_VERSION} on PostgreSQL (schema set up or updated, namespace and search attributes prepared) until SIGINT/SIGTERM`,
    )
    .option('--ip <ip>', 'address the server listens on', '127.0.0.1')
    .option(
      '--port <port>',
      'frontend gRPC port (the cluster uses the ten ports from here)',
      String(DEFAULT_CLUSTER_PORT),
    )
    .option('--db-host <host>', 'PostgreSQL host (password, if any, from PGPASSWORD)', '127.0.0.1')
    .option('--db-port <port>', 'PostgreSQL port', '5432')
    .option('--db-user <user>', 'PostgreSQL user', 'postgres')
    .option('--database <name>', 'persistence database', 'junction_temporal')
    .option('--visibility-database <name>', 'advanced visibility database', 'junction_temporal_visibility')
    .option('--data-dir <dir>', "where the server's config files are written", '.junction/cluster')
    .option(
      '--namespace <namespace>',
      'namespace to create and prepare (default: TEMPORAL_NAMESPACE or the config)',
    )
    .option(
      '--retention-days <days>',
      'closed-execution retention (the dedupe window)',
      String(DEFAULT_RETENTION_DAYS),
    )
    .action((options: ClusterCommandOptions) => runCluster(options));
}
