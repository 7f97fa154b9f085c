import { createHmac } from 'node:crypto';
import type { SourceConfig } from '../../config/schema';
import { RequestError } from '../../shared/errors';
import { formFields } from '../payload';
import { headerValue, type InboundWebhook, type VerifiedWebhook, type WebhookVerifier } from '../types';
import {
  deliveryId,
  fromHex,
  invalidSignature,
  jsonBody,
  requiredHeader,
  sameBytes,
  signatureHeader,
  stringField,
} from './common';

/** GitHub posts JSON, or (when the hook says so) a form with the JSON in its `payload` field. */
function githubPayload(request: InboundWebhook): unknown {
  const contentType = headerValue(request, 'content-type') ?? '';
  if (/^application\/x-www-form-urlencoded\b/i.test(contentType)) {
    const field = formFields(request.rawBody.toString('utf8')).payload;
    if (typeof field !== 'string') {
      throw new RequestError('malformed_body', 'a form-encoded GitHub delivery has a "payload" field');
    }
    return jsonBody(Buffer.from(field, 'utf8'));
  }
  return jsonBody(request.rawBody);
}

/**
 * GitHub (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries):
 * `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 of the raw body with the webhook secret. No timestamp:
 * the `X-GitHub-Delivery` id, deduplicated, is the replay defence. The event type is `X-GitHub-Event`,
 * with the payload's `action` appended when it has one (`issues.opened`).
 */
export const verifyGithubWebhook: WebhookVerifier = (
  request: InboundWebhook,
  source: SourceConfig,
): VerifiedWebhook => {
  const header = signatureHeader(request, 'x-hub-signature-256');
  const candidate = header.startsWith('sha256=') ? fromHex(header.slice('sha256='.length)) : undefined;
  let valid = false;
  for (const secret of source.secrets) {
    const expected = createHmac('sha256', secret).update(request.rawBody).digest();
    if (sameBytes(candidate, expected)) valid = true;
  }
  if (!valid) throw invalidSignature('x-hub-signature-256 does not match a configured secret');

  const id = deliveryId(requiredHeader(request, 'x-github-delivery'), 'x-github-delivery');
  const event = requiredHeader(request, 'x-github-event');
  const payload = githubPayload(request);
  const action = stringField(payload, 'action');
  return { deliveryId: id, eventType: action ? `${event}.${action}` : event, payload };
};
