import { z } from 'zod';
import type { JunctionCode } from '../../shared/errors';
import { ADMIN_SECURITY, ACTION_SECURITY, COMMON_CODES, errorResponses } from '../schemas';

/** The OpenAPI-facing schemas of the sync routes (validation and serialisation of every sync answer). */

const isoTime = z.string().describe('ISO 8601 time');
const counts = {
  pages: z.number().int(),
  added: z.number().int(),
  updated: z.number().int(),
  deleted: z.number().int(),
  unchanged: z.number().int(),
  skipped: z.number().int().describe('older than the stored version (a poll that lost to a webhook)'),
  invalid: z.number().int().describe('refused by the model’s JSON Schema'),
};
const invalidRecords = z.array(z.object({ id: z.string().optional(), reasons: z.array(z.string()) }));

const runSummary = z.object({
  runId: z.string(),
  mode: z.enum(['incremental', 'full']),
  startedAt: isoTime,
  finishedAt: isoTime.optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  invalidRecords: invalidRecords.optional(),
  ...counts,
});

export const syncStatus = z.object({
  connectionId: z.string(),
  providerId: z.string(),
  syncName: z.string(),
  state: z.enum(['idle', 'syncing', 'paused', 'awaiting_approval', 'failed']),
  paused: z.boolean(),
  runs: z.number().int(),
  lastSuccessAt: isoTime.optional(),
  lastRun: runSummary.optional(),
  currentRun: z
    .object({
      runId: z.string(),
      mode: z.enum(['incremental', 'full']),
      reset: z.boolean(),
      startedAt: isoTime,
      counts: z.object(counts),
      invalidRecords,
      pagesDone: z.boolean().optional(),
    })
    .optional(),
  pendingDeletes: z
    .object({
      generation: z.number().int(),
      unseen: z.number().int(),
      live: z.number().int(),
      since: isoTime,
    })
    .optional()
    .describe('a sweep over the mass-delete guard, waiting for approve or reject'),
  incomingWaiting: z.number().int().describe('webhook batches waiting to be applied'),
  nextRunAt: isoTime.optional(),
});

export const syncParams = z.object({
  id: z.string().describe('the connection id'),
  sync: z.string().describe('the sync’s name in its provider’s declaration'),
});

const ON_SYNC: JunctionCode[] = [...COMMON_CODES, 'unauthorized', 'sync_not_enabled'];
const route = { tags: ['syncs'], security: ADMIN_SECURITY };
const path = '/connections/:id/syncs/:sync';

export const listSyncsSchema = {
  ...route,
  summary: 'Running syncs (from visibility: no worker needed)',
  querystring: z.object({ connection: z.string().optional().describe('only this connection') }),
  response: {
    200: z.object({
      syncs: z.array(
        z.object({
          connectionId: z.string(),
          providerId: z.string(),
          syncName: z.string(),
          state: z.string(),
          lastSuccessAt: isoTime.optional(),
        }),
      ),
    }),
    ...errorResponses({ method: 'GET', url: '/syncs' }, [...COMMON_CODES, 'unauthorized']),
  },
};

export const enableSyncSchema = {
  ...route,
  summary: 'Enable a declared sync for a connection (its first run starts at once; idempotent)',
  params: syncParams,
  response: {
    200: syncStatus,
    ...errorResponses({ method: 'PUT', url: path }, [...ON_SYNC, 'connection_not_found', 'unknown_sync']),
  },
};

export const disableSyncSchema = {
  ...route,
  summary: 'Disable a sync (its workflow ends; its records stay readable)',
  params: syncParams,
  response: {
    200: z.object({ connectionId: z.string(), syncName: z.string(), disabled: z.literal(true) }),
    ...errorResponses({ method: 'DELETE', url: path }, ON_SYNC),
  },
};

export const syncStatusSchema = {
  ...route,
  summary: 'A sync’s state, last run, run in progress and parked deletes',
  params: syncParams,
  response: { 200: syncStatus, ...errorResponses({ method: 'GET', url: path }, ON_SYNC) },
};

export const runSyncSchema = {
  ...route,
  summary: 'Sync now (optionally a full pass, or from scratch with reset)',
  params: syncParams,
  body: z
    .object({
      full: z.boolean().optional().describe('a full pass, reconciling deletions when declared'),
      reset: z.boolean().optional().describe('forget the incremental checkpoint first (implies full)'),
    })
    .strict()
    .nullish()
    .describe('optional: a plain run when absent'),
  response: { 202: syncStatus, ...errorResponses({ method: 'POST', url: `${path}/run` }, ON_SYNC) },
};

export const signalSyncSchema = (action: string, summary: string) => ({
  ...route,
  summary,
  params: syncParams,
  response: {
    202: syncStatus,
    ...errorResponses({ method: 'POST', url: `${path}/${action}` }, [...ON_SYNC, 'not_awaiting_approval']),
  },
});

export const recordsSchema = {
  tags: ['syncs'],
  security: ACTION_SECURITY,
  summary: 'The change stream of a synced model: records in commit order from a cursor',
  description:
    'At least once and without gaps: follow `nextCursor` and every committed change is seen. Reads come ' +
    'from Junction’s store, so they work while the provider is down; `lastSyncedAt` says how fresh they are.',
  params: z.object({ connectionId: z.string(), sync: z.string() }),
  querystring: z.object({
    cursor: z
      .string()
      .max(200)
      .optional()
      .describe('`nextCursor` of the previous page; absent: the beginning'),
    limit: z.coerce.number().int().min(1).max(1_000).default(100),
  }),
  response: {
    200: z.object({
      records: z.array(
        z.object({
          id: z.string(),
          action: z.enum(['added', 'updated', 'deleted']),
          data: z.record(z.string(), z.unknown()),
          firstSeenAt: isoTime,
          lastModifiedAt: isoTime,
          deletedAt: isoTime.nullable(),
          version: z.number().int().describe('the change sequence of the record’s latest change'),
        }),
      ),
      nextCursor: z.string(),
      hasMore: z.boolean(),
      lastSyncedAt: isoTime.nullable(),
    }),
    ...errorResponses({ method: 'GET', url: '/records/:connectionId/:sync' }, [
      ...COMMON_CODES,
      'unauthorized',
      'forbidden',
      'invalid_cursor',
      'connection_not_found',
      'unknown_sync',
    ]),
  },
};
