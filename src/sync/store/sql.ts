/** What Junction's record store needs of a SQL database: parameterised queries and transactions. */
export interface SqlExecutor {
  /**
   * `name`, for a statement run again and again (a page's lookup and write): a PostgreSQL server keeps it
   * parsed and planned under that name on each connection instead of parsing and planning it every time.
   * One name, one text, always.
   */
  query<Row extends Record<string, unknown> = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
    name?: string,
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
