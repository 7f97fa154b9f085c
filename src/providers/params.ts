import { z } from 'zod';
import { identifier } from '../config/primitives';

/** `{name}`: a connection parameter in a provider's URL (Shopify's `{shop}`, Zendesk's `{subdomain}`). */
export const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_]*)\}/g;

/** A DNS label: what most tenant parameters are (a shop, a subdomain, a data centre). */
export const DNS_LABEL = '^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$';

const validPattern = z.string().refine((source) => {
  try {
    new RegExp(source);
    return source.startsWith('^') && source.endsWith('$');
  } catch {
    return false;
  }
}, 'must be a regular expression anchored with ^ and $');

/**
 * One per-connection parameter. Its value lands in a URL's host or path, so it must match `pattern`
 * (a DNS label unless stated): a value can never add a path, a port or another host.
 */
export const connectionParamSchema = z
  .object({
    description: z.string().min(1),
    pattern: validPattern.default(DNS_LABEL),
    /** Used when a connection does not give it (Microsoft's `common` tenant). */
    default: z.string().min(1).optional(),
    example: z.string().min(1).optional(),
  })
  .strict();

export const connectionParamsSchema = z.record(identifier, connectionParamSchema).default({});

export type ConnectionParamSpec = z.output<typeof connectionParamSchema>;

/** The names of the placeholders in one string. */
export function placeholdersIn(value: string): string[] {
  return [...value.matchAll(PLACEHOLDER)].map((match) => match[1] as string);
}

/** Every string of a declaration that may carry placeholders, with its path. */
export function templatedFields(provider: {
  auth: object;
  apiBaseUrl: string;
}): Array<{ path: PropertyKey[]; value: string }> {
  const fields: Array<{ path: PropertyKey[]; value: string }> = [
    { path: ['apiBaseUrl'], value: provider.apiBaseUrl },
  ];
  const auth = provider.auth as Record<string, unknown>;
  for (const key of ['issuer', 'authorizationUrl', 'tokenUrl', 'revocationUrl', 'audience']) {
    const value = auth[key];
    if (typeof value === 'string') fields.push({ path: ['auth', key], value });
  }
  for (const key of ['authorizationParams', 'tokenParams']) {
    const params = auth[key];
    if (params && typeof params === 'object')
      for (const [name, value] of Object.entries(params as Record<string, unknown>))
        if (typeof value === 'string') fields.push({ path: ['auth', key, name], value });
  }
  return fields;
}

/** Placeholders a declaration uses without declaring them in `connectionParams`. */
export function undeclaredPlaceholders(provider: {
  auth: object;
  apiBaseUrl: string;
  connectionParams: Record<string, unknown>;
}): Array<{ path: PropertyKey[]; name: string }> {
  return templatedFields(provider).flatMap(({ path, value }) =>
    placeholdersIn(value)
      .filter((name) => !(name in provider.connectionParams))
      .map((name) => ({ path, name })),
  );
}
