import { createHmac, verify as verifySignature, type KeyObject } from 'node:crypto';
import type { SourceConfig } from '../../config/schema';
import { RequestError, WebhookVerificationError } from '../../shared/errors';
import { standardWebhooksPublicKey, standardWebhooksSecretKey } from '../keys';
import { type InboundWebhook, type VerifiedWebhook, type WebhookVerifier } from '../types';
import {
  checkTolerance,
  deliveryId,
  fromBase64,
  invalidSignature,
  jsonBody,
  sameBytes,
  signatureHeader,
  stringField,
  timestampSeconds,
} from './common';

interface Keys {
  hmac: Buffer[];
  ed25519: KeyObject[];
}

/** Keys parsed once per source: `whsec_` secrets for `v1`, `whpk_` public keys for `v1a`. */
const keyCache = new WeakMap<SourceConfig, Keys>();

function keysOf(source: SourceConfig): Keys {
  let keys = keyCache.get(source);
  if (!keys) {
    keys = { hmac: [], ed25519: [] };
    for (const secret of source.secrets) {
      const publicKey = standardWebhooksPublicKey(secret);
      if (publicKey) keys.ed25519.push(publicKey);
      else {
        const hmacKey = standardWebhooksSecretKey(secret);
        if (hmacKey) keys.hmac.push(hmacKey);
      }
    }
    keyCache.set(source, keys);
  }
  return keys;
}

/** Every `<version>,<base64>` entry of the space-delimited `webhook-signature` header, decoded, by version. */
function signatures(header: string): { v1: Buffer[]; v1a: Buffer[] } {
  const found = { v1: [] as Buffer[], v1a: [] as Buffer[] };
  for (const entry of header.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma <= 0) continue;
    const version = entry.slice(0, comma);
    if (version !== 'v1' && version !== 'v1a') continue;
    const decoded = fromBase64(entry.slice(comma + 1));
    if (decoded) found[version].push(decoded);
  }
  return found;
}

/** Parses the payload just far enough to read its `type`; Standard Webhooks payloads are JSON objects. */
export function standardWebhooksEventType(rawBody: Buffer): string {
  return standardWebhooksPayload(rawBody).type;
}

function standardWebhooksPayload(rawBody: Buffer): { payload: unknown; type: string } {
  const payload = jsonBody(rawBody);
  const type = stringField(payload, 'type');
  if (type === undefined) {
    throw new RequestError('malformed_body', 'the body must be a JSON object with a string "type"');
  }
  return { payload, type };
}

/**
 * Standard Webhooks (https://www.standardwebhooks.com, spec v1): over `webhook-id.webhook-timestamp.body`,
 * either HMAC-SHA256 with a `whsec_` secret (`v1,`) or ed25519 with a `whpk_` public key (`v1a,`); any one of
 * several space-separated signatures is enough; the timestamp must be within the tolerance both ways.
 */
export const verifyStandardWebhook: WebhookVerifier = (
  request: InboundWebhook,
  source: SourceConfig,
  nowMs: number,
): VerifiedWebhook => {
  const missing = ['webhook-id', 'webhook-timestamp', 'webhook-signature'].filter((name) => {
    const value = request.headers[name];
    return value === undefined || value === '' || (Array.isArray(value) && value.length === 0);
  });
  if (missing.length > 0) {
    throw new WebhookVerificationError(
      'missing_signature',
      `missing header${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`,
    );
  }
  const id = deliveryId(signatureHeader(request, 'webhook-id'), 'webhook-id');
  const timestamp = signatureHeader(request, 'webhook-timestamp');
  const seconds = timestampSeconds(timestamp, 'webhook-timestamp');

  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), request.rawBody]);
  const candidates = signatures(signatureHeader(request, 'webhook-signature'));
  const keys = keysOf(source);
  let valid = false;
  if (candidates.v1.length > 0) {
    for (const key of keys.hmac) {
      const expected = createHmac('sha256', key).update(signed).digest();
      for (const candidate of candidates.v1) if (sameBytes(candidate, expected)) valid = true;
    }
  }
  for (const key of keys.ed25519) {
    for (const candidate of candidates.v1a) {
      if (candidate.length === 64 && verifySignature(null, signed, key, candidate)) valid = true;
    }
  }
  if (!valid) throw invalidSignature('no webhook-signature matches a configured secret or public key');

  checkTolerance(seconds, nowMs, source.toleranceSeconds, 'webhook-timestamp');
  const { payload, type } = standardWebhooksPayload(request.rawBody);
  return { deliveryId: id, eventType: type, payload };
};
