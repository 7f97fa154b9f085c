import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { RequestError, WebhookVerificationError } from '../../shared/errors';
import type { InboundWebhook } from './scheme';

/** A delivery id goes into the workflow id: keep it printable and bounded. */
const DELIVERY_ID = /^[\x21-\x7e]{1,255}$/;
const HEX = /^[0-9a-fA-F]+$/;
/** Standard base64 characters with at most two `=` of padding (lengths are checked where they matter). */
export const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** A single header value; repeated headers are joined the way HTTP folds them. */
export function headerValue(request: InboundWebhook, name: string): string | undefined {
  const value = request.headers[name];
  if (Array.isArray(value)) return value.join(', ');
  return value;
}

/** The named header, or a 401 `missing_signature` naming it: the request carries no signature to check. */
export function signatureHeader(request: InboundWebhook, name: string): string {
  const value = headerValue(request, name);
  if (value === undefined || value.trim() === '') {
    throw new WebhookVerificationError('missing_signature', `missing header: ${name}`);
  }
  return value.trim();
}

/** A header the scheme needs besides the signature; its absence is a malformed request (400). */
export function requiredHeader(request: InboundWebhook, name: string): string {
  const value = headerValue(request, name);
  if (value === undefined || value.trim() === '') {
    throw new WebhookVerificationError('malformed_headers', `missing header: ${name}`);
  }
  return value.trim();
}

/** Checks a provider's delivery id is usable in a workflow id. */
export function deliveryId(value: string, origin: string): string {
  if (!DELIVERY_ID.test(value)) {
    throw new WebhookVerificationError(
      'malformed_headers',
      `${origin} must be 1 to 255 printable ASCII characters`,
    );
  }
  return value;
}

/**
 * The dedupe key for a scheme that carries no delivery id: a hash of what was signed, so a redelivery
 * of the same content maps onto the same workflow.
 */
export function contentDeliveryId(...parts: Array<string | Buffer>): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return `sha256-${hash.digest('hex')}`;
}

/** Hex bytes, or undefined when the text is not even-length hex (a garbled signature is simply no match). */
export function fromHex(text: string): Buffer | undefined {
  return text.length > 0 && text.length % 2 === 0 && HEX.test(text) ? Buffer.from(text, 'hex') : undefined;
}

/** Base64 bytes, or undefined when the text is not canonical-looking base64. */
export function fromBase64(text: string): Buffer | undefined {
  return text.length > 0 && text.length % 4 === 0 && BASE64.test(text)
    ? Buffer.from(text, 'base64')
    : undefined;
}

/** Constant-time equality after the length check (`timingSafeEqual` throws on different lengths). */
export function sameBytes(candidate: Buffer | undefined, expected: Buffer): boolean {
  return (
    candidate !== undefined && candidate.length === expected.length && timingSafeEqual(candidate, expected)
  );
}

/**
 * Whether any candidate signature equals any expected one (one a configured secret, for rotation). Every
 * pair is compared, with no early exit, so the time taken does not tell which secret matched.
 */
export function matchesAny(
  candidates: ReadonlyArray<Buffer | undefined>,
  expected: readonly Buffer[],
): boolean {
  let valid = false;
  for (const mac of expected) for (const candidate of candidates) if (sameBytes(candidate, mac)) valid = true;
  return valid;
}

/** The HMAC of the parts, in order, as raw bytes (text parts as UTF-8). */
export function hmac(
  algorithm: 'sha1' | 'sha256',
  key: string | Buffer,
  ...parts: Array<string | Buffer>
): Buffer {
  const mac = createHmac(algorithm, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** Parses a seconds timestamp header; a value that is not whole seconds is malformed (400). */
export function timestampSeconds(value: string, name: string): number {
  if (!/^\d{1,12}$/.test(value)) {
    throw new WebhookVerificationError('malformed_headers', `${name} must be an integer number of seconds`);
  }
  return Number(value);
}

/** The replay window, symmetric: a timestamp too far in the past or in the future is refused alike. */
export function checkTolerance(seconds: number, nowMs: number, toleranceSeconds: number, name: string): void {
  const skewSeconds = Math.abs(nowMs / 1000 - seconds);
  if (skewSeconds > toleranceSeconds) {
    throw new WebhookVerificationError(
      'timestamp_out_of_range',
      `${name} is ${Math.round(skewSeconds)} s away from the server's clock (tolerance ${toleranceSeconds} s)`,
    );
  }
}

/** The body as JSON, or a 400 `malformed_body`. */
export function jsonBody(rawBody: Buffer): unknown {
  try {
    return JSON.parse(rawBody.toString('utf8')) as unknown;
  } catch {
    throw new RequestError('malformed_body', 'the body is not valid JSON');
  }
}

/** A JSON object's string field, or undefined. */
export function stringField(value: unknown, field: string): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const found = (value as Record<string, unknown>)[field];
  return typeof found === 'string' && found !== '' ? found : undefined;
}

/** A 401 `invalid_signature`: a signature was sent and matches no configured key. */
export function invalidSignature(message: string): WebhookVerificationError {
  return new WebhookVerificationError('invalid_signature', message);
}
