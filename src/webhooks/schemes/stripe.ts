import { randomUUID } from 'node:crypto';
import { RequestError, WebhookVerificationError } from '../../shared/errors';
import {
  checkTolerance,
  deliveryId,
  fromHex,
  hmac,
  invalidSignature,
  jsonBody,
  matchesAny,
  signatureHeader,
  stringField,
  timestampSeconds,
} from './common';
import type { WebhookScheme } from './scheme';
import { firstSecret, jsonObject, setJsonField, signingStart } from './signing';

/** `t=<seconds>` and every `v1=<hex>` of a `Stripe-Signature` header; other schemes (`v0`) are ignored. */
function parseStripeSignature(header: string): { timestamp: string | undefined; v1: Buffer[] } {
  let timestamp: string | undefined;
  const v1: Buffer[] = [];
  for (const item of header.split(',')) {
    const equals = item.indexOf('=');
    if (equals <= 0) continue;
    const key = item.slice(0, equals).trim();
    const value = item.slice(equals + 1).trim();
    if (key === 't') timestamp = value;
    else if (key === 'v1') {
      const bytes = fromHex(value);
      if (bytes) v1.push(bytes);
    }
  }
  return { timestamp, v1 };
}

/** The `v1` signature: HMAC-SHA256 keyed with the `whsec_…` secret as text, over `<t>.<raw body>`. */
function v1Signature(secret: string, timestamp: string, body: Buffer | string): Buffer {
  return hmac('sha256', secret, `${timestamp}.`, body);
}

/**
 * Stripe (https://docs.stripe.com/webhooks#verify-manually): `Stripe-Signature: t=…,v1=…` where each `v1` is
 * HMAC-SHA256 hex, keyed with the `whsec_…` endpoint secret as text, over `t.rawBody`; the timestamp within
 * the tolerance both ways. The event id and type come from the body.
 */
export const stripe: WebhookScheme<'stripe'> = {
  id: 'stripe',
  settings: { keys: 'secrets', signsTimestamp: true, takesPublicUrl: false },

  verify(request, source, nowMs) {
    const { timestamp, v1 } = parseStripeSignature(signatureHeader(request, 'stripe-signature'));
    if (timestamp === undefined) {
      throw new WebhookVerificationError('malformed_headers', 'stripe-signature has no t= timestamp');
    }
    const seconds = timestampSeconds(timestamp, 'the stripe-signature timestamp');
    if (v1.length === 0) throw invalidSignature('stripe-signature has no v1 signature');
    const expected = source.secrets.map((secret) => v1Signature(secret, timestamp, request.rawBody));
    if (!matchesAny(v1, expected)) {
      throw invalidSignature('no stripe-signature v1 signature matches a configured secret');
    }
    checkTolerance(seconds, nowMs, source.toleranceSeconds, 'the stripe-signature timestamp');

    const payload = jsonBody(request.rawBody);
    const id = stringField(payload, 'id');
    const type = stringField(payload, 'type');
    if (id === undefined || type === undefined) {
      throw new RequestError('malformed_body', 'a Stripe event is a JSON object with string "id" and "type"');
    }
    return { deliveryId: deliveryId(id, 'the event id'), eventType: type, payload };
  },

  sign(source, input) {
    const { seconds, headers } = signingStart(input);
    let body = input.body;
    if (input.eventType) body = setJsonField(body, 'type', input.eventType);
    // Stripe dedupes by the event's own id: keep the body's, or give it one.
    if (input.deliveryId || stringField(jsonObject(body), 'id') === undefined) {
      body = setJsonField(body, 'id', input.deliveryId ?? `evt_${randomUUID().replace(/-/g, '')}`);
    }
    const v1 = v1Signature(firstSecret(source), seconds, body).toString('hex');
    headers['stripe-signature'] = `t=${seconds},v1=${v1}`;
    return { headers, body, query: '' };
  },
};
