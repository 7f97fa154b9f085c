import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { openRecordStore } from '../../src/sync/store/open';
import type { RecordStore } from '../../src/sync/store/recordStore';
import { uniqueName } from './temporal';

/** The PostgreSQL server on this machine (trust auth); CI starts it when it is not running. */
export const TEST_DATABASE_URL =
  process.env.JUNCTION_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type StoreKind = 'postgres' | 'pglite';

export interface TestStore {
  store: RecordStore;
  kind: StoreKind;
  /** PostgreSQL: the store's own schema (for processes spawned with `syncs.database`). */
  schema?: string;
  close(): Promise<void>;
}

/** A fresh record store: a schema of its own on the PostgreSQL server, or an embedded one in a temp dir. */
export async function openTestStore(kind: StoreKind): Promise<TestStore> {
  if (kind === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'junction-records-'));
    const store = await openRecordStore({ embeddedDir: dir });
    return {
      store,
      kind,
      async close() {
        await store.db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = uniqueName('records').replace(/-/g, '_');
  const store = await openRecordStore({ url: TEST_DATABASE_URL, schema, poolSize: 5 });
  return {
    store,
    kind,
    schema,
    async close() {
      await store.db.close();
      const admin = new Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
}
