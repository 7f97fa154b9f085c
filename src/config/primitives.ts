import { z } from 'zod';
import { signingKey } from '../deliveries/signing';

/** An absolute http(s) URL (where plain http is fine: the application's own endpoints, loopback peers). */
export const httpUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}, 'must be an absolute http:// or https:// URL');

/** Ids that appear in URLs, workflow ids and task queue names: sources, routes, providers. */
export const identifier = z
  .string()
  .min(1)
  .max(64)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
    'must be letters, digits, "_", "." or "-", starting with a letter or digit',
  );

/** An HTTP header name (RFC 9110 §5.1 token). */
export const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be an HTTP header name');

/** Reports each repeated name (routes in a source, targets in a route) at its own path. */
export function uniqueNames(
  names: string[],
  ctx: z.core.$RefinementCtx<unknown>,
  path: (index: number) => PropertyKey[],
  what: string,
) {
  const seen = new Set<string>();
  names.forEach((name, index) => {
    if (seen.has(name))
      ctx.addIssue({ code: 'custom', path: path(index), message: `duplicate ${what} name "${name}"` });
    seen.add(name);
  });
}

/** A Standard Webhooks signing secret for deliveries to the application: `whsec_` + base64 of 24–64 bytes. */
export const signingSecret = z
  .string()
  .refine(
    (value) => signingKey(value) !== undefined,
    'must be a Standard Webhooks signing secret: "whsec_" followed by base64 of 24 to 64 random bytes (whsec_$(openssl rand -base64 32))',
  );

/** Secrets that sign deliveries to one target, each one signing (list the new one beside the old to rotate). */
export const signingSecrets = z.array(signingSecret).min(1, 'list at least one secret, or leave the key out');
