import { createHmac } from 'node:crypto';
import type { SourceConfig } from '../../config/schema';
import { RequestError, WebhookVerificationError } from '../../shared/errors';
import type { InboundWebhook, VerifiedWebhook, WebhookVerifier } from '../types';
import {
  checkTolerance,
  deliveryId,
  fromHex,
  invalidSignature,
  jsonBody,
  sameBytes,
  signatureHeader,
  stringField,
  timestampSeconds,
} from './common';

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

/**
 * Stripe (https://docs.stripe.com/webhooks#verify-manually): `Stripe-Signature: t=…,v1=…` where each `v1` is
 * HMAC-SHA256 hex, keyed with the `whsec_…` endpoint secret as text, over `t.rawBody`; the timestamp within
 * the tolerance both ways. The event id and type come from the body.
 */
export const verifyStripeWebhook: WebhookVerifier = (
  request: InboundWebhook,
  source: SourceConfig,
  nowMs: number,
): VerifiedWebhook => {
  const { timestamp, v1 } = parseStripeSignature(signatureHeader(request, 'stripe-signature'));
  if (timestamp === undefined) {
    throw new WebhookVerificationError('malformed_headers', 'stripe-signature has no t= timestamp');
  }
  const seconds = timestampSeconds(timestamp, 'the stripe-signature timestamp');
  if (v1.length === 0) throw invalidSignature('stripe-signature has no v1 signature');
  const signed = Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), request.rawBody]);
  let valid = false;
  for (const secret of source.secrets) {
    const expected = createHmac('sha256', secret).update(signed).digest();
    for (const candidate of v1) if (sameBytes(candidate, expected)) valid = true;
  }
  if (!valid) throw invalidSignature('no stripe-signature v1 signature matches a configured secret');
  checkTolerance(seconds, nowMs, source.toleranceSeconds, 'the stripe-signature timestamp');

  const payload = jsonBody(request.rawBody);
  const id = stringField(payload, 'id');
  const type = stringField(payload, 'type');
  if (id === undefined || type === undefined) {
    throw new RequestError('malformed_body', 'a Stripe event is a JSON object with string "id" and "type"');
  }
  return { deliveryId: deliveryId(id, 'the event id'), eventType: type, payload };
};
