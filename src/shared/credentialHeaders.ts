import type { ConnectionSecrets, HeaderShape } from './connectionContract';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** UTF-8 then base64, in plain code: workflow code runs where Buffer and btoa are not available. */
export function base64Utf8(text: string): string {
  const bytes: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    if (code < 0x80) bytes.push(code);
    else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 63));
    else if (code < 0x10000) bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
    else
      bytes.push(
        0xf0 | (code >> 18),
        0x80 | ((code >> 12) & 63),
        0x80 | ((code >> 6) & 63),
        0x80 | (code & 63),
      );
  }
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const [a = 0, b = 0, c = 0] = [bytes[i], bytes[i + 1], bytes[i + 2]];
    const triple = (a << 16) | (b << 8) | c;
    out += ALPHABET[(triple >> 18) & 63];
    out += ALPHABET[(triple >> 12) & 63];
    out += i + 1 < bytes.length ? ALPHABET[(triple >> 6) & 63] : '=';
    out += i + 2 < bytes.length ? ALPHABET[triple & 63] : '=';
  }
  return out;
}

/**
 * The request headers for a connection's credentials: a bearer token (RFC 6750 §2.1), an API key in the
 * provider's header, or basic auth (RFC 7617). Empty when there is nothing to send yet.
 */
export function credentialHeaders(
  mode: string,
  secrets: ConnectionSecrets,
  shape: HeaderShape,
): Record<string, string> {
  if (mode === 'api_key') {
    return secrets.apiKey ? { [shape.header.toLowerCase()]: `${shape.prefix}${secrets.apiKey}` } : {};
  }
  if (mode === 'basic') {
    return secrets.username !== undefined
      ? { authorization: `Basic ${base64Utf8(`${secrets.username}:${secrets.password ?? ''}`)}` }
      : {};
  }
  return secrets.accessToken ? { authorization: `Bearer ${secrets.accessToken}` } : {};
}
