import { z } from 'zod';

const dotPath = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, 'a dotted path such as `id` or `properties.email`');

const requestPath = z
  .string()
  .regex(/^\/[^/]/, 'a path under the provider API base URL, starting with one "/"');
const queryValues = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({});

/**
 * How deletions are learned: `full-reconcile` (a complete full run, then records it did not see are
 * deleted), a provider endpoint listing what was deleted since the checkpoint, or a field on the record
 * (`archived: true`).
 */
const deletionSchema = z.discriminatedUnion('strategy', [
  z
    .object({
      strategy: z.literal('full-reconcile'),
      /** Every how many runs the full pass happens (the others are incremental, when a cursor is declared). */
      everyRuns: z.number().int().min(1).default(1),
    })
    .strict(),
  z
    .object({
      strategy: z.literal('deleted-endpoint'),
      path: requestPath,
      query: queryValues,
      /** The query parameter that takes the checkpoint. */
      sinceParam: z.string().min(1),
      itemsPath: dotPath.optional(),
      /** Where the deleted record's id is in each item. */
      idField: dotPath.default('id'),
    })
    .strict(),
  z.object({ strategy: z.literal('field'), field: dotPath, value: z.unknown() }).strict(),
]);

/** A write the provider allows: a declared call; the application's writes go through it. */
const writeSchema = z
  .object({
    method: z.enum(['POST', 'PUT', 'PATCH', 'DELETE']),
    /** `{id}` in the path is replaced by the record's id. */
    path: requestPath,
  })
  .strict();

const conflictRule = z.enum(['provider', 'app', 'latest', 'preferNonEmpty', 'manual']);

/**
 * How a conflict between an application write and a provider change is settled: `rule` for every field
 * (and for a delete against an update), `fields` per model field. `latest` compares the application's write
 * time with the provider's modification time, read from `modifiedField` (a model field).
 */
const conflictsSchema = z
  .object({
    rule: conflictRule.default('manual'),
    fields: z.record(z.string(), conflictRule).default({}),
    modifiedField: dotPath.optional(),
  })
  .strict()
  .prefault({});

/**
 * A sync, declared as data with its provider: what to fetch, how to page and resume, what the stored record
 * looks like (a JSON Schema), which field is its key, how deletions are learned and how often it runs.
 */
export const syncSchema = z
  .object({
    description: z.string().optional(),
    /** JSON Schema every stored record must satisfy (after `mapping`). */
    model: z.record(z.string(), z.unknown()),
    endpoint: z
      .object({
        path: requestPath,
        query: queryValues,
        /** Where the records are in a page, when it differs from the provider's pagination. */
        itemsPath: dotPath.optional(),
        /** One record by id (`/contacts/{id}`): what a webhook's "refetch this id" asks for. */
        recordPath: z
          .string()
          .regex(/^\/[^/].*\{id\}/, 'a path under the API base URL with an `{id}` placeholder')
          .optional(),
      })
      .strict(),
    /** The record's id (in the model). */
    primaryKey: dotPath,
    /** `incremental`: ask only for what changed since the checkpoint (needs `cursor`); `full`: everything. */
    mode: z.enum(['incremental', 'full']).default('incremental'),
    /** The incremental checkpoint: the request parameter, and the record field (in the provider's shape). */
    cursor: z
      .object({ param: z.string().min(1), field: dotPath })
      .strict()
      .optional(),
    /** The field that orders two versions of a record (newer wins); the cursor field by default. */
    versionField: dotPath.optional(),
    /** How often the stream runs on its own (at least every 30 s). */
    frequencySeconds: z
      .number()
      .int()
      .min(30)
      .max(86_400 * 7)
      .default(300),
    deletion: deletionSchema.optional(),
    /** Model field → dotted path in the provider's record; without it the provider's record is the model. */
    mapping: z.record(z.string(), dotPath).optional(),
    writes: z
      .object({
        create: writeSchema.optional(),
        update: writeSchema.optional(),
        delete: writeSchema.optional(),
      })
      .strict()
      .optional(),
    /** Conflicts between the application's writes and the provider's changes (two-way syncs). */
    conflicts: conflictsSchema,
    /** Started for every connection of the provider, without being enabled one by one. */
    enabledByDefault: z.boolean().default(false),
    /** A sweep that would delete more than this share of the stream (or this many records) waits for approval. */
    massDeleteGuard: z
      .object({ percent: z.number().min(0).max(100).default(10), count: z.number().int().min(1).optional() })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((sync, ctx) => {
    if (sync.mode === 'incremental' && !sync.cursor) {
      ctx.addIssue({ code: 'custom', path: ['cursor'], message: 'incremental syncs declare a cursor' });
    }
    const { conflicts } = sync;
    const usesLatest = [conflicts.rule, ...Object.values(conflicts.fields)].includes('latest');
    if (usesLatest && !conflicts.modifiedField) {
      ctx.addIssue({
        code: 'custom',
        path: ['conflicts', 'modifiedField'],
        message: 'the `latest` rule compares modification times: declare the model field that holds them',
      });
    }
    if (sync.writes && Object.keys(sync.writes).length > 0 && !sync.endpoint.recordPath) {
      ctx.addIssue({
        code: 'custom',
        path: ['endpoint', 'recordPath'],
        message: 'writes read the provider’s record first (for conflicts): declare `recordPath`',
      });
    }
  });

export type SyncDeclaration = z.output<typeof syncSchema>;
export type ConflictsDeclaration = SyncDeclaration['conflicts'];
export type DeletionStrategy = NonNullable<SyncDeclaration['deletion']>;
