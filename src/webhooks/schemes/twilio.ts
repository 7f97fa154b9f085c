import { createHash } from 'node:crypto';
import { WebhookVerificationError } from '../../shared/errors';
import { formFields, parsePayload } from '../payload';
import {
  contentDeliveryId,
  deliveryId,
  fromBase64,
  fromHex,
  headerValue,
  hmac,
  invalidSignature,
  matchesAny,
  sameBytes,
  signatureHeader,
  stringField,
} from './common';
import type { ConfigIssue, InboundWebhook, WebhookScheme } from './scheme';
import { firstSecret, signingStart } from './signing';

/** An empty TwiML document: acknowledges without instructions (no reply message, no call handling). */
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/** `X-Twilio-Webhooks-Signature-Settings: …,algorithm=HMAC_SHA256` opts into SHA-256; SHA-1 otherwise. */
function hashName(request: InboundWebhook): 'sha1' | 'sha256' {
  const settings = headerValue(request, 'x-twilio-webhooks-signature-settings') ?? '';
  for (const part of settings.split(',')) {
    const [key, value] = part.split('=').map((s) => s.trim());
    if (key !== 'algorithm' || !value) continue;
    if (value.toUpperCase() === 'HMAC_SHA256') return 'sha256';
    if (value.toUpperCase() === 'HMAC_SHA1') return 'sha1';
    throw new WebhookVerificationError(
      'malformed_headers',
      `unsupported Twilio signature algorithm "${value}"`,
    );
  }
  return 'sha1';
}

/**
 * Twilio signs the URL as configured, with or without the port depending on the product; both forms are
 * tried, as Twilio's own helper does.
 */
function urlVariants(url: string): string[] {
  const match = /^(https?:\/\/)([^/?#]*)(.*)$/i.exec(url);
  if (!match) return [url];
  const [, scheme, authority, rest] = match as unknown as [string, string, string, string];
  const portAt = authority.lastIndexOf(':');
  const hasPort = portAt > authority.lastIndexOf(']');
  const host = hasPort ? authority.slice(0, portAt) : authority;
  const withPort = hasPort ? authority : `${host}:${scheme.toLowerCase() === 'https://' ? 443 : 80}`;
  return [`${scheme}${host}${rest}`, `${scheme}${withPort}${rest}`];
}

/** A form body's fields in Twilio's signing order: keys sorted, each key's distinct values sorted. */
function sortedFields(formBody: string): string {
  const fields = formFields(formBody);
  let data = '';
  for (const key of Object.keys(fields).sort()) {
    const value = fields[key] as string | string[];
    const values = Array.isArray(value) ? [...new Set(value)].sort() : [value];
    for (const item of values) data += key + item;
  }
  return data;
}

function eventTypeOf(payload: unknown): string {
  const fields = payload as Record<string, unknown> | undefined;
  const explicit = stringField(fields, 'EventType') ?? stringField(fields, 'type');
  if (explicit) return explicit;
  const messageStatus = stringField(fields, 'MessageStatus') ?? stringField(fields, 'SmsStatus');
  if (messageStatus) return `message.${messageStatus}`;
  const callStatus = stringField(fields, 'CallStatus');
  if (callStatus) return `call.${callStatus}`;
  return 'request';
}

function publicUrlIssues(publicUrl: string | undefined): ConfigIssue[] {
  if (publicUrl === undefined) {
    return [
      {
        path: ['publicUrl'],
        message: 'a twilio source needs publicUrl: the URL configured at Twilio, which Twilio signs',
      },
    ];
  }
  if (/[?#]/.test(publicUrl)) {
    return [
      {
        path: ['publicUrl'],
        message: 'must not contain a query or fragment: the query of each request is appended as received',
      },
    ];
  }
  return [];
}

/**
 * Twilio (https://www.twilio.com/docs/usage/security#validating-requests): `X-Twilio-Signature`, base64
 * HMAC-SHA1 keyed with the auth token over the public URL followed by the form fields sorted by name
 * (name then value). For JSON bodies the URL carries `bodySHA256` (hex SHA-256 of the body) and only the
 * URL is signed. The public URL comes from configuration, with the request's query appended, because
 * Junction sits behind proxies. No timestamp: the `I-Twilio-Idempotency-Token` dedupe is the replay defence.
 */
export const twilio: WebhookScheme<'twilio'> = {
  id: 'twilio',
  settings: { keys: 'secrets', signsTimestamp: false, takesPublicUrl: true },

  verify(request, source) {
    const candidate = fromBase64(signatureHeader(request, 'x-twilio-signature'));
    const algorithm = hashName(request);
    const target = request.url ?? '';
    const queryAt = target.indexOf('?');
    const query = queryAt >= 0 ? target.slice(queryAt) : '';
    const url = `${source.publicUrl ?? ''}${query}`;
    const bodyHash = queryAt >= 0 ? new URLSearchParams(query.slice(1)).get('bodySHA256') : null;
    const contentType = headerValue(request, 'content-type');
    const fieldsText = bodyHash === null ? sortedFields(request.rawBody.toString('utf8')) : '';

    const expected = urlVariants(url).flatMap((variant) =>
      source.secrets.map((secret) => hmac(algorithm, secret, variant + fieldsText)),
    );
    let valid = matchesAny([candidate], expected);
    if (valid && bodyHash !== null) {
      valid = sameBytes(
        fromHex(bodyHash.toLowerCase()),
        createHash('sha256').update(request.rawBody).digest(),
      );
    }
    if (!valid) throw invalidSignature('x-twilio-signature does not match a configured auth token');

    const token = headerValue(request, 'i-twilio-idempotency-token')?.trim();
    const payload = parsePayload(
      bodyHash === null ? 'application/x-www-form-urlencoded' : contentType,
      request.rawBody,
    );
    return {
      deliveryId: token
        ? deliveryId(token, 'i-twilio-idempotency-token')
        : contentDeliveryId(url, '\n', request.rawBody),
      eventType: eventTypeOf(payload),
      payload,
    };
  },

  sign(source, input) {
    const { id, contentType, headers } = signingStart(input);
    const url = source.publicUrl ?? '';
    headers['i-twilio-idempotency-token'] = id;
    const query = /^application\/json\b/i.test(contentType)
      ? `?bodySHA256=${createHash('sha256').update(input.body).digest('hex')}`
      : '';
    const data = url + (query === '' ? sortedFields(input.body) : query);
    headers['x-twilio-signature'] = hmac('sha1', firstSecret(source), data).toString('base64');
    return { headers, body: input.body, query };
  },

  configRules: (source) => publicUrlIssues(source.publicUrl),

  acknowledge(outcome) {
    // Twilio reads the answer as TwiML: an empty <Response/> acknowledges without instructions and keeps
    // Twilio's debugger free of content-type errors; the outcome travels in headers.
    return {
      headers: { 'junction-status': outcome.status, 'junction-workflow-id': outcome.workflowId },
      contentType: 'text/xml',
      body: EMPTY_TWIML,
    };
  },
};
