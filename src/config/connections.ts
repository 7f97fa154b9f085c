import { z } from 'zod';
import { buildCatalogue } from '../providers/catalogue';
import { headerName, httpUrl } from './primitives';

/** A codec key: 32 bytes of base64 (AES-256). */
const codecKeySchema = z
  .object({
    id: z
      .string()
      .min(1)
      .max(32)
      .regex(/^[A-Za-z0-9_.-]+$/, 'must be letters, digits, "_", "." or "-"'),
    key: z
      .string()
      .refine(
        (value) => /^[A-Za-z0-9+/]+={0,2}$/.test(value) && Buffer.from(value, 'base64').length === 32,
        'must be base64 of exactly 32 random bytes (openssl rand -base64 32)',
      ),
  })
  .strict();

/** Payload encryption and the Temporal UI's codec endpoint. */
export const codecSchema = z
  .object({
    /** Every key that may decrypt; `currentKeyId` (default: the first) encrypts. */
    keys: z.array(codecKeySchema).default([]),
    currentKeyId: z.string().min(1).optional(),
    /** Bearer tokens that may call /codec/encode and /codec/decode (operators, the UI, the temporal CLI). */
    operatorTokens: z.array(z.string().min(16, 'an operator token needs at least 16 characters')).default([]),
    /** The Temporal UI's origin, the only one CORS lets call the codec endpoints. */
    uiOrigin: httpUrl.optional(),
  })
  .strict()
  .superRefine((codec, ctx) => {
    const ids = codec.keys.map((k) => k.id);
    ids.forEach((id, index) => {
      if (ids.indexOf(id) !== index) {
        ctx.addIssue({ code: 'custom', path: ['keys', index, 'id'], message: `duplicate key id "${id}"` });
      }
    });
    if (codec.currentKeyId && !ids.includes(codec.currentKeyId)) {
      ctx.addIssue({ code: 'custom', path: ['currentKeyId'], message: 'must name one of codec.keys' });
    }
  });

/** Management API authentication. */
export const adminSchema = z
  .object({
    /** Bearer keys accepted on management routes; list two while rotating. */
    apiKeys: z.array(z.string().min(16, 'an admin API key needs at least 16 characters')).default([]),
  })
  .strict();

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
