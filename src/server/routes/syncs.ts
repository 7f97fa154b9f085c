import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { JunctionClient } from '../../client';
import type { SyncsClient } from '../../client/syncsClient';
import type { JunctionConfig } from '../../config/schema';
import { decodeCursor, encodeCursor } from '../../sync/cursor';
import { streamIdOf, type RecordStore } from '../../sync/store/recordStore';
import type { WriteStore } from '../../sync/store/writeStore';
import { checkConnectionAccess, registerTokenRoutes } from '../auth/actionPrincipal';
import { registerAdminRoutes } from '../auth/bearer';
import '../requestLog';
import {
  disableSyncSchema,
  enableSyncSchema,
  listSyncsSchema,
  recordsSchema,
  runSyncSchema,
  signalSyncSchema,
  syncStatusSchema,
} from './syncSchemas';

export interface SyncRouteDeps {
  config: JunctionConfig;
  junction: JunctionClient;
  /** The record store; absent when no provider declares a sync. */
  records?: RecordStore;
  /** The application's writes (two-way syncs), in the same store. */
  writes?: WriteStore;
  stateSecret?: Uint8Array | string;
  now: () => number;
}

const PATH = '/connections/:id/syncs/:sync';

function registerManagement(scope: FastifyInstance, syncs: SyncsClient) {
  const typed = scope.withTypeProvider<ZodTypeProvider>();
  typed.get('/syncs', { schema: listSyncsSchema }, async (request) => ({
    syncs: await syncs.list({ connectionId: request.query.connection }),
  }));
  typed.put(PATH, { schema: enableSyncSchema }, async (request) => {
    Object.assign(request.logFields, { connectionId: request.params.id, sync: request.params.sync });
    return syncs.enable(request.params.id, request.params.sync);
  });
  typed.delete(PATH, { schema: disableSyncSchema }, async (request) => {
    await syncs.disable(request.params.id, request.params.sync);
    return { connectionId: request.params.id, syncName: request.params.sync, disabled: true as const };
  });
  typed.get(PATH, { schema: syncStatusSchema }, async (request) =>
    syncs.status(request.params.id, request.params.sync),
  );
  typed.post(`${PATH}/run`, { schema: runSyncSchema }, async (request, reply) =>
    reply.code(202).send(await syncs.run(request.params.id, request.params.sync, request.body ?? {})),
  );
  const signals = {
    pause: [
      'Pause: no page and no webhook record is written until resumed',
      (id: string, name: string) => syncs.pause(id, name),
    ],
    resume: ['Resume a paused sync', (id: string, name: string) => syncs.resume(id, name)],
    'deletes/approve': [
      'Approve the deletes a sweep parked (over the mass-delete guard)',
      (id: string, name: string) => syncs.decideDeletes(id, name, true),
    ],
    'deletes/reject': [
      'Reject the deletes a sweep parked: nothing is deleted',
      (id: string, name: string) => syncs.decideDeletes(id, name, false),
    ],
  } as const;
  for (const [action, [summary, act]] of Object.entries(signals)) {
    typed.post(`${PATH}/${action}`, { schema: signalSyncSchema(action, summary) }, async (request, reply) => {
      await act(request.params.id, request.params.sync);
      return reply.code(202).send(await syncs.status(request.params.id, request.params.sync));
    });
  }
}

/** The change stream: admin key, or the token of the connection it belongs to. */
function registerRecords(app: FastifyInstance, deps: SyncRouteDeps) {
  registerTokenRoutes(app, deps, (scope) => {
    scope
      .withTypeProvider<ZodTypeProvider>()
      .get('/records/:connectionId/:sync', { schema: recordsSchema }, async (request) => {
        const { connectionId, sync } = request.params;
        checkConnectionAccess(request.actionPrincipal, connectionId);
        const after = decodeCursor(request.query.cursor);
        const stream = await deps.records?.stream(streamIdOf(connectionId, sync));
        // Nothing stored yet: an unknown connection or sync is a 404, a declared one an empty stream.
        if (!stream || !deps.records) {
          await deps.junction.syncs.declared(connectionId, sync);
          return { records: [], nextCursor: encodeCursor(after), hasMore: false, lastSyncedAt: null };
        }
        const limit = request.query.limit;
        const changes = await deps.records.changes(stream.streamId, after, limit + 1);
        const page = changes.slice(0, limit);
        Object.assign(request.logFields, { connectionId, sync, records: page.length });
        return {
          records: page.map((change) => ({
            id: change.recordId,
            action: change.action,
            data: change.data,
            firstSeenAt: change.firstSeenAt.toISOString(),
            lastModifiedAt: change.lastModifiedAt.toISOString(),
            deletedAt: change.deletedAt ? change.deletedAt.toISOString() : null,
            version: change.version,
          })),
          nextCursor: encodeCursor(page.at(-1)?.seq ?? after),
          hasMore: changes.length > limit,
          lastSyncedAt: stream.lastSuccessAt ? stream.lastSuccessAt.toISOString() : null,
        };
      });
  });
}

/** Sync management (admin key) and the records' change stream. */
export function registerSyncRoutes(app: FastifyInstance, deps: SyncRouteDeps) {
  registerAdminRoutes(
    app,
    () => deps.config.admin.apiKeys,
    (scope) => registerManagement(scope, deps.junction.syncs),
  );
  registerRecords(app, deps);
}
