import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ActionError, SyncError } from '../../shared/errors';
import { syncWorkflowId } from '../../shared/syncContract';
import type { ResolvedSync } from '../../sync/catalogue';
import { streamIdOf, type StreamState } from '../../sync/store/recordStore';
import { writeIdOf, type Resolution, type StoredWrite, type WriteKind } from '../../sync/store/writeStore';
import { checkConnectionAccess, registerTokenRoutes } from '../auth/actionPrincipal';
import { registerAdminRoutes } from '../auth/bearer';
import type { SyncRouteDeps } from './syncs';
import {
  conflictSchema,
  createRecordSchema,
  deleteRecordSchema,
  listConflictsSchema,
  resolveConflictSchema,
  updateRecordSchema,
  writeStatusSchema,
} from './syncWriteSchemas';

/** A write as the API answers it. */
function view(write: StoredWrite) {
  return {
    writeId: write.writeId,
    connectionId: write.connectionId,
    sync: write.syncName,
    kind: write.kind,
    recordId: write.recordId,
    fields: write.fields,
    state: write.state,
    outcome: write.outcome,
    conflict: write.conflict,
    resolution: write.resolution,
    error: write.error,
    acceptedAt: write.acceptedAt.toISOString(),
    finishedAt: write.finishedAt?.toISOString() ?? null,
    resolvedAt: write.resolvedAt?.toISOString() ?? null,
    workflowId: syncWorkflowId(write.connectionId, write.syncName),
  };
}

function stores(deps: SyncRouteDeps) {
  const { records, writes } = deps;
  if (!records || !writes) throw new SyncError('unknown_sync', 'no provider declares a sync');
  return { records, writes };
}

/** Only the admin key or the connection's own token writes to its records. */
function checkPrincipal(request: FastifyRequest, connectionId: string): void {
  checkConnectionAccess(request.actionPrincipal, connectionId);
}

/** The stream and its declaration: 404 for an unknown connection or sync, `sync_not_enabled` before it ran. */
async function streamOf(
  deps: SyncRouteDeps,
  connectionId: string,
  syncName: string,
): Promise<{ stream: StreamState; sync: ResolvedSync }> {
  const stream = await stores(deps).records.stream(streamIdOf(connectionId, syncName));
  if (!stream) {
    await deps.junction.syncs.declared(connectionId, syncName);
    throw new SyncError(
      'sync_not_enabled',
      `sync "${syncName}" has not run for connection "${connectionId}"`,
    );
  }
  const sync = deps.junction.syncs.declaration(stream.providerId, syncName);
  if (!sync)
    throw new SyncError('unknown_sync', `provider "${stream.providerId}" declares no sync "${syncName}"`);
  return { stream, sync };
}

function invalid(problems: string[]): never {
  throw new SyncError('invalid_record', `the record does not fit the sync's model: ${problems.join('; ')}`, {
    details: { reasons: problems },
  });
}

const keyOf = (value: unknown): string | null =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : null;

/** Checks a write against the store and the model, stores it (the queue), and tells the stream. */
async function acceptWrite(
  deps: SyncRouteDeps,
  request: FastifyRequest,
  write: {
    connectionId: string;
    syncName: string;
    kind: WriteKind;
    recordId?: string;
    fields: Record<string, unknown>;
  },
) {
  checkPrincipal(request, write.connectionId);
  const { writes } = stores(deps);
  const { stream, sync } = await streamOf(deps, write.connectionId, write.syncName);
  if (!sync.declaration.writes?.[write.kind]) {
    throw new SyncError('write_not_declared', `sync "${write.syncName}" declares no ${write.kind} write`);
  }
  const primaryKey = sync.declaration.primaryKey;
  const recordId = write.recordId ?? keyOf(write.fields[primaryKey]);
  const stored = recordId ? await writes.record(stream.streamId, recordId) : undefined;
  const live = stored !== undefined && stored.deletedAt === null;
  if (write.kind === 'create') {
    if (live) throw new SyncError('record_exists', `record "${recordId}" exists: change it with PATCH`);
    // The provider gives the key when the application does not: a missing key is not a problem.
    const missingKey = `must have required property '${primaryKey}'`;
    const problems = sync.shaper.problems(write.fields).filter((p) => !p.endsWith(missingKey));
    if (problems.length > 0) invalid(problems);
  } else {
    if (!live) throw new SyncError('unknown_record', `no record "${recordId}" in ${write.syncName}`);
    if (write.kind === 'update') {
      const problems = sync.shaper.problems({ ...stored.data, ...write.fields });
      if (problems.length > 0) invalid(problems);
    }
  }
  const header = request.headers['idempotency-key'];
  const accepted = await writes.accept({
    writeId: writeIdOf(stream.streamId, typeof header === 'string' ? header : undefined),
    streamId: stream.streamId,
    kind: write.kind,
    recordId,
    fields: write.fields,
    acceptedAt: new Date(deps.now()),
  });
  if (!accepted.sameInput) {
    throw new ActionError('idempotency_key_reused', 'this Idempotency-Key was used for another write');
  }
  Object.assign(request.logFields, { connectionId: write.connectionId, sync: write.syncName });
  Object.assign(request.logFields, { writeId: accepted.write.writeId, kind: write.kind });
  if (accepted.write.state === 'pending') {
    await deps.junction.syncs.writesWaiting(write.connectionId, write.syncName);
  }
  return view(accepted.write);
}

