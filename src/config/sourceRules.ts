import type { z } from 'zod';
import { sendgridPublicKey, standardWebhooksPublicKey, standardWebhooksSecretKey } from '../webhooks/keys';
import type { WebhookScheme } from './schema';

type RawSource = {
  scheme: WebhookScheme;
  secrets?: string[] | undefined;
  publicKeys?: string[] | undefined;
  publicUrl?: string | undefined;
  toleranceSeconds?: number | undefined;
};

/** Schemes whose signature covers no timestamp: dedupe by delivery id is their only replay defence. */
const UNTIMED_SCHEMES = new Set<WebhookScheme>(['github', 'shopify', 'twilio']);

/** Per-scheme rules: which keys a scheme needs, and what its secrets look like. */
export function checkSchemeKeys(source: RawSource, ctx: z.core.$RefinementCtx<unknown>) {
  const { scheme } = source;
  if (source.toleranceSeconds !== undefined && UNTIMED_SCHEMES.has(scheme)) {
    ctx.addIssue({
      code: 'custom',
      path: ['toleranceSeconds'],
      message: `${scheme} signs no timestamp, so there is no window to set; redeliveries are caught by delivery id`,
    });
  }
  if (scheme === 'sendgrid') {
    if (source.secrets !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['secrets'],
        message: 'sendgrid sources verify with `publicKeys`',
      });
    }
    if (!source.publicKeys || source.publicKeys.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['publicKeys'],
        message: 'a sendgrid source needs at least one public key; verification is never skipped',
      });
    }
    source.publicKeys?.forEach((key, index) => {
      try {
        sendgridPublicKey(key);
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['publicKeys', index], message: (error as Error).message });
      }
    });
  } else {
    if (source.publicKeys !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['publicKeys'],
        message: 'only sendgrid sources take publicKeys',
      });
    }
    if (!source.secrets || source.secrets.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['secrets'],
        message: 'a source needs at least one secret; verification is never skipped',
      });
    }
  }
  if (scheme === 'standard-webhooks') {
    source.secrets?.forEach((secret, index) => {
      if (
        standardWebhooksSecretKey(secret) === undefined &&
        standardWebhooksPublicKey(secret) === undefined
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['secrets', index],
          message:
            'must be a Standard Webhooks secret: "whsec_" followed by base64 of at least 16 bytes, or an ed25519 public key: "whpk_" followed by base64 of 32 bytes',
        });
      }
    });
  }
  if (scheme === 'twilio') {
    if (source.publicUrl === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['publicUrl'],
        message: 'a twilio source needs publicUrl: the URL configured at Twilio, which Twilio signs',
      });
    } else if (/[?#]/.test(source.publicUrl)) {
      ctx.addIssue({
        code: 'custom',
        path: ['publicUrl'],
        message: 'must not contain a query or fragment: the query of each request is appended as received',
      });
    }
  } else if (source.publicUrl !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['publicUrl'], message: 'only twilio sources take publicUrl' });
  }
}

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
