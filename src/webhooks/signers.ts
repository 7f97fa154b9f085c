import { createHash, createHmac, createPrivateKey, randomUUID, sign as cryptoSign } from 'node:crypto';
import type { SourceConfig } from '../config/schema';
import { RequestError } from '../shared/errors';
import { standardWebhooksSecretKey } from './keys';

export interface SignOptions {
  /** Sets the event type where the scheme carries it in a header (GitHub, Shopify) or the JSON body's `type`. */
  eventType?: string;
  /** The delivery id, for schemes that send one in a header (a random one otherwise). */
  deliveryId?: string;
  /** PEM private key for schemes verified with a public key (SendGrid, Standard Webhooks `v1a`). */
  privateKeyPem?: string;
  contentType?: string;
  nowMs?: number;
}

export interface SignedWebhook {
  headers: Record<string, string>;
  body: string;
  /** Query string to add to the URL (Twilio's `bodySHA256`). */
  query: string;
}

function refuse(message: string): never {
  throw new RequestError('bad_request', message);
}

function setJsonField(body: string, field: string, value: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    refuse(`--event needs a JSON object body to set "${field}" in`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    refuse('the body must be a JSON object');
  return JSON.stringify({ ...parsed, [field]: value });
}

function firstSecret(source: SourceConfig): string {
  const secret = source.secrets[0];
  if (secret === undefined) refuse(`source "${source.id}" has no secret to sign with`);
  return secret;
}

/**
 * Signs a body the way the source's provider would, with the configured secret, for local testing with
 * `junction webhooks send`. Mirrors the verifiers in `schemes/` (same provider documents).
 */
export function signWebhook(source: SourceConfig, rawBody: string, options: SignOptions = {}): SignedWebhook {
  const nowMs = options.nowMs ?? Date.now();
  const seconds = String(Math.floor(nowMs / 1000));
  const contentType = options.contentType ?? 'application/json';
  let body = rawBody;
  const headers: Record<string, string> = { 'content-type': contentType };
  const id = options.deliveryId ?? randomUUID();
  switch (source.scheme) {
    case 'stripe': {
      if (options.eventType) body = setJsonField(body, 'type', options.eventType);
      // Stripe dedupes by the event's own id: keep the file's, or give it one.
      if (options.deliveryId || typeof (JSON.parse(body) as { id?: unknown }).id !== 'string') {
        body = setJsonField(body, 'id', options.deliveryId ?? `evt_${randomUUID().replace(/-/g, '')}`);
      }
      const v1 = createHmac('sha256', firstSecret(source)).update(`${seconds}.${body}`).digest('hex');
      headers['stripe-signature'] = `t=${seconds},v1=${v1}`;
      return { headers, body, query: '' };
    }
    case 'github':
      headers['x-hub-signature-256'] =
        `sha256=${createHmac('sha256', firstSecret(source)).update(body).digest('hex')}`;
      headers['x-github-delivery'] = id;
      headers['x-github-event'] = options.eventType ?? 'ping';
      return { headers, body, query: '' };
    case 'slack':
      headers['x-slack-request-timestamp'] = seconds;
      headers['x-slack-signature'] =
        `v0=${createHmac('sha256', firstSecret(source)).update(`v0:${seconds}:${body}`).digest('hex')}`;
      return { headers, body, query: '' };
    case 'shopify':
      headers['x-shopify-hmac-sha256'] = createHmac('sha256', firstSecret(source))
        .update(body)
        .digest('base64');
      headers['x-shopify-topic'] =
        options.eventType ?? refuse('shopify needs --event <topic>, e.g. orders/create');
      headers['x-shopify-webhook-id'] = id;
      headers['x-shopify-event-id'] = id;
      return { headers, body, query: '' };
    case 'twilio': {
      const url = source.publicUrl ?? '';
      headers['i-twilio-idempotency-token'] = id;
      if (/^application\/json\b/i.test(contentType)) {
        const query = `?bodySHA256=${createHash('sha256').update(body).digest('hex')}`;
        headers['x-twilio-signature'] = createHmac('sha1', firstSecret(source))
          .update(url + query)
          .digest('base64');
        return { headers, body, query };
      }
      const fields = [...new URLSearchParams(body)];
      const keys = [...new Set(fields.map(([key]) => key))].sort();
      let data = url;
      for (const key of keys) {
        for (const value of [...new Set(fields.filter(([k]) => k === key).map(([, v]) => v))].sort())
          data += key + value;
      }
      headers['x-twilio-signature'] = createHmac('sha1', firstSecret(source)).update(data).digest('base64');
      return { headers, body, query: '' };
    }
    case 'sendgrid': {
      if (!options.privateKeyPem)
        refuse('sendgrid sources verify with a public key: pass --private-key <pem file>');
      headers['x-twilio-email-event-webhook-timestamp'] = seconds;
      headers['x-twilio-email-event-webhook-signature'] = cryptoSign(
        'sha256',
        Buffer.from(seconds + body),
        options.privateKeyPem,
      ).toString('base64');
      return { headers, body, query: '' };
    }
    case 'standard-webhooks': {
      if (options.eventType) body = setJsonField(body, 'type', options.eventType);
      const signed = Buffer.from(`${id}.${seconds}.${body}`);
      const hmacKey = source.secrets.map(standardWebhooksSecretKey).find((key) => key !== undefined);
      let signature: string;
      if (options.privateKeyPem) {
        signature = `v1a,${cryptoSign(null, signed, createPrivateKey(options.privateKeyPem)).toString('base64')}`;
      } else if (hmacKey) {
        signature = `v1,${createHmac('sha256', hmacKey).update(signed).digest('base64')}`;
      } else {
        refuse('this source has only whpk_ public keys: pass --private-key <ed25519 pem file>');
      }
      Object.assign(headers, {
        'webhook-id': id,
        'webhook-timestamp': seconds,
        'webhook-signature': signature,
      });
      return { headers, body, query: '' };
    }
  }
}
