import { mergeWrite, type ConflictRule, type MergeInput } from '../../src/sync/merge';

const rules = (rule: ConflictRule, fields: Record<string, ConflictRule> = {}) => ({ rule, fields });
const managed = new Set(['id', 'updatedAt']);
const base = { id: 'c1', name: 'Ada', email: 'ada@old.test', updatedAt: 1 };

function input(overrides: Partial<MergeInput>): MergeInput {
  return {
    kind: 'update',
    base,
    app: {},
    provider: base,
    rules: rules('manual'),
    appModifiedAt: 2_000,
    providerModifiedAt: 1_000,
    managed,
    ...overrides,
  };
}

const RULES: ConflictRule[] = ['provider', 'app', 'latest', 'preferNonEmpty', 'manual'];

describe('three-way merge of an application write', () => {
  test('a field only the application changed is sent; one only the provider changed is kept', () => {
    const decision = mergeWrite(
      input({ app: { name: 'Ada L.' }, provider: { ...base, email: 'ada@new.test', updatedAt: 2 } }),
    );
    expect(decision).toEqual({ action: 'send', method: 'update', fields: { name: 'Ada L.' } });
  });

  test('values already at the provider (a retried write) leave nothing to send', () => {
    const provider = { ...base, name: 'Ada L.', updatedAt: 2 };
    expect(mergeWrite(input({ app: { name: 'Ada L.' }, provider }))).toEqual({ action: 'keep_provider' });
  });

  test.each(RULES)('update/update on one field under %s', (rule) => {
    const provider = { ...base, name: 'Provider', updatedAt: 2 };
    const decision = mergeWrite(input({ app: { name: 'App' }, provider, rules: rules(rule) }));
    const expected = {
      provider: 'keep_provider',
      app: 'send',
      latest: 'send', // the application wrote after the provider's change
      preferNonEmpty: 'park', // both non-empty: the rule cannot say
      manual: 'park',
    }[rule];
    expect(decision.action).toBe(expected);
    expect(decision.conflict?.kind).toBe('update/update');
    expect(decision.conflict?.fields[0]).toMatchObject({
      field: 'name',
      base: 'Ada',
      app: 'App',
      provider: 'Provider',
    });
  });

  test('latest: the provider changed after the application wrote → the provider wins; no time → parked', () => {
    const provider = { ...base, name: 'Provider', updatedAt: 2 };
    const later = input({
      app: { name: 'App' },
      provider,
      rules: rules('latest'),
      providerModifiedAt: 3_000,
    });
    expect(mergeWrite(later).action).toBe('keep_provider');
    expect(mergeWrite({ ...later, providerModifiedAt: undefined }).action).toBe('park');
  });

  test('preferNonEmpty: the non-empty value wins either way', () => {
    const emptied = input({
      app: { name: '' },
      provider: { ...base, name: 'Provider' },
      rules: rules('preferNonEmpty'),
    });
    expect(mergeWrite(emptied).action).toBe('keep_provider');
    const filled = input({
      app: { name: 'App' },
      provider: { ...base, name: null },
      rules: rules('preferNonEmpty'),
    });
    expect(mergeWrite(filled)).toMatchObject({ action: 'send', fields: { name: 'App' } });
  });

  test('per-field rules: each field by its own rule; one unsettled field parks the write', () => {
    const provider = { ...base, name: 'Provider', email: 'p@x.test', updatedAt: 2 };
    const app = { name: 'App', email: 'a@x.test' };
    const settled = mergeWrite(
      input({ app, provider, rules: rules('manual', { name: 'app', email: 'provider' }) }),
    );
    expect(settled).toMatchObject({ action: 'send', fields: { name: 'App' } });
    const parked = mergeWrite(input({ app, provider, rules: rules('manual', { name: 'app' }) }));
    expect(parked.action).toBe('park');
    expect(parked.conflict?.fields.map((f) => [f.field, f.winner])).toEqual([
      ['name', 'app'],
      ['email', undefined],
    ]);
  });

  test.each(RULES)('update/delete (the provider deleted it) under %s', (rule) => {
    const decision = mergeWrite(input({ app: { name: 'App' }, provider: null, rules: rules(rule) }));
    const expected = {
      provider: 'keep_provider',
      app: 'send',
      latest: 'park',
      preferNonEmpty: 'send',
      manual: 'park',
    }[rule];
    expect(decision.action).toBe(expected);
    expect(decision.conflict?.kind).toBe('update/delete');
    if (decision.action === 'send')
      expect(decision).toMatchObject({ method: 'create', fields: { ...base, name: 'App' } });
  });

  test.each(RULES)('delete/update (the provider changed it) under %s', (rule) => {
    const provider = { ...base, name: 'Provider', updatedAt: 2 };
    const decision = mergeWrite(input({ kind: 'delete', provider, rules: rules(rule) }));
    const expected = {
      provider: 'keep_provider',
      app: 'delete',
      latest: 'delete',
      preferNonEmpty: 'keep_provider',
      manual: 'park',
    }[rule];
    expect(decision.action).toBe(expected);
    expect(decision.conflict?.kind).toBe('delete/update');
  });

  test('a delete of an unchanged record deletes; of one already gone, keeps it gone', () => {
    expect(mergeWrite(input({ kind: 'delete', provider: { ...base, updatedAt: 9 } }))).toEqual({
      action: 'delete',
    });
    expect(mergeWrite(input({ kind: 'delete', provider: null }))).toEqual({ action: 'keep_provider' });
  });

  test.each(RULES)('create/create (the key exists at the provider) under %s', (rule) => {
    const provider = { id: 'c9', name: 'Provider', email: 'same@x.test', updatedAt: 5 };
    const app = { id: 'c9', name: 'App', email: 'same@x.test' };
    const decision = mergeWrite(input({ kind: 'create', base: null, app, provider, rules: rules(rule) }));
    const expected = {
      provider: 'keep_provider',
      app: 'send',
      latest: 'send',
      preferNonEmpty: 'park',
      manual: 'park',
    }[rule];
    expect(decision.action).toBe(expected);
    expect(decision.conflict).toMatchObject({ kind: 'create/create', fields: [{ field: 'name' }] });
    if (decision.action === 'send')
      expect(decision).toMatchObject({ method: 'update', fields: { name: 'App' } });
  });

  test('a create the provider has no record for is sent as it is', () => {
    const app = { name: 'New', email: 'new@x.test' };
    expect(mergeWrite(input({ kind: 'create', base: null, app, provider: null }))).toEqual({
      action: 'send',
      method: 'create',
      fields: app,
    });
  });
});
