import type { RawBody } from '../shared/webhooks';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Keeps a body byte-exact across Temporal: UTF-8 text when it decodes cleanly, base64 otherwise. */
export function toRawBody(bytes: Buffer): RawBody {
  try {
    return { encoding: 'utf8', data: utf8.decode(bytes) };
  } catch {
    return { encoding: 'base64', data: bytes.toString('base64') };
  }
}

/** The exact bytes a RawBody holds. */
export function rawBytes(body: RawBody): Buffer {
  return Buffer.from(body.data, body.encoding === 'base64' ? 'base64' : 'utf8');
}
