import { z } from 'zod';
import { httpUrl } from './primitives';

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
