import { z } from 'zod';
import { headerName, httpUrl, signingSecrets } from './primitives';

/** Data sync: where records live, who is told about changes, how long tombstones stay. */
export const syncsSchema = z
  .object({
    database: z
      .object({
        /**
         * A PostgreSQL server (`postgres://…`); `JUNCTION_DATABASE_URL` when omitted. Without either,
         * `junction dev` keeps records in an embedded PostgreSQL under `dev.dataDir`.
         */
        url: z.string().min(1).optional(),
        /** A schema of its own inside that database (created when missing). */
        schema: z
          .string()
          .regex(/^[a-z_][a-z0-9_]*$/, 'a lower-case SQL identifier')
          .optional(),
        /** Connections in the pool of each process. */
        poolSize: z.number().int().min(1).max(100).default(10),
        /**
         * Keep the statements every page runs prepared on each connection. Turn off behind a pooler that
         * cannot carry named prepared statements from one transaction to the next (PgBouncer in transaction
         * mode before 1.21, or without `max_prepared_statements`).
         */
        preparedStatements: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    /** The application's receiver for "a run changed something" notifications (signed, retried, dead-lettered). */
    notify: z
      .object({
        url: httpUrl,
        headers: z.record(headerName, z.string()).default({}),
        timeoutMs: z.number().int().positive().max(600_000).default(10_000),
        /** Standard Webhooks secrets that sign each notification (default: `delivery.signingSecrets`). */
        signingSecrets: signingSecrets.optional(),
      })
      .strict()
      .optional(),
    /** Tombstones (deleted records) older than this are pruned after a run; kept for ever when omitted. */
    tombstoneRetentionDays: z.number().int().min(1).optional(),
    /** A sync workflow continues as new past this many history events. */
    historyEventLimit: z.number().int().min(200).max(40_000).default(2_000),
  })
  .strict();

export type SyncsConfig = z.output<typeof syncsSchema>;
