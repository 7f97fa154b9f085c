import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client as PgClient } from 'pg';
import { TemporalError } from '../shared/errors';

/** Where the cluster keeps its state: one PostgreSQL server, persistence and visibility in their own databases. */
export interface ClusterDatabase {
  host: string;
  port: number;
  user: string;
  /** Unset for trust or peer authentication. */
  password?: string;
  /** Workflow histories, task queues, namespaces. */
  database: string;
  /** Advanced visibility: list filters and search attributes. */
  visibilityDatabase: string;
}

export type SchemaStep = 'created' | 'set up' | 'updated';

function pgClient(db: ClusterDatabase, database: string): PgClient {
  return new PgClient({ host: db.host, port: db.port, user: db.user, password: db.password, database });
}

async function withPg<T>(db: ClusterDatabase, database: string, use: (client: PgClient) => Promise<T>) {
  const client = pgClient(db, database);
  try {
    await client.connect();
  } catch (error) {
    throw new TemporalError(
      'temporal_server_unavailable',
      `cannot reach PostgreSQL at ${db.host}:${db.port} as ${db.user}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function runSqlTool(sqlTool: string, db: ClusterDatabase, database: string, args: string[]) {
  const base = ['--plugin', 'postgres12', '--ep', db.host, '-p', String(db.port), '-u', db.user];
  try {
    await promisify(execFile)(sqlTool, [...base, '--db', database, ...args], {
      // The tool reads the password from SQL_PASSWORD, so it never shows in a process listing.
      env: { ...process.env, SQL_PASSWORD: db.password ?? '' },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new TemporalError(
      'temporal_server_unavailable',
      `temporal-sql-tool ${args[0]} on ${database} failed: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
      { cause: error },
    );
  }
}

/**
 * Brings one database to the release's schema with temporal-sql-tool: creates it when missing, sets up
 * the version table on a new one, then `update-schema` (a no-op when it is current), so it is idempotent.
 */
async function prepareDatabase(
  sqlTool: string,
  db: ClusterDatabase,
  database: string,
  versionedDir: string,
): Promise<SchemaStep> {
  const exists = await withPg(db, 'postgres', async (client) => {
    const result = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    return result.rowCount === 1;
  });
  if (!exists) await runSqlTool(sqlTool, db, database, ['create-database']);
  const versioned = await withPg(db, database, async (client) => {
    const result = await client.query<{ table: string | null }>(
      "SELECT to_regclass('schema_version')::text AS table",
    );
    return Boolean(result.rows[0]?.table);
  });
  if (!versioned) await runSqlTool(sqlTool, db, database, ['setup-schema', '-v', '0.0']);
  await runSqlTool(sqlTool, db, database, ['update-schema', '-d', versionedDir]);
  return !exists ? 'created' : !versioned ? 'set up' : 'updated';
}

/** Sets up (or updates) the persistence and visibility schemas of the pinned release. */
export async function prepareClusterSchema(
  sqlTool: string,
  schemaDir: string,
  db: ClusterDatabase,
): Promise<{ persistence: SchemaStep; visibility: SchemaStep }> {
  const persistence = await prepareDatabase(
    sqlTool,
    db,
    db.database,
    join(schemaDir, 'temporal', 'versioned'),
  );
  const visibility = await prepareDatabase(
    sqlTool,
    db,
    db.visibilityDatabase,
    join(schemaDir, 'visibility', 'versioned'),
  );
  return { persistence, visibility };
}

/** Drops both databases (the test runs' clean-up); connections still open are closed by PostgreSQL. */
export async function dropClusterDatabases(db: ClusterDatabase): Promise<void> {
  await withPg(db, 'postgres', async (client) => {
    for (const name of [db.database, db.visibilityDatabase]) {
      await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    }
  });
}
