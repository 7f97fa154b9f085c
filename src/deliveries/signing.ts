import { createHmac } from 'node:crypto';

/** The Standard Webhooks headers every request Junction sends to the application carries. */
export const SIGNATURE_HEADERS = {
  id: 'webhook-id',
  timestamp: 'webhook-timestamp',
  signature: 'webhook-signature',
} as const;

const SECRET_PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * The HMAC key of a `whsec_` signing secret (base64 of 24 to 64 random bytes after the prefix), or
 * undefined when the value is not one. The config schema refuses anything else at start-up.
 */
export function signingKey(secret: string): Buffer | undefined {
  if (!secret.startsWith(SECRET_PREFIX)) return undefined;
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0) return undefined;
  const key = Buffer.from(encoded, 'base64');
  return key.length >= 24 && key.length <= 64 ? key : undefined;
}

export interface SignedDelivery {
  /** Stable across retries of the same message: the application dedupes by it. */
  id: string;
  /** When this attempt was signed (a retry is signed again, with its own time). */
  timestampMs: number;
  body: Buffer;
  /** Every `whsec_` secret the target is configured with: each one signs (rotation without downtime). */
  secrets: readonly string[];
}

/**
 * The Standard Webhooks (spec v1) headers for one request: `webhook-id`, `webhook-timestamp` (Unix seconds)
 * and `webhook-signature`, a space-separated `v1,<base64 HMAC-SHA256>` per secret over
 * `<id>.<timestamp>.<body>`. Without secrets there is nothing to sign and no headers are added.
 * (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md)
 */
export function signatureHeaders(delivery: SignedDelivery): Record<string, string> {
  if (delivery.secrets.length === 0) return {};
  const timestamp = String(Math.floor(delivery.timestampMs / 1000));
  const signedContent = Buffer.concat([Buffer.from(`${delivery.id}.${timestamp}.`, 'utf8'), delivery.body]);
  const signatures = delivery.secrets.map((secret) => {
    const key = signingKey(secret);
    // The config schema validates every secret; one that slips through must not send a request unsigned.
    if (!key) throw new TypeError('a delivery signing secret is not a whsec_ secret');
    return `v1,${createHmac('sha256', key).update(signedContent).digest('base64')}`;
  });
  return {
    [SIGNATURE_HEADERS.id]: delivery.id,
    [SIGNATURE_HEADERS.timestamp]: timestamp,
    [SIGNATURE_HEADERS.signature]: signatures.join(' '),
  };
}
