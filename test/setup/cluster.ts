import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import { freeClusterPort, startCluster } from '../../src/temporal/cluster';
import { dropClusterDatabases, type ClusterDatabase } from '../../src/temporal/clusterSchema';
import { connectClient } from '../../src/temporal/connection';
import { setupNamespace } from '../../src/temporal/namespace';
import { provisionTemporalServer } from '../../src/temporal/serverProvision';

/** PostgreSQL the cluster runs on in tests: the local server, trust authentication (see .ci/run). */
const PG = {
  host: process.env.JUNCTION_TEST_PG_HOST ?? '127.0.0.1',
  port: Number(process.env.JUNCTION_TEST_PG_PORT ?? 5432),
  user: process.env.JUNCTION_TEST_PG_USER ?? 'postgres',
};
const PREFIX = 'junction_test_';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Drops the databases of earlier runs whose process is gone (a run killed before its teardown). */
async function dropAbandonedDatabases(): Promise<void> {
  const client = new PgClient({ ...PG, database: 'postgres' });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname LIKE $1',
      [`${PREFIX}%`],
    );
    for (const { datname } of rows) {
      const pid = Number(/^junction_test_(\d+)_/.exec(datname)?.[1]);
      if (Number.isInteger(pid) && !alive(pid)) {
        await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
    }
  } finally {
    await client.end();
  }
}

/**
 * A Temporal server on PostgreSQL for one test run (JUNCTION_TEST_TEMPORAL=cluster): databases of its own
 * (named after this process, dropped at teardown), the default namespace with Junction's search attributes.
 */
export async function startTestCluster(dir: string): Promise<{ address: string; stop(): Promise<void> }> {
  const kit = await provisionTemporalServer({ onProgress: (line) => process.stderr.write(`${line}\n`) });
  await dropAbandonedDatabases();
  const name = `${PREFIX}${process.pid}_${randomBytes(3).toString('hex')}`;
  const db: ClusterDatabase = { ...PG, database: name, visibilityDatabase: `${name}_visibility` };
  const lines: string[] = [];
  const cluster = await startCluster({
    kit,
    db,
    port: await freeClusterPort(),
    dataDir: join(dir, 'cluster'),
    onLog: (line) => {
      lines.push(line);
      if (process.env.JUNCTION_TEST_ECHO_LOGS) process.stderr.write(`temporal: ${line}\n`);
    },
  });
  const stop = async () => {
    await cluster.stop();
    await dropClusterDatabases(db);
  };
  try {
    const connection = await connectClient({ address: cluster.address });
    try {
      await setupNamespace(connection, 'default', { createIfMissing: true, retentionDays: 1 });
    } finally {
      await connection.close();
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { address: cluster.address, stop };
}
