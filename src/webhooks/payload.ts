import type { RawBody } from '../shared/webhooks';

/** The bytes of a body as carried in a workflow's input (text, or base64 when it was not UTF-8). */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Keeps a body byte-exact across Temporal: UTF-8 text when it decodes cleanly, base64 otherwise. */
export function toRawBody(bytes: Buffer): RawBody {
  try {
    return { encoding: 'utf8', data: utf8.decode(bytes) };
  } catch {
    return { encoding: 'base64', data: bytes.toString('base64') };
  }
}

export function rawBodyBytes(body: RawBody): Buffer {
  return Buffer.from(body.data, body.encoding === 'base64' ? 'base64' : 'utf8');
}

/**
 * Reads a webhook body the way its content type says: JSON, or HTML form fields (Twilio, Slack commands).
 * Form fields become an object; a field sent more than once becomes an array of its values.
 */
export function formFields(text: string): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const existing = fields[key];
    if (existing === undefined) fields[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else fields[key] = [existing, value];
  }
  return fields;
}

/** Whether a content type is an HTML form (`application/x-www-form-urlencoded`, any parameters). */
export function isForm(contentType: string | undefined): boolean {
  return /^application\/x-www-form-urlencoded\b/i.test(contentType?.trim() ?? '');
}

/**
 * The event payload for routing, ordering keys, validation and transforms: parsed JSON, or form fields,
 * or undefined when the body is neither (it is still delivered byte for byte).
 */
export function parsePayload(contentType: string | undefined, rawBody: Buffer | string): unknown {
  const text = typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8');
  if (isForm(contentType)) return formFields(text);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
