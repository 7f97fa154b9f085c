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
  /** What it is, for logs and readiness: `postgres` or `pglite`. */
  readonly kind: 'postgres' | 'pglite';
}
