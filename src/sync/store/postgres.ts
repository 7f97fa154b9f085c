import pg from 'pg';
import type { SqlDatabase, SqlExecutor } from './sql';

/**
 * A PostgreSQL server through node-postgres' pool (`JUNCTION_DATABASE_URL`). `schema`, when given, is created
 * if missing and put first on each connection's search path (tests isolate themselves this way). `prepare:
 * false` runs named statements unnamed (parsed and planned every time), for poolers that cannot keep them.
 */
export async function openPostgres(
  url: string,
  options: { schema?: string; max?: number; prepare?: boolean } = {},
): Promise<SqlDatabase> {
  const prepare = options.prepare ?? true;
  if (options.schema && !/^[a-z_][a-z0-9_]*$/.test(options.schema)) {
    throw new Error(`schema "${options.schema}" is not a lower-case SQL identifier`);
  }
  if (options.schema) {
    const setup = new pg.Client({ connectionString: url });
    await setup.connect();
    try {
      await setup.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(options.schema)}`);
    } finally {
      await setup.end();
    }
  }
  // The schema goes first on every pooled connection's search path, set as the connection starts.
  const max = options.max ?? 10;
  // A page reads on two connections at once, then writes: two stay open between runs (the pool would close
  // every idle one after 10 s, and each run would start on new server processes, their caches and prepared
  // statements cold).
  const warm = Math.min(2, max);
  const pool = new pg.Pool({
    connectionString: url,
    max,
    min: warm,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  // A pool that cannot reach the server fails here, at start-up, rather than at the first sync.
  await Promise.all(Array.from({ length: warm }, () => pool.query('SELECT 1')));
  const run = (executor: pg.Pool | pg.PoolClient): SqlExecutor => ({
    query: async (sql, params, name) =>
      name === undefined || !prepare
        ? executor.query(sql, params)
        : executor.query({ name, text: sql, values: params }),
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
