import { createPublicKey, sign as signBytes, verify as verifySignature, type KeyObject } from 'node:crypto';
import { ConfigError, RequestError } from '../../shared/errors';
import {
  checkTolerance,
  contentDeliveryId,
  fromBase64,
  invalidSignature,
  jsonBody,
  signatureHeader,
  stringField,
  timestampSeconds,
} from './common';
import type { ConfigIssue, SchemeSource, WebhookScheme } from './scheme';
import { refuseToSign, signingStart } from './signing';

/**
 * A SendGrid Event Webhook verification key: base64 of the DER (SPKI) public key, as SendGrid's settings
 * page shows it, or the same in PEM. It must be an ECDSA P-256 key; otherwise, what is wrong with it.
 */
function readPublicKey(text: string): KeyObject | string {
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
    return 'must be a public key: base64 DER as SendGrid shows it, or PEM';
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    return 'must be an ECDSA P-256 public key';
  }
  return key;
}

/** Keys parsed once per source (the configuration has checked them already). */
const keyCache = new WeakMap<SchemeSource, KeyObject[]>();

function keysOf(source: SchemeSource): KeyObject[] {
  let keys = keyCache.get(source);
  if (!keys) {
    keys = source.publicKeys.map((text, index) => {
      const key = readPublicKey(text);
      if (typeof key === 'string')
        throw new ConfigError(`source "${source.id}": publicKeys[${index}] ${key}`);
      return key;
    });
    keyCache.set(source, keys);
  }
  return keys;
}

/** What SendGrid signs: the timestamp header's value followed by the raw body. */
function signedContent(timestamp: string, body: Buffer | string): Buffer {
  return Buffer.concat([
    Buffer.from(timestamp, 'utf8'),
    typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
  ]);
}

/** A batch's type: the events' common `event` (`delivered`), or `batch` when they differ. */
function batchType(events: unknown[]): string {
  const types = new Set(events.map((event) => stringField(event, 'event') ?? ''));
  const [only] = types;
  return types.size === 1 && only ? only : 'batch';
}

/** Each configured key that is not an ECDSA P-256 public key, at its index. */
function publicKeyIssues(publicKeys: readonly string[] | undefined): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  publicKeys?.forEach((text, index) => {
    const key = readPublicKey(text);
    if (typeof key === 'string') issues.push({ path: ['publicKeys', index], message: key });
  });
  return issues;
}

/**
 * SendGrid Event Webhook
 * (https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features):
 * `X-Twilio-Email-Event-Webhook-Signature`, a base64 DER ECDSA P-256 / SHA-256 signature over
 * `X-Twilio-Email-Event-Webhook-Timestamp` followed by the raw body, checked with the configured public key;
 * the timestamp within the tolerance both ways. A request is a batch of events with no delivery id: it is
 * delivered as one event, deduplicated by a hash of the body.
 */
export const sendgrid: WebhookScheme<'sendgrid'> = {
  id: 'sendgrid',
  settings: { keys: 'publicKeys', signsTimestamp: true, takesPublicUrl: false },

  verify(request, source, nowMs) {
    const signature = fromBase64(signatureHeader(request, 'x-twilio-email-event-webhook-signature'));
    const timestamp = signatureHeader(request, 'x-twilio-email-event-webhook-timestamp');
    const seconds = timestampSeconds(timestamp, 'x-twilio-email-event-webhook-timestamp');
    const signed = signedContent(timestamp, request.rawBody);
    let valid = false;
    if (signature) {
      for (const key of keysOf(source)) {
        try {
          if (verifySignature('sha256', signed, { key, dsaEncoding: 'der' }, signature)) valid = true;
        } catch {
          // A signature that is not DER at all is simply not a match.
        }
      }
    }
    if (!valid) throw invalidSignature('the event webhook signature does not match a configured public key');
    checkTolerance(seconds, nowMs, source.toleranceSeconds, 'x-twilio-email-event-webhook-timestamp');

    const payload = jsonBody(request.rawBody);
    if (!Array.isArray(payload))
      throw new RequestError('malformed_body', 'a SendGrid delivery is a JSON array of events');
    return { deliveryId: contentDeliveryId(request.rawBody), eventType: batchType(payload), payload };
  },

  sign(_source, input) {
    if (!input.privateKeyPem)
      refuseToSign('sendgrid sources verify with a public key: pass --private-key <pem file>');
    const { seconds, headers } = signingStart(input);
    headers['x-twilio-email-event-webhook-timestamp'] = seconds;
    headers['x-twilio-email-event-webhook-signature'] = signBytes(
      'sha256',
      signedContent(seconds, input.body),
      input.privateKeyPem,
    ).toString('base64');
    return { headers, body: input.body, query: '' };
  },

  configRules: (source) => publicKeyIssues(source.publicKeys),
};
