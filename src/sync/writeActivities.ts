import { activityCallContext, asActivityFailure } from '../activities/callProvider';
import { readDotPath } from '../shared/dotPath';
import { JunctionError } from '../shared/errors';
import type { ProviderRequest } from '../shared/calls';
import type { SyncStreamRef, SyncWriteResult } from '../shared/syncContract';
import { resolveSync } from './activities';
import { recordRequest, type ResolvedSync } from './catalogue';
import { mergeWrite, type Conflict, type MergeDecision } from './merge';
import { toModel } from './records';
import { streamIdOf } from './store/recordStore';
import type { StoredRecord, StoredWrite, WriteResult, WriteStore } from './store/writeStore';
import type { ProviderCaller } from '../calls/caller';
import type { SyncActivityDeps } from './activities';

export type SyncWriteDeps = Pick<SyncActivityDeps, 'store' | 'catalogue' | 'logger' | 'metrics'> & {
  caller: ProviderCaller;
  writes: WriteStore;
};

/** Model fields the provider manages (the key, its version and modification time): never in conflict. */
export function managedFields(sync: ResolvedSync): Set<string> {
  const { declaration } = sync;
  const providerPaths = new Set([declaration.versionField, declaration.cursor?.field].filter(Boolean));
  const managed = new Set<string>([declaration.primaryKey]);
  if (declaration.conflicts.modifiedField) managed.add(declaration.conflicts.modifiedField);
  for (const [field, path] of Object.entries(declaration.mapping ?? {})) {
    if (providerPaths.has(path)) managed.add(field);
  }
  if (!declaration.mapping) for (const path of providerPaths) if (path) managed.add(path);
  return managed;
}

/** The provider's body for model fields: the mapping read backwards (nested at dotted paths). */
export function toProvider(sync: ResolvedSync, fields: Record<string, unknown>): Record<string, unknown> {
  const mapping = sync.declaration.mapping;
  if (!mapping) return { ...fields };
  const body: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(fields)) {
    const keys = (mapping[field] ?? field).split('.');
    let node = body;
    for (const key of keys.slice(0, -1)) {
      const child = node[key];
      node = (node[key] = child !== null && typeof child === 'object' ? child : {}) as Record<
        string,
        unknown
      >;
    }
    node[keys.at(-1) as string] = value;
  }
  return body;
}

