import { ConnectionError } from '../shared/errors';
import { PLACEHOLDER, placeholdersIn, templatedFields } from './params';
import type { ProviderDeclaration } from './schema';

/** Per-connection parameter values, by name (`{ shop: 'acme' }`). */
export type ConnectionParams = Record<string, string>;

const invalid = (providerId: string, message: string) =>
  new ConnectionError('invalid_connection_params', `provider "${providerId}": ${message}`);

/**
 * The values a connection uses for the provider's declared parameters: the given ones, checked against
 * each parameter's pattern, and defaults for the rest. Unknown or missing parameters are refused with
 * `invalid_connection_params` naming them.
 */
export function connectionParamValues(
  provider: ProviderDeclaration,
  given: ConnectionParams = {},
): ConnectionParams {
  const declared = provider.connectionParams;
  const unknown = Object.keys(given).filter((name) => !(name in declared));
  if (unknown.length > 0) {
    const known = Object.keys(declared);
    throw invalid(
      provider.id,
      `unknown connection parameter ${unknown.map((n) => `"${n}"`).join(', ')}; ${
        known.length > 0 ? `it takes ${known.join(', ')}` : 'it takes none'
      }`,
    );
  }
  const values: ConnectionParams = {};
  for (const [name, spec] of Object.entries(declared)) {
    const value = given[name] ?? spec.default;
    if (value === undefined) {
      throw invalid(provider.id, `connection parameter "${name}" is required (${spec.description})`);
    }
    if (!new RegExp(spec.pattern).test(value)) {
      throw invalid(provider.id, `connection parameter "${name}" must match ${spec.pattern}`);
    }
    values[name] = value;
  }
  return values;
}

function fill(template: string, values: ConnectionParams): string {
  return template.replace(PLACEHOLDER, (_match, name: string) => values[name] ?? `{${name}}`);
}

function setPath(target: Record<string, unknown>, path: PropertyKey[], value: string): void {
  let node = target;
  for (const key of path.slice(0, -1)) node = node[key as string] as Record<string, unknown>;
  node[path.at(-1) as string] = value;
}

/**
 * The declaration with `{name}` placeholders filled from the connection's parameters (validated by
 * {@link connectionParamValues}). A provider without parameters comes back as it is.
 */
export function resolveProvider<P extends ProviderDeclaration>(provider: P, given?: ConnectionParams): P {
  if (Object.keys(provider.connectionParams).length === 0) {
    if (given && Object.keys(given).length > 0) connectionParamValues(provider, given);
    return provider;
  }
  const values = connectionParamValues(provider, given);
  const resolved = structuredClone(provider) as P & Record<string, unknown>;
  for (const { path, value } of templatedFields(provider)) {
    if (placeholdersIn(value).length > 0) setPath(resolved, path, fill(value, values));
  }
  return resolved;
}
