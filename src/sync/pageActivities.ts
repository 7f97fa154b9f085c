import { Context } from '@temporalio/activity';
import { activityCallContext, asActivityFailure } from '../activities/callProvider';
import type { ProviderCaller } from '../calls/caller';
import type { CallProviderInput, ProviderRequest, ProviderResponse } from '../shared/calls';
import { JunctionError } from '../shared/errors';
import { readDotPath } from '../shared/dotPath';
import type {
  SyncApplyInput,
  SyncPageResult,
  SyncRunInput,
  SyncPageActivityTypes,
  SyncStreamRef,
} from '../shared/syncContract';
import { recordRequest, type ResolvedSync } from './catalogue';
import { resolveSync, type SyncActivityDeps } from './activities';
import type { InvalidRecord } from './records';
import { syncWriteNext } from './writeActivities';
import { streamIdOf, type IncomingRecord, type PageOutcome, type StreamRow } from './store/recordStore';
import { emptyOutcome } from './store/recordTypes';

/** How many refused records a result reports (the count is always complete). */
const INVALID_REPORTED = 5;

export type SyncPageDeps = Pick<SyncActivityDeps, 'store' | 'writes' | 'catalogue' | 'logger' | 'metrics'> & {
  caller: ProviderCaller;
};

/** The items of an answer: the provider's pagination read them, or the declaration's `itemsPath` does. */
function itemsOf(sync: ResolvedSync, response: ProviderResponse): unknown[] {
  if (response.page) return response.page.items;
  const path = sync.declaration.endpoint.itemsPath;
  const items = path ? readDotPath(response.body, path) : response.body;
  return Array.isArray(items) ? items : [];
}

function result(
  outcome: PageOutcome,
  invalid: InvalidRecord[],
  done: boolean,
  invalidCount = invalid.length,
): SyncPageResult {
  return {
    added: outcome.added,
    updated: outcome.updated,
    deleted: outcome.deleted,
    unchanged: outcome.unchanged,
    skipped: outcome.skipped,
    invalid: invalidCount,
    invalidRecords: invalid.slice(0, INVALID_REPORTED),
    done,
  };
}

/** One provider call of a sync, as the activity it runs in (its attempt, cancellation, workflow). */
async function fetchFor(deps: SyncPageDeps, input: CallProviderInput): Promise<ProviderResponse> {
  try {
    return await deps.caller(input, activityCallContext());
  } catch (error) {
    throw asActivityFailure(error);
  }
}

function countWrites(deps: SyncPageDeps, ref: SyncStreamRef, outcome: PageOutcome): void {
  deps.metrics?.written(ref, 'added', outcome.added);
  deps.metrics?.written(ref, 'updated', outcome.updated);
  deps.metrics?.written(ref, 'deleted', outcome.deleted);
}

/**
 * Runs `work` heartbeating every second: a worker that dies mid-page is noticed within the heartbeat timeout
 * (`SYNC_PAGE_HEARTBEAT_MS`), not the attempt's two-minute bound, and the page is retried on another worker.
 */
async function heartbeating<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  const beat = setInterval(() => context.heartbeat(), 1_000);
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}

/**
 * How long one `syncPage` activity goes on to the next page before it reports to the workflow, and at most
 * how many pages it takes. Each page is committed on its own (records, change rows, checkpoint), so a
 * worker that dies still costs at most the page it was on; taking several pages per activity saves the
 * workflow and activity task round trips between them, which cost more than a page's own work. Webhook
 * records, application writes and a pause wait at most this long (plus a page) to be taken up.
 */
export const SYNC_PAGES_BUDGET_MS = 2_000;
export const SYNC_PAGES_PER_ACTIVITY = 50;

/** One page: fetched, shaped, and written with its checkpoint in one transaction. */
async function onePage(
  deps: SyncPageDeps,
  sync: ResolvedSync,
  input: SyncRunInput,
  streamId: string,
  request: ProviderRequest,
  known: StreamRow | undefined,
): Promise<{ outcome: PageOutcome; invalid: InvalidRecord[]; next?: ProviderRequest; row?: StreamRow }> {
  const response = await fetchFor(deps, {
    providerId: input.providerId,
    connectionId: input.connectionId,
    request,
    ...(sync.paginated ? { page: { itemsPath: sync.declaration.endpoint.itemsPath } } : {}),
  });
  const shaped = sync.shaper.shape(itemsOf(sync, response));
  const next = sync.paginated ? response.page?.next : undefined;
  const { outcome, row } = await deps.store.writeRunPage(
    streamId,
    {
      runId: input.runId,
      page: request,
      records: shaped.records,
      nextPage: next ?? null,
      cursorSeen: shaped.cursorSeen,
      invalid: shaped.invalid.length,
    },
    known,
  );
  deps.metrics?.page(input);
  countWrites(deps, input, outcome);
  if (shaped.invalid.length > 0) {
    deps.logger.warn(
      { ...input, invalid: shaped.invalid.length, first: shaped.invalid[0] },
      'sync page had records the model refuses',
    );
  }
  return { outcome, invalid: shaped.invalid, ...(next ? { next } : {}), ...(row ? { row } : {}) };
}

/**
 * Takes the pages the store's checkpoint names, one after another, each fetched, shaped and written with
 * the next checkpoint in one transaction, for up to `SYNC_PAGES_BUDGET_MS` or `SYNC_PAGES_PER_ACTIVITY`
 * pages. A retry after a write finds the checkpoint moved on: nothing twice.
 */
