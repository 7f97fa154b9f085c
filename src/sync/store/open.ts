import { join } from 'node:path';
import type { SyncsConfig } from '../../config/syncSettings';
import { ConfigError } from '../../shared/errors';
import { migrate } from './migrations';
import { openPglite } from './pglite';
import { openPostgres } from './postgres';
import { RecordStore } from './recordStore';
import type { SqlDatabase } from './sql';

/** Where the record store is: a PostgreSQL server, or the embedded one in a directory (`junction dev`). */
export type StoreLocation =
  { url: string; schema?: string; poolSize?: number; preparedStatements?: boolean } | { embeddedDir: string };

/**
 * Where configuration puts the store: `syncs.database.url`, else `JUNCTION_DATABASE_URL`, else (only when an
 * embedded directory is allowed, as in `junction dev`) PGlite under it. A `server` or `worker` with syncs and
 * no database is a configuration error: two processes cannot share an embedded store.
 */
export function storeLocation(
  syncs: SyncsConfig,
  options: { env?: NodeJS.ProcessEnv; embeddedDir?: string },
): StoreLocation {
  const url = syncs.database.url ?? options.env?.JUNCTION_DATABASE_URL;
  if (url) {
    const { schema, poolSize, preparedStatements } = syncs.database;
    return { url, schema, poolSize, preparedStatements };
  }
  if (options.embeddedDir) return { embeddedDir: join(options.embeddedDir, 'records') };
  throw new ConfigError(
    'syncs.database.url: providers declare syncs, so a PostgreSQL database is needed (set JUNCTION_DATABASE_URL ' +
      'or syncs.database.url); only `junction dev` keeps records in an embedded store',
  );
}

/** Opens the store's database and migrates it (PGlite's runtime starts only when it is the one opened). */
export async function openRecordStore(location: StoreLocation, now?: () => Date): Promise<RecordStore> {
  let db: SqlDatabase;
  if ('url' in location) {
    db = await openPostgres(location.url, {
      schema: location.schema,
      max: location.poolSize,
      prepare: location.preparedStatements,
    });
  } else {
    db = await openPglite(location.embeddedDir);
  }
  try {
    await migrate(db);
  } catch (error) {
    await db.close().catch(() => undefined);
    throw error;
  }
  return new RecordStore(db, now);
}
