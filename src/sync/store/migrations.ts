import type { SqlDatabase } from './sql';

/**
 * The record store's schema, versioned: each migration runs once, in order, in one transaction with the row
 * that records it. Never edit one that has shipped; add the next.
 */
export const MIGRATIONS: Array<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'streams, records and their changes',
    sql: `
      CREATE TABLE sync_streams (
        stream_id text PRIMARY KEY,
        connection_id text NOT NULL,
        sync_name text NOT NULL,
        provider_id text NOT NULL,
        -- the incremental checkpoint: the largest cursor field value committed
        cursor text,
        -- the run in progress: its id, mode, the next page's request, and the full-reconcile generation
        run_id text,
        run_mode text,
        next_page jsonb,
        run_cursor text,
        generation bigint NOT NULL DEFAULT 0,
        reconciled_generation bigint NOT NULL DEFAULT 0,
        -- change sequence: allocated under this row's lock, so sequence order is commit order
        last_seq bigint NOT NULL DEFAULT 0,
        last_success_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX sync_streams_connection ON sync_streams (connection_id);

      CREATE TABLE sync_records (
        stream_id text NOT NULL REFERENCES sync_streams (stream_id),
        record_id text NOT NULL,
        data jsonb NOT NULL,
        hash text NOT NULL,
        -- the provider's own version or modification time, compared to keep the newer of two writes
        provider_version text,
        -- what the provider last said (the base of a three-way merge with the application's edits)
        base jsonb NOT NULL,
        seen_generation bigint NOT NULL,
        first_seen_at timestamptz NOT NULL,
        last_modified_at timestamptz NOT NULL,
        deleted_at timestamptz,
        seq bigint NOT NULL,
        PRIMARY KEY (stream_id, record_id)
      );
      CREATE INDEX sync_records_unseen ON sync_records (stream_id, seen_generation) WHERE deleted_at IS NULL;

      CREATE TABLE sync_changes (
        stream_id text NOT NULL REFERENCES sync_streams (stream_id),
        seq bigint NOT NULL,
        record_id text NOT NULL,
        action text NOT NULL CHECK (action IN ('added', 'updated', 'deleted')),
        committed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (stream_id, seq)
      );
    `,
  },
  {
    version: 2,
    name: 'application writes and their conflicts',
    sql: `
      CREATE TABLE sync_writes (
        -- sha256 of the stream and the Idempotency-Key: the same key on the same stream is the same write
        write_id text PRIMARY KEY,
        stream_id text NOT NULL REFERENCES sync_streams (stream_id),
        -- the order writes were accepted in, which is the order they are applied in
        seq bigserial NOT NULL,
        kind text NOT NULL CHECK (kind IN ('create', 'update', 'delete')),
        -- null for a create the provider gives an id to (until it has answered)
        record_id text,
        fields jsonb NOT NULL,
        -- what the key was first used with: the same key with other input is refused
        input_hash text NOT NULL,
        state text NOT NULL CHECK (state IN ('pending', 'parked', 'applied', 'failed')),
        outcome text,
        conflict jsonb,
        resolution jsonb,
        error jsonb,
        accepted_at timestamptz NOT NULL,
        finished_at timestamptz,
        resolved_at timestamptz
      );
      CREATE INDEX sync_writes_open ON sync_writes (stream_id, seq) WHERE state IN ('pending', 'parked');
      CREATE INDEX sync_writes_parked ON sync_writes (accepted_at) WHERE state = 'parked';
    `,
  },
  {
    version: 3,
    name: "a run's counts kept with its pages",
    sql: `
      -- What the run in progress has written so far, moved in the transaction of each page (a page whose
      -- activity's answer was lost still counts). run_counted: the run began with these columns (a run begun
      -- before them has counted only part of its pages).
      ALTER TABLE sync_streams
        ADD COLUMN run_counted boolean NOT NULL DEFAULT false,
        ADD COLUMN run_pages integer NOT NULL DEFAULT 0,
        ADD COLUMN run_added integer NOT NULL DEFAULT 0,
        ADD COLUMN run_updated integer NOT NULL DEFAULT 0,
        ADD COLUMN run_deleted integer NOT NULL DEFAULT 0,
        ADD COLUMN run_unchanged integer NOT NULL DEFAULT 0,
        ADD COLUMN run_skipped integer NOT NULL DEFAULT 0,
        ADD COLUMN run_invalid integer NOT NULL DEFAULT 0;
    `,
  },
];

/**
 * Brings the database to the newest schema. Concurrent starts (several workers) wait on an advisory lock,
 * so each migration runs exactly once.
 */
export async function migrate(db: SqlDatabase): Promise<number[]> {
  await db.query(`
    CREATE TABLE IF NOT EXISTS junction_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
  return db.transaction(async (tx) => {
    // An arbitrary, fixed key: Junction's migrations, one at a time across processes.
    await tx.query('SELECT pg_advisory_xact_lock(7391530113)');
    const { rows } = await tx.query<{ version: number }>('SELECT version FROM junction_migrations');
    const applied = new Set(rows.map((row) => Number(row.version)));
    const ran: number[] = [];
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO junction_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      ran.push(migration.version);
    }
    return ran;
  });
}
