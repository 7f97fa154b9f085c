import { formatPath } from '../config/path';
import { ConfigError } from '../shared/errors';
import { BUILTIN_PROVIDERS, BUILTIN_TEMPLATES, type BuiltinDeclaration } from './builtin';
import { providerSchema, type ProviderDeclaration } from './schema';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Objects merge key by key (configuration wins); arrays and scalars are replaced. */
function merge(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? merge(current, value) : value;
  }
  return out;
}

export interface CatalogueIssue {
  path: PropertyKey[];
  message: string;
  code?: string;
  keys?: string[];
}

/**
 * Every built-in declaration, validated. A built-in that does not pass the schema is a defect in Junction,
 * never something to skip quietly: it throws a ConfigError naming the provider and the field.
 */
export function parseBuiltins(
  builtins: Record<string, BuiltinDeclaration> = BUILTIN_PROVIDERS,
): ProviderDeclaration[] {
  return Object.entries(builtins).map(([id, builtin]) => {
    const parsed = providerSchema.safeParse({ id, ...builtin });
    if (parsed.success) return parsed.data;
    const problems = parsed.error.issues.map((issue) => {
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
      return keys
        .map((key) => {
          const path = key === undefined ? issue.path : [...issue.path, key];
          const field = formatPath(path);
          return `${field}: ${key === undefined ? issue.message : 'unknown key'}`;
        })
        .join('; ');
    });
    throw new ConfigError(`built-in provider "${id}" is invalid: ${problems.join('; ')}`);
  });
}

let validatedBuiltins: ProviderDeclaration[] | undefined;

const BASES: Record<string, BuiltinDeclaration> = { ...BUILTIN_TEMPLATES, ...BUILTIN_PROVIDERS };

/**
 * Builds the provider catalogue: the built-in declarations, each configured entry merged over the built-in
 * it names (`extends`, or the same id), everything validated by the strict schema. Templates (the generic
 * `oauth2`) are only bases for configured entries. Issues name the entry's path.
 */
export function buildCatalogue(
  entries: ReadonlyArray<Record<string, unknown>>,
  report: (issue: CatalogueIssue) => void = () => undefined,
): ProviderDeclaration[] {
  const catalogue = new Map<string, ProviderDeclaration>();
  validatedBuiltins ??= parseBuiltins();
  for (const builtin of validatedBuiltins) catalogue.set(builtin.id, builtin);
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    const { extends: base, ...own } = entry;
    const id = typeof own.id === 'string' ? own.id : undefined;
    if (id && seen.has(id)) {
      report({ path: [index, 'id'], message: `duplicate provider id "${id}"` });
      return;
    }
    if (id) seen.add(id);
    let template: Record<string, unknown> = {};
    if (base !== undefined) {
      if (typeof base !== 'string' || !BASES[base]) {
        report({
          path: [index, 'extends'],
          message: `no built-in provider ${JSON.stringify(base)}; known: ${Object.keys(BASES).join(', ')}`,
        });
        return;
      }
      template = BASES[base];
    } else if (id && BUILTIN_PROVIDERS[id]) {
      template = BUILTIN_PROVIDERS[id];
    }
    const parsed = providerSchema.safeParse(merge(template, own));
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        report({
          path: [index, ...issue.path],
          message: issue.message,
          code: issue.code,
          keys: issue.code === 'unrecognized_keys' ? issue.keys : undefined,
        });
      }
      return;
    }
    catalogue.set(parsed.data.id, parsed.data);
  });
  return [...catalogue.values()];
}

/** The catalogue as a lookup by provider id. */
export class ProviderCatalogue {
  private readonly byId: Map<string, ProviderDeclaration>;

  constructor(providers: readonly ProviderDeclaration[]) {
    this.byId = new Map(providers.map((provider) => [provider.id, provider]));
  }

  get(id: string): ProviderDeclaration | undefined {
    return this.byId.get(id);
  }

  list(): ProviderDeclaration[] {
    return [...this.byId.values()];
  }
}
