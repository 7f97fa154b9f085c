/**
 * One table of every scheme for the verifier tests: how to configure a source, how the provider's library
 * signs, whether it accepts, and what Junction should read from a valid request.
 */
import { randomUUID } from 'node:crypto';
import { parseConfig } from '../../src/config/load';
import type { SourceConfig } from '../../src/config/schema';
import { httpStatus } from '../../src/server/errorStatus';
import { JunctionError } from '../../src/shared/errors';
import { SCHEMES, type SchemeId } from '../../src/webhooks/schemes';
import type { VerifiedWebhook } from '../../src/webhooks/schemes/scheme';
import * as p from './providers';

export const TWILIO_PUBLIC_URL = 'https://hooks.example.com/junction/twilio';

/** A key as configured (secret or public key) and whatever the sender signs with. */
export interface SchemeKey {
  configured: string;
  signing: unknown;
}

export interface SchemeCase {
  scheme: SchemeId;
  newKey(): SchemeKey;
  sign(key: SchemeKey, options?: { body?: string; at?: number }): Promise<p.Vector> | p.Vector;
  libraryAccepts(vector: p.Vector, key: SchemeKey, nowMs: number): Promise<boolean> | boolean;
  signatureHeaders: string[];
  timestamped: boolean;
  /** What the verifier must return for a vector signed with default content. */
  expected(vector: p.Vector): Partial<VerifiedWebhook>;
}

const hmacKey = (): SchemeKey => {
  const secret = p.newSecret();
  return { configured: secret, signing: secret };
};
const at = (options?: { at?: number }) => options?.at;

export const SCHEME_CASES: SchemeCase[] = [
  {
    scheme: 'stripe',
    newKey: () => {
      const secret = p.newSecret('whsec_');
      return { configured: secret, signing: secret };
    },
    sign: (key, o) => p.stripeVector({ secret: key.signing as string, body: o?.body, at: at(o) }),
    libraryAccepts: (v, key, now) => p.stripeAccepts(v, key.signing as string, now),
    signatureHeaders: ['stripe-signature'],
    timestamped: true,
    expected: (v) => ({ deliveryId: (JSON.parse(v.body) as { id: string }).id, eventType: 'invoice.paid' }),
  },
  {
    scheme: 'github',
    newKey: hmacKey,
    sign: (key, o) => p.githubVector({ secret: key.signing as string, body: o?.body }),
    libraryAccepts: (v, key) => p.githubAccepts(v, key.signing as string),
    signatureHeaders: ['x-hub-signature-256'],
    timestamped: false,
    expected: (v) => ({ deliveryId: v.headers['x-github-delivery'], eventType: 'issues.opened' }),
  },
  {
    scheme: 'slack',
    newKey: hmacKey,
    sign: (key, o) => p.slackVector({ secret: key.signing as string, body: o?.body, at: at(o) }),
    libraryAccepts: (v, key, now) => p.slackAccepts(v, key.signing as string, now),
    signatureHeaders: ['x-slack-signature', 'x-slack-request-timestamp'],
    timestamped: true,
    expected: (v) => ({
      deliveryId: (JSON.parse(v.body) as { event_id: string }).event_id,
      eventType: 'app_mention',
    }),
  },
  {
    scheme: 'shopify',
    newKey: hmacKey,
    sign: (key, o) => p.shopifyVector({ secret: key.signing as string, body: o?.body }),
    libraryAccepts: (v, key) => p.shopifyAccepts(v, key.signing as string),
    signatureHeaders: ['x-shopify-hmac-sha256'],
    timestamped: false,
    expected: (v) => ({ deliveryId: v.headers['x-shopify-event-id'], eventType: 'orders/create' }),
  },
  {
    scheme: 'twilio',
    newKey: hmacKey,
    sign: (key, o) =>
      o?.body
        ? p.twilioJsonVector({
            authToken: key.signing as string,
            publicUrl: TWILIO_PUBLIC_URL,
            body: o.body,
            token: `tok-${randomUUID()}`,
          })
        : p.twilioFormVector({
            authToken: key.signing as string,
            publicUrl: TWILIO_PUBLIC_URL,
            token: `tok-${randomUUID()}`,
          }),
    libraryAccepts: (v, key) => p.twilioAccepts(v, key.signing as string, TWILIO_PUBLIC_URL),
    signatureHeaders: ['x-twilio-signature'],
    timestamped: false,
    expected: (v) => ({ deliveryId: v.headers['i-twilio-idempotency-token'], eventType: 'message.received' }),
  },
  {
    scheme: 'sendgrid',
    newKey: () => {
      const keys = p.sendgridKeys();
      return { configured: keys.publicKey, signing: keys.privateKeyPem };
    },
    sign: (key, o) => p.sendgridVector({ privateKeyPem: key.signing as string, body: o?.body, at: at(o) }),
    libraryAccepts: (v, key) => p.sendgridAccepts(v, key.configured),
    signatureHeaders: ['x-twilio-email-event-webhook-signature', 'x-twilio-email-event-webhook-timestamp'],
    timestamped: true,
    expected: () => ({ eventType: 'delivered' }),
  },
  {
    scheme: 'standard-webhooks',
    newKey: () => {
      const pair = p.standardWebhooksKeyPair();
      return { configured: pair.publicKey, signing: pair.secretKey };
    },
    sign: (key, o) =>
      p.standardWebhooksV1aVector({ secretKey: key.signing as Uint8Array, body: o?.body, at: at(o) }),
    libraryAccepts: (v, key) => p.standardWebhooksV1aAccepts(v, key.configured),
    signatureHeaders: ['webhook-signature'],
    timestamped: true,
    expected: (v) => ({ deliveryId: v.headers['webhook-id'], eventType: 'user.created' }),
  },
];

/** A raw source entry for a scheme with the given keys (secrets, or SendGrid's public keys). */
export function rawSource(scheme: SchemeId, keys: string[], extra: Record<string, unknown> = {}) {
  return {
    id: scheme === 'standard-webhooks' ? 'sw' : scheme,
    scheme,
    ...(scheme === 'sendgrid' ? { publicKeys: keys } : { secrets: keys }),
    ...(scheme === 'twilio' ? { publicUrl: TWILIO_PUBLIC_URL } : {}),
    ...extra,
  };
}

export function sourceFor(
  scheme: SchemeId,
  keys: string[],
  extra: Record<string, unknown> = {},
): SourceConfig {
  return parseConfig({ sources: [rawSource(scheme, keys, extra)] }, {}).sources[0]!;
}

export function verify(source: SourceConfig, vector: p.Vector, nowMs = Date.now()): VerifiedWebhook {
  return SCHEMES[source.scheme].verify(
    {
      headers: vector.headers,
      rawBody: Buffer.from(vector.body, 'utf8'),
      url: vector.url ?? `/webhooks/${source.id}`,
    },
    source,
    nowMs,
  );
}

export function rejection(fn: () => unknown): { status: number; code: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof JunctionError) return { status: httpStatus(error.code), code: error.code };
    throw error;
  }
  throw new Error('expected a rejection');
}
