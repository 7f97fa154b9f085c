import { BUILTIN_PROVIDERS } from './builtins';
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
 * Builds the provider catalogue: the built-in declarations, each configured entry merged over the built-in
 * it names (`extends`, or the same id), everything validated by the strict schema. Built-ins that are only
 * templates (the generic `oauth2`) join the catalogue only when configured. Issues name the entry's path.
 */
export function buildCatalogue(
  entries: ReadonlyArray<Record<string, unknown>>,
  report: (issue: CatalogueIssue) => void = () => undefined,
): ProviderDeclaration[] {
  const catalogue = new Map<string, ProviderDeclaration>();
  for (const [id, builtin] of Object.entries(BUILTIN_PROVIDERS)) {
    const parsed = providerSchema.safeParse({ id, ...builtin });
    if (parsed.success) catalogue.set(id, parsed.data);
  }
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
      if (typeof base !== 'string' || !BUILTIN_PROVIDERS[base]) {
        report({
          path: [index, 'extends'],
          message: `no built-in provider ${JSON.stringify(base)}; known: ${Object.keys(BUILTIN_PROVIDERS).join(', ')}`,
        });
        return;
      }
      template = BUILTIN_PROVIDERS[base];
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