async function syncPage(deps: SyncPageDeps, input: SyncRunInput): Promise<SyncPageResult> {
  const sync = resolveSync(deps.catalogue, input);
  const streamId = streamIdOf(input.connectionId, input.syncName);
  // The stream's row as read here, then as each page leaves it: a page need not read it again.
  let row = await deps.store.streamRow(streamId);
  const state = row?.state;
  if (!state || state.runId !== input.runId || state.nextPage === null) {
    return result(emptyOutcome(), [], true);
  }
  const started = Date.now();
  const total = emptyOutcome();
  const invalid: InvalidRecord[] = [];
  let invalidCount = 0;
  let request = state.nextPage as ProviderRequest;
  for (let pages = 1; ; pages++) {
    const page = await onePage(deps, sync, input, streamId, request, row);
    row = page.row;
    for (const key of ['added', 'updated', 'deleted', 'unchanged', 'skipped'] as const) {
      total[key] += page.outcome[key];
    }
    invalidCount += page.invalid.length;
    invalid.push(...page.invalid.slice(0, INVALID_REPORTED - invalid.length));
    if (page.outcome.stale === true || page.next === undefined) {
      return { ...result(total, invalid, true, invalidCount), pages };
    }
    // Written by an earlier attempt: the checkpoint is elsewhere; the next activity reads it afresh.
    const more =
      page.outcome.duplicate !== true &&
      pages < SYNC_PAGES_PER_ACTIVITY &&
      Date.now() - started < SYNC_PAGES_BUDGET_MS &&
      !Context.current().cancellationSignal.aborted;
    if (!more) return { ...result(total, invalid, false, invalidCount), pages };
    request = page.next;
  }
}

/** A provider's "deleted since the checkpoint" listing, every page, as tombstones. */
async function syncDeleted(deps: SyncPageDeps, input: SyncRunInput): Promise<number> {
  const sync = resolveSync(deps.catalogue, input);
  const deletion = sync.declaration.deletion;
  if (deletion?.strategy !== 'deleted-endpoint') return 0;
  const streamId = streamIdOf(input.connectionId, input.syncName);
  const state = await deps.store.stream(streamId);
  const query: NonNullable<ProviderRequest['query']> = { ...deletion.query };
  if (state?.cursor) query[deletion.sinceParam] = state.cursor;
  let request: ProviderRequest | undefined = { method: 'GET', path: deletion.path, query };
  let deleted = 0;
  for (let pages = 0; request; pages++) {
    Context.current().heartbeat(pages);
    const response: ProviderResponse = await fetchFor(deps, {
      providerId: input.providerId,
      connectionId: input.connectionId,
      request,
      ...(sync.paginated ? { page: { itemsPath: deletion.itemsPath } } : {}),
    });
    const items = response.page?.items ?? readDotPath(response.body, deletion.itemsPath ?? '');
    const records: IncomingRecord[] = (Array.isArray(items) ? items : [])
      .map((item: unknown) => readDotPath(item, deletion.idField))
      .filter((id): id is string | number => typeof id === 'string' || typeof id === 'number')
      .map((id) => ({ id: String(id), data: {}, deleted: true }));
    const outcome = await deps.store.writeRecords(streamId, records, input.runId);
    deleted += outcome.deleted;
    countWrites(deps, input, outcome);
    request = sync.paginated ? response.page?.next : undefined;
  }
  return deleted;
}

/** Records a provider webhook brought (or ids it said changed, fetched now): the newer version wins. */
async function syncApply(deps: SyncPageDeps, input: SyncApplyInput): Promise<SyncPageResult> {
  const sync = resolveSync(deps.catalogue, input);
  const streamId = await deps.store.ensureStream(input.connectionId, input.syncName, input.providerId);
  const items: unknown[] = [...(input.batch.records ?? [])];
  const gone: IncomingRecord[] = [];
  for (const id of input.batch.refetch ?? []) {
    const request = recordRequest(sync, id);
    if (!request) continue;
    try {
      const response = await deps.caller(
        { providerId: input.providerId, connectionId: input.connectionId, request },
        activityCallContext(),
      );
      items.push(response.body);
    } catch (error) {
      // The provider no longer has it: a deletion.
      const status = error instanceof JunctionError ? error.details.status : undefined;
      if (status === 404 || status === 410) gone.push({ id, data: {}, deleted: true });
      else throw asActivityFailure(error);
    }
  }
  const shaped = sync.shaper.shape(items);
  const outcome = await deps.store.writeRecords(streamId, [...shaped.records, ...gone]);
  countWrites(deps, input, outcome);
  return result(outcome, shaped.invalid, true);
}

/**
 * The sync activities that call the provider, on the provider's own task queue (its rate limit, breaker and
 * credentials apply as to any call): one page of a run, a provider's "deleted since" listing, and records a
 * webhook brought or asked to fetch again.
 */
export function createSyncPageActivities(deps: SyncPageDeps): SyncPageActivityTypes {
  return {
    syncPage: (input) => heartbeating(() => syncPage(deps, input)),
    syncDeleted: (input) => syncDeleted(deps, input),
    syncApply: (input) => heartbeating(() => syncApply(deps, input)),
    syncWriteNext: (input) => {
      const { writes } = deps;
      if (!writes) throw new Error('the record store is not open: no writes to apply');
      return heartbeating(() => syncWriteNext({ ...deps, writes }, input));
    },
  };
}
