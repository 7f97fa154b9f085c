import { createPublicKey, type KeyObject } from 'node:crypto';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * A SendGrid Event Webhook verification key: base64 of the DER (SPKI) public key, as SendGrid's settings
 * page shows it, or the same in PEM. It must be an ECDSA P-256 key.
 * (https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features)
 */
export function sendgridPublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  let key: KeyObject;
  try {
    key = trimmed.startsWith('-----BEGIN')
      ? createPublicKey({ key: trimmed, format: 'pem' })
      : createPublicKey({
          key: Buffer.from(trimmed.replace(/\s+/g, ''), 'base64'),
          format: 'der',
          type: 'spki',
        });
  } catch {
    throw new Error('must be a public key: base64 DER as SendGrid shows it, or PEM');
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('must be an ECDSA P-256 public key');
  }
  return key;
}

/** The HMAC key of a Standard Webhooks `whsec_` secret, or undefined when it is not one. */
export function standardWebhooksSecretKey(value: string): Buffer | undefined {
  if (value.startsWith('whpk_')) return undefined;
  const raw = value.startsWith('whsec_') ? value.slice('whsec_'.length) : value;
  if (raw.length === 0 || !BASE64.test(raw)) return undefined;
  const key = Buffer.from(raw, 'base64');
  return key.length >= 16 ? key : undefined;
}

/**
 * The ed25519 key of a Standard Webhooks `whpk_` public key (base64 of the 32 raw key bytes), or undefined
 * when it is not one. (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md)
 */
export function standardWebhooksPublicKey(value: string): KeyObject | undefined {
  if (!value.startsWith('whpk_')) return undefined;
  const raw = value.slice('whpk_'.length);
  if (!BASE64.test(raw)) return undefined;
  const bytes = Buffer.from(raw, 'base64');
  if (bytes.length !== 32) return undefined;
  try {
    return createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: bytes.toString('base64url') },
      format: 'jwk',
    });
  } catch {
    return undefined;
  }
}
