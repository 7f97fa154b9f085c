import { parsePayload } from '../payload';
import {
  deliveryId,
  fromBase64,
  headerValue,
  hmac,
  invalidSignature,
  matchesAny,
  requiredHeader,
  signatureHeader,
} from './common';
import type { WebhookScheme } from './scheme';
import { firstSecret, refuseToSign, signingStart } from './signing';

/**
 * Shopify (https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-5-verify-the-webhook):
 * `X-Shopify-Hmac-Sha256`, base64 HMAC-SHA256 of the raw body keyed with the app's client secret. No
 * timestamp is signed: dedupe by `X-Shopify-Event-Id` (Shopify's duplicate key; `X-Shopify-Webhook-Id`
 * where it is absent) is the replay defence. The event type is the `X-Shopify-Topic` (`orders/create`).
 */
export const shopify: WebhookScheme<'shopify'> = {
  id: 'shopify',
  settings: { keys: 'secrets', signsTimestamp: false, takesPublicUrl: false },

  verify(request, source) {
    const candidate = fromBase64(signatureHeader(request, 'x-shopify-hmac-sha256'));
    const expected = source.secrets.map((secret) => hmac('sha256', secret, request.rawBody));
    if (!matchesAny([candidate], expected)) {
      throw invalidSignature('x-shopify-hmac-sha256 does not match a configured secret');
    }

    const topic = requiredHeader(request, 'x-shopify-topic');
    const eventId = headerValue(request, 'x-shopify-event-id')?.trim();
    const id = eventId
      ? deliveryId(eventId, 'x-shopify-event-id')
      : deliveryId(requiredHeader(request, 'x-shopify-webhook-id'), 'x-shopify-webhook-id');
    // Shopify sends JSON (or XML for legacy subscriptions, delivered as received with no parsed payload).
    const payload = parsePayload(headerValue(request, 'content-type'), request.rawBody);
    return { deliveryId: id, eventType: topic, payload };
  },

  sign(source, input) {
    const { id, headers } = signingStart(input);
    headers['x-shopify-hmac-sha256'] = hmac('sha256', firstSecret(source), input.body).toString('base64');
    headers['x-shopify-topic'] =
      input.eventType ?? refuseToSign('shopify needs --event <topic>, e.g. orders/create');
    headers['x-shopify-webhook-id'] = id;
    headers['x-shopify-event-id'] = id;
    return { headers, body: input.body, query: '' };
  },
};
