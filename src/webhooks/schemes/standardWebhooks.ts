import { createHmac, timingSafeEqual } from 'node:crypto';
import { HttpError } from '../../errors';
import { headerValue, type InboundWebhook, type VerifiedWebhook, type WebhookVerifier } from '../types';
import type { SourceConfig } from '../../config/schema';

/** A delivery id goes into the workflow id: keep it printable and bounded. */
const DELIVERY_ID = /^[\x21-\x7e]{1,255}$/;

function secretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
}

/** Every `v1,<base64>` entry of the space-delimited `webhook-signature` header, decoded. */
function v1Signatures(header: string): Buffer[] {
  const signatures: Buffer[] = [];
  for (const entry of header.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma <= 0 || entry.slice(0, comma) !== 'v1') continue;
    const encoded = entry.slice(comma + 1);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) continue;
    signatures.push(Buffer.from(encoded, 'base64'));
  }
  return signatures;
}

/** Parses the payload just far enough to read its `type`; Standard Webhooks payloads are JSON objects. */
export function standardWebhooksEventType(rawBody: Buffer): string {
  let payload: unknown;
  try {
    payload = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new HttpError(400, 'malformed_body', 'the body is not valid JSON');
  }
  const type = (payload as { type?: unknown } | null)?.type;
  if (payload === null || typeof payload !== 'object' || typeof type !== 'string' || type === '') {
    throw new HttpError(400, 'malformed_body', 'the body must be a JSON object with a string "type"');
  }
  return type;
}

/**
 * Standard Webhooks (https://www.standardwebhooks.com, spec v1): HMAC-SHA256 with a `whsec_` secret over
 * `webhook-id.webhook-timestamp.body`, base64, any of several space-separated `v1,` signatures, timestamp
 * within the tolerance in both directions.
 */
export const verifyStandardWebhook: WebhookVerifier = (
  request: InboundWebhook,
  source: SourceConfig,
  nowMs: number,
): VerifiedWebhook => {
  const id = headerValue(request, 'webhook-id');
  const timestamp = headerValue(request, 'webhook-timestamp');
  const signature = headerValue(request, 'webhook-signature');
  const missing = [
    ['webhook-id', id],
    ['webhook-timestamp', timestamp],
    ['webhook-signature', signature],
  ]
    .filter(([, value]) => value === undefined || value === '')
    .map(([name]) => name);
  if (missing.length > 0) {
    throw new HttpError(
      401,
      'missing_signature',
      `missing header${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`,
    );
  }
  if (!DELIVERY_ID.test(id as string)) {
    throw new HttpError(400, 'malformed_headers', 'webhook-id must be 1 to 255 printable ASCII characters');
  }
  if (!/^\d{1,12}$/.test(timestamp as string)) {
    throw new HttpError(400, 'malformed_headers', 'webhook-timestamp must be an integer number of seconds');
  }

  const signed = Buffer.concat([Buffer.from(`${id}.${timestamp}.`, 'utf8'), request.rawBody]);
  const candidates = v1Signatures(signature as string);
  let valid = false;
  for (const secret of source.secrets) {
    const expected = createHmac('sha256', secretKey(secret)).update(signed).digest();
    for (const candidate of candidates) {
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) valid = true;
    }
  }
  if (!valid)
    throw new HttpError(401, 'invalid_signature', 'no webhook-signature matches a configured secret');

  const skewSeconds = Math.abs(nowMs / 1000 - Number(timestamp));
  if (skewSeconds > source.toleranceSeconds) {
    throw new HttpError(
      400,
      'timestamp_out_of_range',
      `webhook-timestamp is ${Math.round(skewSeconds)} s away from the server's clock (tolerance ${source.toleranceSeconds} s)`,
    );
  }
  return { deliveryId: id as string, eventType: standardWebhooksEventType(request.rawBody) };
};
