import pg from 'pg';
import type { SqlDatabase, SqlExecutor } from './sql';

/**
 * A PostgreSQL server through node-postgres' pool (`JUNCTION_DATABASE_URL`). `schema`, when given, is created
 * if missing and put first on each connection's search path (tests isolate themselves this way).
 */
export async function openPostgres(
  url: string,
  options: { schema?: string; max?: number } = {},
): Promise<SqlDatabase> {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10 });
  if (options.schema) {
    const schema = pg.escapeIdentifier(options.schema);
    await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    pool.on('connect', (client) => {
      void client.query(`SET search_path TO ${schema}`);
    });
  }
  // A pool that cannot reach the server fails here, at start-up, rather than at the first sync.
  await pool.query('SELECT 1');
  const run = (executor: pg.Pool | pg.PoolClient): SqlExecutor => ({
    query: async (sql, params) => executor.query(sql, params),
    // Without parameters node-postgres uses the simple protocol, which takes several statements.
    exec: async (sql) => void (await executor.query(sql)),
  });
  return {
    kind: 'postgres',
    ...run(pool),
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(run(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
