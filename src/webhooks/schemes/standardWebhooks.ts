import {
  createPrivateKey,
  createPublicKey,
  sign as signBytes,
  verify as verifySignature,
  type KeyObject,
} from 'node:crypto';
import { RequestError, WebhookVerificationError } from '../../shared/errors';
import {
  BASE64,
  checkTolerance,
  deliveryId,
  fromBase64,
  hmac,
  invalidSignature,
  jsonBody,
  matchesAny,
  signatureHeader,
  stringField,
  timestampSeconds,
} from './common';
import type { ConfigIssue, SchemeSource, WebhookScheme } from './scheme';
import { refuseToSign, setJsonField, signingStart } from './signing';

/** The HMAC key of a `whsec_` secret (base64 of at least 16 bytes), or undefined when it is not one. */
function secretKey(value: string): Buffer | undefined {
  if (value.startsWith('whpk_')) return undefined;
  const raw = value.startsWith('whsec_') ? value.slice('whsec_'.length) : value;
  if (raw.length === 0 || !BASE64.test(raw)) return undefined;
  const key = Buffer.from(raw, 'base64');
  return key.length >= 16 ? key : undefined;
}

/** The ed25519 key of a `whpk_` public key (base64 of the 32 raw key bytes), or undefined when it is not one. */
function publicKey(value: string): KeyObject | undefined {
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

interface Keys {
  hmac: Buffer[];
  ed25519: KeyObject[];
}

/** Keys parsed once per source: `whsec_` secrets for `v1`, `whpk_` public keys for `v1a`. */
const keyCache = new WeakMap<SchemeSource, Keys>();

function keysOf(source: SchemeSource): Keys {
  let keys = keyCache.get(source);
  if (!keys) {
    keys = { hmac: [], ed25519: [] };
    for (const secret of source.secrets) {
      const ed25519 = publicKey(secret);
      if (ed25519) keys.ed25519.push(ed25519);
      else {
        const hmacKey = secretKey(secret);
        if (hmacKey) keys.hmac.push(hmacKey);
      }
    }
    keyCache.set(source, keys);
  }
  return keys;
}

/** What both versions sign: `<webhook-id>.<webhook-timestamp>.<raw body>`. */
function signedContent(id: string, timestamp: string, body: Buffer | string): Buffer {
  return Buffer.concat([
    Buffer.from(`${id}.${timestamp}.`, 'utf8'),
    typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
  ]);
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

/** Standard Webhooks payloads are JSON objects with a string `type`, the event type. */
function standardWebhooksPayload(rawBody: Buffer): { payload: unknown; type: string } {
  const payload = jsonBody(rawBody);
  const type = stringField(payload, 'type');
  if (type === undefined) {
    throw new RequestError('malformed_body', 'the body must be a JSON object with a string "type"');
  }
  return { payload, type };
}

/** Each configured value that is neither a `whsec_` secret nor a `whpk_` public key, at its index. */
function secretIssues(secrets: readonly string[] | undefined): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  secrets?.forEach((secret, index) => {
    if (secretKey(secret) === undefined && publicKey(secret) === undefined) {
      issues.push({
        path: ['secrets', index],
        message:
          'must be a Standard Webhooks secret: "whsec_" followed by base64 of at least 16 bytes, or an ed25519 public key: "whpk_" followed by base64 of 32 bytes',
      });
    }
  });
  return issues;
}

/**
 * Standard Webhooks (https://www.standardwebhooks.com, spec v1): over `webhook-id.webhook-timestamp.body`,
 * either HMAC-SHA256 with a `whsec_` secret (`v1,`) or ed25519 with a `whpk_` public key (`v1a,`); any one of
 * several space-separated signatures is enough; the timestamp must be within the tolerance both ways.
 * (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md)
 */
export const standardWebhooks: WebhookScheme<'standard-webhooks'> = {
  id: 'standard-webhooks',
  settings: { keys: 'secrets', signsTimestamp: true, takesPublicUrl: false },

  verify(request, source, nowMs) {
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

    const signed = signedContent(id, timestamp, request.rawBody);
    const candidates = signatures(signatureHeader(request, 'webhook-signature'));
    const keys = keysOf(source);
    const macs = candidates.v1.length > 0 ? keys.hmac.map((key) => hmac('sha256', key, signed)) : [];
    let valid = matchesAny(candidates.v1, macs);
    for (const key of keys.ed25519) {
      for (const candidate of candidates.v1a) {
        if (candidate.length === 64 && verifySignature(null, signed, key, candidate)) valid = true;
      }
    }
    if (!valid) throw invalidSignature('no webhook-signature matches a configured secret or public key');

    checkTolerance(seconds, nowMs, source.toleranceSeconds, 'webhook-timestamp');
    const { payload, type } = standardWebhooksPayload(request.rawBody);
    return { deliveryId: id, eventType: type, payload };
  },

  sign(source, input) {
    const { seconds, id, headers } = signingStart(input);
    const body = input.eventType ? setJsonField(input.body, 'type', input.eventType) : input.body;
    const signed = signedContent(id, seconds, body);
    const hmacKey = source.secrets.map(secretKey).find((key) => key !== undefined);
    let signature: string;
    if (input.privateKeyPem) {
      signature = `v1a,${signBytes(null, signed, createPrivateKey(input.privateKeyPem)).toString('base64')}`;
    } else if (hmacKey) {
      signature = `v1,${hmac('sha256', hmacKey, signed).toString('base64')}`;
    } else {
      refuseToSign('this source has only whpk_ public keys: pass --private-key <ed25519 pem file>');
    }
    headers['webhook-id'] = id;
    headers['webhook-timestamp'] = seconds;
    headers['webhook-signature'] = signature;
    return { headers, body, query: '' };
  },

  configRules: (source) => secretIssues(source.secrets),
};
