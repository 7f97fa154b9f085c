import { RequestError } from '../../shared/errors';
import { formFields, isForm } from '../payload';
import {
  deliveryId,
  fromHex,
  headerValue,
  hmac,
  invalidSignature,
  jsonBody,
  matchesAny,
  requiredHeader,
  signatureHeader,
  stringField,
} from './common';
import type { InboundWebhook, WebhookScheme } from './scheme';
import { firstSecret, signingStart } from './signing';

/** GitHub posts JSON, or (when the hook says so) a form with the JSON in its `payload` field. */
function githubPayload(request: InboundWebhook): unknown {
  if (isForm(headerValue(request, 'content-type'))) {
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
export const github: WebhookScheme<'github'> = {
  id: 'github',
  settings: { keys: 'secrets', signsTimestamp: false, takesPublicUrl: false },

  verify(request, source) {
    const header = signatureHeader(request, 'x-hub-signature-256');
    const candidate = header.startsWith('sha256=') ? fromHex(header.slice('sha256='.length)) : undefined;
    const expected = source.secrets.map((secret) => hmac('sha256', secret, request.rawBody));
    if (!matchesAny([candidate], expected)) {
      throw invalidSignature('x-hub-signature-256 does not match a configured secret');
    }

    const id = deliveryId(requiredHeader(request, 'x-github-delivery'), 'x-github-delivery');
    const event = requiredHeader(request, 'x-github-event');
    const payload = githubPayload(request);
    const action = stringField(payload, 'action');
    return { deliveryId: id, eventType: action ? `${event}.${action}` : event, payload };
  },

  sign(source, input) {
    const { id, headers } = signingStart(input);
    const signature = hmac('sha256', firstSecret(source), input.body).toString('hex');
    headers['x-hub-signature-256'] = `sha256=${signature}`;
    headers['x-github-delivery'] = id;
    headers['x-github-event'] = input.eventType ?? 'ping';
    return { headers, body: input.body, query: '' };
  },
};
