import { verify as verifySignature, type KeyObject } from 'node:crypto';
import type { SourceConfig } from '../../config/schema';
import { RequestError } from '../../shared/errors';
import { sendgridPublicKey } from '../keys';
import type { InboundWebhook, VerifiedWebhook, WebhookVerifier } from '../types';
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

const keyCache = new WeakMap<SourceConfig, KeyObject[]>();

function keysOf(source: SourceConfig): KeyObject[] {
  let keys = keyCache.get(source);
  if (!keys) {
    keys = source.publicKeys.map(sendgridPublicKey);
    keyCache.set(source, keys);
  }
  return keys;
}

/** A batch's type: the events' common `event` (`delivered`), or `batch` when they differ. */
function batchType(events: unknown[]): string {
  const types = new Set(events.map((event) => stringField(event, 'event') ?? ''));
  const [only] = types;
  return types.size === 1 && only ? only : 'batch';
}

/**
 * SendGrid Event Webhook
 * (https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features):
 * `X-Twilio-Email-Event-Webhook-Signature`, a base64 DER ECDSA P-256 / SHA-256 signature over
 * `X-Twilio-Email-Event-Webhook-Timestamp` followed by the raw body, checked with the configured public key;
 * the timestamp within the tolerance both ways. A request is a batch of events with no delivery id: it is
 * delivered as one event, deduplicated by a hash of the body.
 */
export const verifySendgridWebhook: WebhookVerifier = (
  request: InboundWebhook,
  source: SourceConfig,
  nowMs: number,
): VerifiedWebhook => {
  const signature = fromBase64(signatureHeader(request, 'x-twilio-email-event-webhook-signature'));
  const timestamp = signatureHeader(request, 'x-twilio-email-event-webhook-timestamp');
  const seconds = timestampSeconds(timestamp, 'x-twilio-email-event-webhook-timestamp');
  const signed = Buffer.concat([Buffer.from(timestamp, 'utf8'), request.rawBody]);
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
};
