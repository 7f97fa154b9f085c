/** What Junction's record store needs of a SQL database: parameterised queries and transactions. */
export interface SqlExecutor {
  query<Row extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
  ): Promise<{ rows: Row[] }>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** One dialect (PostgreSQL's) over two backends: a PostgreSQL server, or PGlite embedded in the process. */
export interface SqlDatabase extends SqlExecutor {
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /**
   * Runs a query beside any transaction in flight, on a connection that is free right now; resolves
   * undefined without running it when none is (a busy pool, or a backend with a single connection).
   */
  querySpare?<Row extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
  ): Promise<{ rows: Row[] } | undefined>;
  /** What it is, for logs and readiness: `postgres` or `pglite`. */
  readonly kind: 'postgres' | 'pglite';
}
