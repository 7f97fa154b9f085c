import { canonicalJson } from './canonical';

/**
 * How a conflict on a field (or a whole record) is settled: the provider's value, the application's, the
 * later of the two by modification time, the non-empty one, or nobody: parked for a person.
 */
export type ConflictRule = 'provider' | 'app' | 'latest' | 'preferNonEmpty' | 'manual';

/** The declared rules of a sync: one for every field (and for record-level conflicts), and per-field ones. */
export interface ConflictRules {
  rule: ConflictRule;
  fields: Record<string, ConflictRule>;
}

/** The conflicts a write can meet. */
export type ConflictKind = 'update/update' | 'update/delete' | 'delete/update' | 'create/create';

/** One field both sides changed since the base, and what became of it. */
export interface FieldConflict {
  field: string;
  base: unknown;
  app: unknown;
  provider: unknown;
  rule: ConflictRule;
  /** Who won; `undefined` when the rule could not settle it (the write is parked). */
  winner?: 'provider' | 'app';
}

export interface MergeInput {
  kind: 'create' | 'update' | 'delete';
  /** What the provider last said (the record's base), or null when it never did. */
  base: Record<string, unknown> | null;
  /** The fields the application writes (model shape; empty for a delete). */
  app: Record<string, unknown>;
  /** The provider's record now, or null when it has none. */
  provider: Record<string, unknown> | null;
  rules: ConflictRules;
  /** When the application wrote (ms since the epoch). */
  appModifiedAt: number;
  /** When the provider last modified the record (ms), when it says. */
  providerModifiedAt?: number;
  /** Fields the provider manages (its version, modification time, the key): never a conflict. */
  managed: ReadonlySet<string>;
}

/**
 * What to do with a write: send these fields (an update or a create), delete at the provider, keep the
 * provider's record (the write loses), or park it for a person.
 */
export type MergeDecision =
  | { action: 'send'; method: 'create' | 'update'; fields: Record<string, unknown>; conflict?: Conflict }
  | { action: 'delete'; conflict?: Conflict }
  | { action: 'keep_provider'; conflict?: Conflict }
  | { action: 'park'; conflict: Conflict };

export interface Conflict {
  kind: ConflictKind;
  /** The record-level rule, for a conflict between a delete and an update. */
  rule?: ConflictRule;
  fields: FieldConflict[];
}

const same = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

/** Empty for `preferNonEmpty`: absent, null, blank text, an empty list or object. */
export function isEmptyValue(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

/** The winner under a rule, or undefined when it cannot say. */
function settle(
  rule: ConflictRule,
  app: unknown,
  provider: unknown,
  times: { app: number; provider?: number },
): 'provider' | 'app' | undefined {
  switch (rule) {
    case 'provider':
    case 'app':
      return rule;
    case 'latest':
      if (times.provider === undefined || times.provider === times.app) return undefined;
      return times.app > times.provider ? 'app' : 'provider';
    case 'preferNonEmpty':
      if (isEmptyValue(app) === isEmptyValue(provider)) return undefined;
      return isEmptyValue(app) ? 'provider' : 'app';
    case 'manual':
      return undefined;
  }
}

/**
 * Field by field, three ways: a field only the application changed is sent, one only the provider changed
 * is kept, one both changed to different values is settled by its rule, and one no rule settles parks the
 * whole write. With no base (create/create) every differing field the provider has counts as changed by both.
 */
function mergeFields(
  input: MergeInput,
  provider: Record<string, unknown>,
  kind: ConflictKind,
): MergeDecision {
  const fields: Record<string, unknown> = {};
  const conflicts: FieldConflict[] = [];
  const times = { app: input.appModifiedAt, provider: input.providerModifiedAt };
  for (const [field, app] of Object.entries(input.app)) {
    const now = provider[field];
    if (same(app, now) || input.managed.has(field)) continue;
    const base = input.base?.[field] ?? null;
    const providerChanged = input.base === null ? now !== undefined : !same(now, base);
    if (!providerChanged) {
      fields[field] = app;
      continue;
    }
    const rule = input.rules.fields[field] ?? input.rules.rule;
    const winner = settle(rule, app, now, times);
    conflicts.push({ field, base, app, provider: now, rule, ...(winner ? { winner } : {}) });
    if (winner === 'app') fields[field] = app;
  }
  const conflict = conflicts.length > 0 ? { kind, fields: conflicts } : undefined;
  if (conflict && conflicts.some((c) => c.winner === undefined)) return { action: 'park', conflict };
  if (Object.keys(fields).length === 0) return { action: 'keep_provider', ...(conflict ? { conflict } : {}) };
  return { action: 'send', method: 'update', fields, ...(conflict ? { conflict } : {}) };
}

/** Whether the provider changed the record since the base (managed fields aside). */
function changedSinceBase(input: MergeInput, provider: Record<string, unknown>): boolean {
  if (input.base === null) return true;
  const keys = new Set([...Object.keys(input.base), ...Object.keys(provider)]);
  return [...keys].some((key) => !input.managed.has(key) && !same(input.base?.[key], provider[key]));
}

/** A record-level conflict (a delete against an update): the sync's own rule, the record as one value. */
function recordLevel(input: MergeInput, kind: 'update/delete' | 'delete/update'): MergeDecision {
  const rule = input.rules.rule;
  const app = kind === 'update/delete' ? { ...input.base, ...input.app } : null;
  const winner = settle(rule, app, input.provider, {
    app: input.appModifiedAt,
    // The provider says when it updated, never when it deleted: `latest` cannot settle update/delete.
    provider: kind === 'delete/update' ? input.providerModifiedAt : undefined,
  });
  const conflict: Conflict = { kind, rule, fields: [] };
  if (winner === undefined) return { action: 'park', conflict };
  if (winner === 'provider') return { action: 'keep_provider', conflict };
  if (kind === 'delete/update') return { action: 'delete', conflict };
  return { action: 'send', method: 'create', fields: app ?? {}, conflict };
}

/** Decides what an application write does, given the base, the provider's record now and the rules. */
export function mergeWrite(input: MergeInput): MergeDecision {
  const { provider } = input;
  if (input.kind === 'delete') {
    if (provider === null) return { action: 'keep_provider' };
    return changedSinceBase(input, provider) ? recordLevel(input, 'delete/update') : { action: 'delete' };
  }
  if (input.kind === 'create') {
    if (provider === null) return { action: 'send', method: 'create', fields: input.app };
    return mergeFields({ ...input, base: null }, provider, 'create/create');
  }
  if (provider === null) return recordLevel(input, 'update/delete');
  return mergeFields(input, provider, 'update/update');
}
