import { createHmac } from 'node:crypto';
import type { SourceConfig } from '../../config/schema';
import { parsePayload } from '../payload';
import { headerValue, type InboundWebhook, type VerifiedWebhook, type WebhookVerifier } from '../types';
import {
  deliveryId,
  fromBase64,
  invalidSignature,
  requiredHeader,
  sameBytes,
  signatureHeader,
} from './common';

/**
 * Shopify (https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook):
 * `X-Shopify-Hmac-Sha256`, base64 HMAC-SHA256 of the raw body keyed with the app's client secret. No
 * timestamp is signed: dedupe by `X-Shopify-Event-Id` (Shopify's duplicate key; `X-Shopify-Webhook-Id`
 * where it is absent) is the replay defence. The event type is the `X-Shopify-Topic` (`orders/create`).
 */
export const verifyShopifyWebhook: WebhookVerifier = (
  request: InboundWebhook,
  source: SourceConfig,
): VerifiedWebhook => {
  const candidate = fromBase64(signatureHeader(request, 'x-shopify-hmac-sha256'));
  let valid = false;
  for (const secret of source.secrets) {
    const expected = createHmac('sha256', secret).update(request.rawBody).digest();
    if (sameBytes(candidate, expected)) valid = true;
  }
  if (!valid) throw invalidSignature('x-shopify-hmac-sha256 does not match a configured secret');

  const topic = requiredHeader(request, 'x-shopify-topic');
  const eventId = headerValue(request, 'x-shopify-event-id')?.trim();
  const id = eventId
    ? deliveryId(eventId, 'x-shopify-event-id')
    : deliveryId(requiredHeader(request, 'x-shopify-webhook-id'), 'x-shopify-webhook-id');
  // Shopify sends JSON (or XML for legacy subscriptions, delivered as received with no parsed payload).
  const payload = parsePayload(headerValue(request, 'content-type'), request.rawBody);
  return { deliveryId: id, eventType: topic, payload };
};
