import type { ProviderDeclaration } from '../providers/schema';
import type { ProviderRequest } from '../shared/calls';
import type { SyncPlan } from '../shared/syncContract';
import type { SyncDeclaration } from './declaration';
import { RecordShaper } from './records';

/** A sync as the activities use it: its declaration, its provider and its compiled record shaper. */
export interface ResolvedSync {
  providerId: string;
  name: string;
  declaration: SyncDeclaration;
  /** The provider declares pagination: pages are read per its style. */
  paginated: boolean;
  shaper: RecordShaper;
}

/** Every declared sync of the configured providers, compiled once. */
export class SyncCatalogue {
  private readonly syncs = new Map<string, ResolvedSync>();

  constructor(providers: readonly ProviderDeclaration[]) {
    for (const provider of providers) {
      for (const [name, declaration] of Object.entries(provider.syncs)) {
        this.syncs.set(`${provider.id}\u0000${name}`, {
          providerId: provider.id,
          name,
          declaration,
          paginated: provider.calls.pagination !== undefined,
          shaper: new RecordShaper(declaration),
        });
      }
    }
  }

  get size(): number {
    return this.syncs.size;
  }

  find(providerId: string, name: string): ResolvedSync | undefined {
    return this.syncs.get(`${providerId}\u0000${name}`);
  }

  /** A provider's syncs, e.g. those enabled by default on a new connection. */
  ofProvider(providerId: string): ResolvedSync[] {
    return [...this.syncs.values()].filter((sync) => sync.providerId === providerId);
  }
}

/** The plan of a run, from the declaration as configured now. */
export function syncPlan(sync: ResolvedSync, streamId: string, generation: number): SyncPlan {
  const { declaration } = sync;
  const deletion = declaration.deletion;
  return {
    streamId,
    generation,
    frequencyMs: declaration.frequencySeconds * 1_000,
    deletion: deletion?.strategy ?? 'none',
    fullEveryRuns: deletion?.strategy === 'full-reconcile' ? deletion.everyRuns : 0,
    mode: declaration.mode,
    guard: declaration.massDeleteGuard,
  };
}

/** The first page of a run: the endpoint, and for an incremental run the checkpoint as its cursor parameter. */
export function firstPageRequest(
  sync: ResolvedSync,
  mode: 'incremental' | 'full',
  checkpoint: string | null,
): ProviderRequest {
  const { endpoint, cursor } = sync.declaration;
  const query: NonNullable<ProviderRequest['query']> = { ...endpoint.query };
  if (mode === 'incremental' && cursor && checkpoint !== null) query[cursor.param] = checkpoint;
  return { method: 'GET', path: endpoint.path, query };
}

/** One record by id, for a webhook that said "this changed" (`recordPath` with `{id}`). */
export function recordRequest(sync: ResolvedSync, id: string): ProviderRequest | undefined {
  const path = sync.declaration.endpoint.recordPath;
  return path ? { method: 'GET', path: path.replace('{id}', encodeURIComponent(id)) } : undefined;
}