function timeOf(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

const statusOf = (error: unknown): unknown =>
  error instanceof JunctionError ? error.details.status : undefined;

/** One provider call of a write, with the write's id as its Idempotency-Key (a retry is the same write). */
async function call(deps: SyncWriteDeps, ref: SyncStreamRef, request: ProviderRequest, writeId: string) {
  const response = await deps.caller(
    {
      providerId: ref.providerId,
      connectionId: ref.connectionId,
      request: { ...request, headers: { ...request.headers, 'idempotency-key': writeId } },
    },
    activityCallContext(),
  );
  return response.body;
}

/** The provider's record now (model shape), or null when it has none. */
async function current(deps: SyncWriteDeps, ref: SyncStreamRef, sync: ResolvedSync, id: string | null) {
  const request = id === null ? undefined : recordRequest(sync, id);
  if (!request) return null;
  try {
    const response = await deps.caller(
      { providerId: ref.providerId, connectionId: ref.connectionId, request },
      activityCallContext(),
    );
    return { raw: response.body, model: toModel(sync.declaration, response.body) };
  } catch (error) {
    const status = statusOf(error);
    if (status === 404 || status === 410) return null;
    throw error;
  }
}

/** The declared write call for a kind, with `{id}` filled in. */
function declaredCall(sync: ResolvedSync, kind: 'create' | 'update' | 'delete', id: string | null) {
  const declared = sync.declaration.writes?.[kind];
  if (!declared) return undefined;
  const path = declared.path.replace('{id}', encodeURIComponent(id ?? ''));
  return { method: declared.method, path };
}

/** The merge as an operator decided it: the provider's record, the application's fields, or a value. */
function resolved(write: StoredWrite, provider: Record<string, unknown> | null): MergeDecision {
  const resolution = write.resolution;
  const conflict = write.conflict ?? undefined;
  if (resolution && 'take' in resolution && resolution.take === 'provider') {
    return { action: 'keep_provider', conflict };
  }
  const fields = resolution && 'value' in resolution ? resolution.value : write.fields;
  if (write.kind === 'delete' && !(resolution && 'value' in resolution))
    return { action: 'delete', conflict };
  return { action: 'send', method: provider === null ? 'create' : 'update', fields, conflict };
}

export interface WriteContext {
  deps: SyncWriteDeps;
  ref: SyncStreamRef;
  sync: ResolvedSync;
  write: StoredWrite;
  stored: StoredRecord | undefined;
}

/** Carries out a decision at the provider; answers what to record. */
async function carryOut(
  ctx: WriteContext,
  decision: Exclude<MergeDecision, { action: 'park' }>,
  provider: { raw: unknown; model: Record<string, unknown> } | null,
): Promise<Omit<WriteResult, 'echo'>> {
  const { sync, write } = ctx;
  const id = write.recordId;
  const conflict: Conflict | undefined = decision.conflict;
  const shaped = (raw: unknown) => sync.shaper.shape([raw]).records[0];
  if (decision.action === 'keep_provider') {
    // Without a conflict there was nothing to send: the provider has the application's values already.
    const outcome = conflict ? 'provider_kept' : write.kind === 'delete' ? 'deleted' : 'written';
    if (!provider) return { recordId: id ?? '', deleted: true, outcome, conflict };
    return { recordId: id ?? '', record: shaped(provider.raw), outcome, conflict };
  }
  if (decision.action === 'delete') {
    const target = declaredCall(sync, 'delete', id);
    if (target) await call(ctx.deps, ctx.ref, target, write.writeId).catch(goneIsDone);
    return { recordId: id ?? '', deleted: true, outcome: 'deleted', conflict };
  }
  const kind = decision.method;
  const target =
    declaredCall(sync, kind, id) ?? declaredCall(sync, kind === 'create' ? 'update' : 'create', id);
  if (!target) throw new Error(`sync "${sync.name}" declares no ${kind} write`);
  const json = toProvider(
    sync,
    kind === 'create' && id !== null
      ? { ...decision.fields, [sync.declaration.primaryKey]: id }
      : decision.fields,
  );
  const answer = await call(ctx.deps, ctx.ref, { ...target, json }, write.writeId);
  let record = shaped(answer);
  // An answer that is not the record (204, a status object): read the record back.
  if (!record && id !== null) record = shaped((await current(ctx.deps, ctx.ref, sync, id))?.raw);
  if (!record)
    throw new Error(`the provider's answer to a ${kind} carries no ${sync.declaration.primaryKey}`);
  return { recordId: record.id, record, outcome: kind === 'create' ? 'created' : 'written', conflict };
}

function goneIsDone(error: unknown): void {
  const status = statusOf(error);
  if (status !== 404 && status !== 410) throw error;
}

/** The record as the application means it after its write: the stored one with its fields (or its value). */
function expectedOf(write: StoredWrite, stored: StoredRecord | undefined): Record<string, unknown> {
  const fields = write.resolution && 'value' in write.resolution ? write.resolution.value : write.fields;
  return { ...(stored && !stored.deletedAt ? stored.data : {}), ...fields };
}

/** Whether the provider's record is what the application wrote (managed fields aside): an echo. */
function isEcho(
  sync: ResolvedSync,
  expected: Record<string, unknown>,
  record: Record<string, unknown>,
): boolean {
  const managed = managedFields(sync);
  const keys = new Set([...Object.keys(expected), ...Object.keys(record)]);
  const json = (value: unknown) => JSON.stringify(value ?? null);
  return [...keys].every((key) => managed.has(key) || json(readDotPath(expected, key)) === json(record[key]));
}

/**
 * Applies the stream's next write: reads the provider's record, merges three ways against the stored base
 * by the declared rules, sends what wins (or parks the write for a person), and records the answer as the
 * record's new base in one transaction with the write's end. Idempotent: a retry after the provider answered
 * finds its values already there (nothing left to send) or replays the same Idempotency-Key.
 */
export async function syncWriteNext(deps: SyncWriteDeps, ref: SyncStreamRef): Promise<SyncWriteResult> {
  const sync = resolveSync(deps.catalogue, ref);
  const streamId = streamIdOf(ref.connectionId, ref.syncName);
  const write = await deps.writes.next(streamId);
  if (!write) return { done: true };
  const stored = write.recordId ? await deps.writes.record(streamId, write.recordId) : undefined;
  const ctx: WriteContext = { deps, ref, sync, write, stored };
  try {
    const provider = await current(deps, ref, sync, write.recordId);
    const { conflicts } = sync.declaration;
    const decision = write.resolution
      ? resolved(write, provider?.model ?? null)
      : mergeWrite({
          kind: write.kind,
          base: stored && !stored.deletedAt ? stored.base : null,
          app: write.fields,
          provider: provider?.model ?? null,
          rules: { rule: conflicts.rule, fields: conflicts.fields },
          appModifiedAt: write.acceptedAt.getTime(),
          providerModifiedAt: conflicts.modifiedField
            ? timeOf(provider?.model[conflicts.modifiedField])
            : undefined,
          managed: managedFields(sync),
        });
    if (decision.action === 'park') {
      await deps.writes.park(write.writeId, decision.conflict);
      deps.logger.warn(
        { ...ref, writeId: write.writeId, kind: decision.conflict.kind },
        'write parked: conflict',
      );
      return { done: false, writeId: write.writeId, state: 'parked' };
    }
    const outcome = await carryOut(ctx, decision, provider);
    const echo = outcome.record
      ? isEcho(sync, expectedOf(write, stored), outcome.record.data)
      : write.kind === 'delete';
    await deps.writes.apply(streamId, write.writeId, { ...outcome, echo });
    return { done: false, writeId: write.writeId, state: 'applied' };
  } catch (error) {
    if (error instanceof JunctionError && !error.retryable) {
      await deps.writes.fail(write.writeId, { code: error.code, message: error.message });
      deps.logger.warn({ ...ref, writeId: write.writeId, code: error.code }, 'write refused by the provider');
      return { done: false, writeId: write.writeId, state: 'failed' };
    }
    throw asActivityFailure(error);
  }
}
