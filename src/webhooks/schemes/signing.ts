import { randomUUID } from 'node:crypto';
import { RequestError } from '../../shared/errors';
import type { SchemeSource, SignInput } from './scheme';

/** What every scheme's `sign` starts from: the time in seconds, a delivery id, the content-type header. */
export interface SigningStart {
  seconds: string;
  id: string;
  contentType: string;
  headers: Record<string, string>;
}

/** The defaults of a signing request: now, a random delivery id, `application/json`. */
export function signingStart(input: SignInput): SigningStart {
  const contentType = input.contentType ?? 'application/json';
  return {
    seconds: String(Math.floor((input.nowMs ?? Date.now()) / 1000)),
    id: input.deliveryId ?? randomUUID(),
    contentType,
    headers: { 'content-type': contentType },
  };
}

/** A signing request that cannot be honoured (a missing option, a body of the wrong shape). */
export function refuseToSign(message: string): never {
  throw new RequestError('bad_request', message);
}

/** The source's first secret, the one a sender signs with during a rotation. */
export function firstSecret(source: SchemeSource): string {
  const secret = source.secrets[0];
  if (secret === undefined) refuseToSign(`source "${source.id}" has no secret to sign with`);
  return secret;
}

/** The JSON object body with one field set (the event type or id), re-serialised. */
export function setJsonField(body: string, field: string, value: string): string {
  const parsed = jsonObject(body);
  if (parsed === undefined) refuseToSign(`the body must be a JSON object to set "${field}" in`);
  return JSON.stringify({ ...parsed, [field]: value });
}

/** The body parsed as a JSON object, or undefined when it is not one. */
export function jsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
