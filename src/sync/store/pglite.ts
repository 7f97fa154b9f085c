import { mkdirSync } from 'node:fs';
import type { SqlDatabase } from './sql';

/**
 * PostgreSQL embedded in the process (PGlite), its data in `dataDir` (`junction dev`), or in memory without
 * one (tests). One connection: transactions run one at a time.
 */
export async function openPglite(dataDir?: string): Promise<SqlDatabase> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  // Loaded here, not at import: its runtime costs half a second and ~300 MB, paid only when a store is opened.
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(dataDir);
  return {
    kind: 'pglite',
    query: async (sql, params) => db.query(sql, params),
    exec: async (sql) => void (await db.exec(sql)),
    transaction: (work) =>
      db.transaction((tx) =>
        work({
          query: async (sql, params) => tx.query(sql, params),
          exec: async (sql) => void (await tx.exec(sql)),
        }),
      ),
    close: () => db.close(),
  };
}