function registerWrites(app: FastifyInstance, deps: SyncRouteDeps) {
  registerTokenRoutes(app, deps, (scope) => {
    const typed = scope.withTypeProvider<ZodTypeProvider>();
    const base = '/records/:connectionId/:sync';
    typed.post(base, { schema: createRecordSchema }, async (request, reply) => {
      const { connectionId, sync: syncName } = request.params;
      const write = { connectionId, syncName, kind: 'create' as const, fields: request.body };
      return reply.code(202).send(await acceptWrite(deps, request, write));
    });
    typed.patch(`${base}/:id`, { schema: updateRecordSchema }, async (request, reply) => {
      const { connectionId, sync: syncName, id } = request.params;
      const write = { connectionId, syncName, kind: 'update' as const, recordId: id, fields: request.body };
      return reply.code(202).send(await acceptWrite(deps, request, write));
    });
    typed.delete(`${base}/:id`, { schema: deleteRecordSchema }, async (request, reply) => {
      const { connectionId, sync: syncName, id } = request.params;
      const write = { connectionId, syncName, kind: 'delete' as const, recordId: id, fields: {} };
      return reply.code(202).send(await acceptWrite(deps, request, write));
    });
    typed.get(`${base}/writes/:writeId`, { schema: writeStatusSchema }, async (request) => {
      const { connectionId, sync: syncName, writeId } = request.params;
      checkPrincipal(request, connectionId);
      const write = await stores(deps).writes.get(writeId);
      if (!write || write.connectionId !== connectionId || write.syncName !== syncName) {
        throw new SyncError('unknown_write', `no write "${writeId}" on ${connectionId}/${syncName}`);
      }
      return view(write);
    });
  });
}

async function resolve(deps: SyncRouteDeps, id: string, resolution: Resolution) {
  const { writes } = stores(deps);
  const write = await writes.get(id);
  if (!write || !write.conflict) throw new SyncError('unknown_conflict', `no conflict "${id}"`);
  if (write.state !== 'parked')
    throw new SyncError('conflict_resolved', `conflict "${id}" is resolved already`);
  if ('value' in resolution) {
    const sync = deps.junction.syncs.declaration(
      (await stores(deps).records.stream(write.streamId))?.providerId ?? '',
      write.syncName,
    );
    const stored = write.recordId ? await writes.record(write.streamId, write.recordId) : undefined;
    const problems = sync?.shaper.problems({ ...stored?.data, ...resolution.value }) ?? [];
    if (problems.length > 0) invalid(problems);
  }
  const outcome = await writes.resolve(id, resolution);
  if (outcome !== 'resolved')
    throw new SyncError('conflict_resolved', `conflict "${id}" is resolved already`);
  await deps.junction.syncs.writesWaiting(write.connectionId, write.syncName);
  return view((await writes.get(id)) as StoredWrite);
}

/** Parked conflicts, for an operator (admin key). */
function registerConflicts(scope: FastifyInstance, deps: SyncRouteDeps) {
  const typed = scope.withTypeProvider<ZodTypeProvider>();
  typed.get('/conflicts', { schema: listConflictsSchema }, async (request) => {
    const { connection, sync, limit } = request.query;
    const parked = await stores(deps).writes.parked({ connectionId: connection, syncName: sync, limit });
    return { conflicts: parked.map(view) };
  });
  typed.get('/conflicts/:id', { schema: conflictSchema }, async (request) => {
    const write = await stores(deps).writes.get(request.params.id);
    if (!write || !write.conflict)
      throw new SyncError('unknown_conflict', `no conflict "${request.params.id}"`);
    return view(write);
  });
  typed.post('/conflicts/:id/resolve', { schema: resolveConflictSchema }, async (request, reply) =>
    reply.code(202).send(await resolve(deps, request.params.id, request.body)),
  );
}

/** The application's writes to synced records, and the conflicts parked for a person. */
export function registerSyncWriteRoutes(app: FastifyInstance, deps: SyncRouteDeps) {
  registerWrites(app, deps);
  registerAdminRoutes(
    app,
    () => deps.config.admin.apiKeys,
    (scope) => registerConflicts(scope, deps),
  );
}
