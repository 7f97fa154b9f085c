import { z } from 'zod';
import type { JunctionCode } from '../../shared/errors';
import { ACTION_SECURITY, ADMIN_SECURITY, COMMON_CODES, errorResponses } from '../schemas';

/** The OpenAPI-facing schemas of the application's writes to synced records and of parked conflicts. */

const isoTime = z.string().describe('ISO 8601 time');
const fields = z.record(z.string(), z.unknown());

const fieldConflict = z.object({
  field: z.string(),
  base: z.unknown().optional().describe('what the provider last said, before either side changed it'),
  app: z.unknown().optional(),
  provider: z.unknown().optional(),
  rule: z.enum(['provider', 'app', 'latest', 'preferNonEmpty', 'manual']),
  winner: z.enum(['provider', 'app']).optional().describe('absent: the rule could not settle it'),
});

export const writeView = z.object({
  writeId: z.string(),
  connectionId: z.string(),
  sync: z.string(),
  kind: z.enum(['create', 'update', 'delete']),
  recordId: z.string().nullable().describe('null for a create until the provider has given it an id'),
  fields,
  state: z.enum(['pending', 'parked', 'applied', 'failed']),
  outcome: z.enum(['written', 'created', 'deleted', 'provider_kept']).nullable(),
  conflict: z
    .object({
      kind: z.enum(['update/update', 'update/delete', 'delete/update', 'create/create']),
      rule: z.string().optional(),
      fields: z.array(fieldConflict),
    })
    .nullable(),
  resolution: z.unknown().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  acceptedAt: isoTime,
  finishedAt: isoTime.nullable(),
  resolvedAt: isoTime.nullable(),
  workflowId: z.string().describe('the stream’s workflow, which applies the write'),
});

const recordParams = z.object({ connectionId: z.string(), sync: z.string() });
const idempotency = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,200}$/, 'Idempotency-Key must be 1 to 200 printable ASCII characters')
    .optional()
    .describe('the same key on the same stream is the same write; with other input it is refused (409)'),
});
const WRITE_CODES: JunctionCode[] = [
  ...COMMON_CODES,
  'unauthorized',
  'forbidden',
  'connection_not_found',
  'unknown_sync',
  'sync_not_enabled',
  'write_not_declared',
  'invalid_record',
  'idempotency_key_reused',
];

const writeRoute = (method: string, url: string, summary: string, extra: JunctionCode[]) => ({
  tags: ['syncs'],
  security: ACTION_SECURITY,
  summary,
  description:
    'Accepted durably (202) and applied by the stream’s workflow in order, at the provider, with the ' +
    'write’s id as Idempotency-Key; while the provider is down writes wait and drain when it recovers. A ' +
    'provider change since the record’s base is merged by the sync’s conflict rules or parked (`/conflicts`).',
  headers: idempotency,
  response: { 202: writeView, ...errorResponses({ method, url }, [...WRITE_CODES, ...extra]) },
});

export const createRecordSchema = {
  ...writeRoute('POST', '/records/:connectionId/:sync', 'Create a record at the provider', ['record_exists']),
  params: recordParams,
  body: fields.describe('the record’s fields (model shape); its key when the application chooses it'),
};

export const updateRecordSchema = {
  ...writeRoute('PATCH', '/records/:connectionId/:sync/:id', 'Change fields of a record at the provider', [
    'unknown_record',
  ]),
  params: recordParams.extend({ id: z.string() }),
  body: fields.describe('the fields to change (model shape)'),
};

export const deleteRecordSchema = {
  ...writeRoute('DELETE', '/records/:connectionId/:sync/:id', 'Delete a record at the provider', [
    'unknown_record',
  ]),
  params: recordParams.extend({ id: z.string() }),
};

export const writeStatusSchema = {
  tags: ['syncs'],
  security: ACTION_SECURITY,
  summary: 'An application write: pending, parked on a conflict, applied (with its outcome) or failed',
  params: recordParams.extend({ writeId: z.string() }),
  response: {
    200: writeView,
    ...errorResponses({ method: 'GET', url: '/records/:connectionId/:sync/writes/:writeId' }, [
      ...COMMON_CODES,
      'unauthorized',
      'forbidden',
      'unknown_write',
    ]),
  },
};

export const listConflictsSchema = {
  tags: ['syncs'],
  security: ADMIN_SECURITY,
  summary: 'Parked conflicts: application writes waiting for a person’s decision',
  querystring: z.object({
    connection: z.string().optional(),
    sync: z.string().optional(),
    limit: z.coerce.number().int().min(1).max(1_000).default(100),
  }),
  response: {
    200: z.object({ conflicts: z.array(writeView) }),
    ...errorResponses({ method: 'GET', url: '/conflicts' }, [...COMMON_CODES, 'unauthorized']),
  },
};

export const conflictSchema = {
  tags: ['syncs'],
  security: ADMIN_SECURITY,
  summary: 'One conflict (a parked write, or one resolved since)',
  params: z.object({ id: z.string() }),
  response: {
    200: writeView,
    ...errorResponses({ method: 'GET', url: '/conflicts/:id' }, [
      ...COMMON_CODES,
      'unauthorized',
      'unknown_conflict',
    ]),
  },
};

export const resolveConflictSchema = {
  tags: ['syncs'],
  security: ADMIN_SECURITY,
  summary: 'Resolve a parked conflict: take the provider’s record, the application’s fields, or a value',
  params: z.object({ id: z.string() }),
  body: z.union([
    z.object({ take: z.enum(['provider', 'app']) }).strict(),
    z.object({ value: fields.describe('the fields to write (model shape)') }).strict(),
  ]),
  response: {
    202: writeView,
    ...errorResponses({ method: 'POST', url: '/conflicts/:id/resolve' }, [
      ...COMMON_CODES,
      'unauthorized',
      'unknown_conflict',
      'conflict_resolved',
      'invalid_record',
    ]),
  },
};
