import { RequestError } from '../../shared/errors';
import { parsePayload } from '../payload';
import {
  checkTolerance,
  contentDeliveryId,
  deliveryId,
  fromHex,
  headerValue,
  hmac,
  invalidSignature,
  jsonBody,
  matchesAny,
  signatureHeader,
  stringField,
  timestampSeconds,
} from './common';
import type { InboundWebhook, VerifiedWebhook, WebhookScheme } from './scheme';
import { firstSecret, signingStart } from './signing';

/** What a verified Slack request is: an Events API envelope, an interaction, or a slash command. */
function slackEvent(request: InboundWebhook): VerifiedWebhook {
  const payload = parsePayload(headerValue(request, 'content-type'), request.rawBody);
  if (payload === undefined) throw new RequestError('malformed_body', 'the body is neither JSON nor a form');
  const fields = payload as Record<string, unknown>;
  // Interactivity posts a form whose `payload` field is the JSON interaction.
  if (typeof fields.payload === 'string') {
    const interaction = jsonBody(Buffer.from(fields.payload, 'utf8'));
    const type = stringField(interaction, 'type') ?? 'interaction';
    const trigger = stringField(interaction, 'trigger_id');
    return {
      deliveryId: trigger ? deliveryId(trigger, 'trigger_id') : contentDeliveryId(request.rawBody),
      eventType: type,
      payload: interaction,
    };
  }
  if (typeof fields.command === 'string') {
    const trigger = stringField(fields, 'trigger_id');
    return {
      deliveryId: trigger ? deliveryId(trigger, 'trigger_id') : contentDeliveryId(request.rawBody),
      eventType: 'slash_command',
      payload,
    };
  }
  const type = stringField(payload, 'type');
  if (type === undefined) throw new RequestError('malformed_body', 'a Slack event has a string "type"');
  if (type === 'url_verification') {
    const challenge = stringField(payload, 'challenge');
    if (challenge === undefined)
      throw new RequestError('malformed_body', 'url_verification without a challenge');
    return {
      deliveryId: 'url_verification',
      eventType: type,
      payload,
      reply: { body: { challenge } },
    };
  }
  if (type === 'event_callback') {
    const eventId = stringField(payload, 'event_id');
    const inner = stringField(fields.event, 'type');
    if (eventId === undefined || inner === undefined) {
      throw new RequestError('malformed_body', 'an event_callback has "event_id" and "event.type"');
    }
    return { deliveryId: deliveryId(eventId, 'event_id'), eventType: inner, payload };
  }
  return { deliveryId: contentDeliveryId(request.rawBody), eventType: type, payload };
}

/** The `v0` signature: HMAC-SHA256 with the signing secret over `v0:<timestamp>:<raw body>`. */
function v0Signature(secret: string, timestamp: string, body: Buffer | string): Buffer {
  return hmac('sha256', secret, `v0:${timestamp}:`, body);
}

/**
 * Slack (https://api.slack.com/authentication/verifying-requests-from-slack): `X-Slack-Signature: v0=<hex>`,
 * HMAC-SHA256 with the signing secret over `v0:<X-Slack-Request-Timestamp>:<raw body>`, the timestamp within
 * the tolerance both ways. A verified `url_verification` is answered with its challenge and starts nothing.
 * Events API deliveries dedupe by `event_id` (Slack's retries keep it).
 */
export const slack: WebhookScheme<'slack'> = {
  id: 'slack',
  settings: { keys: 'secrets', signsTimestamp: true, takesPublicUrl: false },

  verify(request, source, nowMs) {
    const header = signatureHeader(request, 'x-slack-signature');
    const timestamp = signatureHeader(request, 'x-slack-request-timestamp');
    const seconds = timestampSeconds(timestamp, 'x-slack-request-timestamp');
    const candidate = header.startsWith('v0=') ? fromHex(header.slice('v0='.length)) : undefined;
    const expected = source.secrets.map((secret) => v0Signature(secret, timestamp, request.rawBody));
    if (!matchesAny([candidate], expected)) {
      throw invalidSignature('x-slack-signature does not match a configured signing secret');
    }
    checkTolerance(seconds, nowMs, source.toleranceSeconds, 'x-slack-request-timestamp');
    return slackEvent(request);
  },

  sign(source, input) {
    const { seconds, headers } = signingStart(input);
    headers['x-slack-request-timestamp'] = seconds;
    headers['x-slack-signature'] =
      `v0=${v0Signature(firstSecret(source), seconds, input.body).toString('hex')}`;
    return { headers, body: input.body, query: '' };
  },
};
