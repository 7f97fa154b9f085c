import type { SourceConfig } from '../config/schema';

/** What a signature scheme sees of a request: lower-cased headers and the body exactly as received. */
export interface InboundWebhook {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  rawBody: Buffer;
  /** The request target as received (path and query), for schemes that sign the URL (Twilio). */
  url?: string;
}

/** What a scheme vouches for once the signature holds. */
export interface VerifiedWebhook {
  /** The provider's own delivery id, the dedupe key. */
  deliveryId: string;
  eventType: string;
  /** The body as the scheme parsed it (JSON, or form fields), when it did; ordering keys are read from it. */
  payload?: unknown;
  /**
   * An answer the scheme requires instead of a hand-off (Slack's `url_verification` challenge): the
   * request was verified, nothing is started, and this is sent back as it is.
   */
  reply?: { statusCode: number; body: Record<string, unknown> };
}

/** A pure verifier over the raw bytes: throws an HttpError (401/400) or returns the verified identity. */
export type WebhookVerifier = (
  request: InboundWebhook,
  source: SourceConfig,
  nowMs: number,
) => VerifiedWebhook;

/** A single header value; repeated headers are joined the way HTTP folds them. */
export function headerValue(request: InboundWebhook, name: string): string | undefined {
  const value = request.headers[name];
  if (Array.isArray(value)) return value.join(', ');
  return value;
}
