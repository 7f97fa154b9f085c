import { ConfigError } from '../shared/errors';
import { formatPath } from './path';

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\$\{/g;

/**
 * Replaces `${NAME}` (and `${NAME:-fallback}`) in every string of a parsed YAML document with the
 * environment's value. `$${` escapes a literal `${`. An unset variable without a fallback is an error
 * that names the key, so a missing secret stops start-up instead of becoming an empty string.
 */
export function interpolateEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  path: (string | number)[] = [],
): unknown {
  if (typeof value === 'string') {
    return value.replace(
      REFERENCE,
      (match: string, name: string | undefined, fallback: string | undefined) => {
        if (match === '$${') return '${';
        const resolved = env[name as string];
        if (resolved !== undefined && resolved !== '') return resolved;
        if (fallback !== undefined) return fallback;
        throw new ConfigError(`${formatPath(path)}: environment variable ${name} is not set`);
      },
    );
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolateEnv(item, env, [...path, index]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolateEnv(item, env, [...path, key])]),
    );
  }
  return value;
}
