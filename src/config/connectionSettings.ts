import { z } from 'zod';
import { buildCatalogue } from '../providers/catalogue';
import { headerName, httpUrl, signingSecrets } from './primitives';

/** Connections: the OAuth redirect, where `returnTo` may point, and where connection events go. */
export const connectionsSchema = z
  .object({
    /** The URL browsers and providers reach Junction at; the redirect URI is `<publicUrl>/oauth/callback`. */
    publicUrl: httpUrl.optional(),
    /** `returnTo` must start with one of these (same origin, path prefix): no open redirects. */
    returnToAllowlist: z.array(httpUrl).default([]),
    /** The application's receiver for `connection.*` events (needs_reauth, connected, deleted). */
    events: z
      .object({
        url: httpUrl,
        headers: z.record(headerName, z.string()).default({}),
        timeoutMs: z.number().int().positive().max(600_000).default(10_000),
        /** Standard Webhooks secrets that sign each event (default: `delivery.signingSecrets`). */
        signingSecrets: signingSecrets.optional(),
      })
      .strict()
      .optional(),
    /** HMAC key for the OAuth `state`; derived from the current codec key when omitted. */
    stateSecret: z.string().min(32, 'needs at least 32 characters').optional(),
    /** A connection workflow continues as new past this many history events (Temporal also suggests it). */
    historyEventLimit: z.number().int().min(50).max(40_000).default(5_000),
    /** Callers (the credentials helper) treat a token as stale this long before it expires. */
    callerMarginSeconds: z.number().int().min(0).max(3_600).default(60),
    /**
     * The refresh timer never fires sooner than this after the last refresh, whatever the token's lifetime;
     * a token that lives shorter is renewed on demand when a caller needs it.
     */
    minRefreshIntervalSeconds: z.number().int().min(1).max(3_600).default(5),
  })
  .strict();

/** Provider declarations from configuration, merged over the built-ins and validated: the catalogue. */
export const providersSchema = z
  .array(z.record(z.string(), z.unknown()))
  .default([])
  .transform((entries, ctx) =>
    buildCatalogue(entries, (issue) => {
      if (issue.code === 'unrecognized_keys' && issue.keys) {
        for (const key of issue.keys) {
          ctx.issues.push({
            code: 'custom',
            message: 'unknown key',
            path: [...issue.path, key],
            input: entries,
          });
        }
        return;
      }
      ctx.issues.push({ code: 'custom', message: issue.message, path: issue.path, input: entries });
    }),
  );
