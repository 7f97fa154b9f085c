import { request, type Dispatcher } from 'undici';
import type { CallSettings } from './settings';

/** The provider answered with more than the configured limit; reading stopped there. */
export class ResponseTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the response is larger than ${limit} bytes`);
    this.name = 'ResponseTooLargeError';
  }
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface OutgoingRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Stops reading a body we will not use; the abort it causes is expected, not an error to report. */
function abandon(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

/**
 * One HTTP exchange with connect, header and body timeouts, cancellation, and a cap on the response size
 * (the body is read as it streams and abandoned past the limit).
 */
export async function sendRequest(
  outgoing: OutgoingRequest,
  settings: CallSettings,
  signal: AbortSignal,
  dispatcher?: Dispatcher,
): Promise<RawResponse> {
  const response = await request(outgoing.url, {
    method: outgoing.method,
    headers: outgoing.headers,
    body: outgoing.body,
    signal,
    headersTimeout: settings.timeouts.headersMs,
    bodyTimeout: settings.timeouts.bodyMs,
    dispatcher,
  });
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > settings.maxResponseBytes) {
    abandon(response.body);
    throw new ResponseTooLargeError(settings.maxResponseBytes);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += (chunk as Buffer).length;
    if (size > settings.maxResponseBytes) {
      abandon(response.body);
      throw new ResponseTooLargeError(settings.maxResponseBytes);
    }
    chunks.push(chunk as Buffer);
  }
  return {
    status: response.statusCode,
    headers: flattenHeaders(response.headers),
    body: Buffer.concat(chunks),
  };
}

/** The body as the caller sees it: parsed JSON when the provider said JSON and it parses, else the text. */
export function readBody(response: RawResponse): unknown {
  const text = response.body.toString('utf8');
  if (/\bjson\b/i.test(response.headers['content-type'] ?? '') && text.length > 0) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}
