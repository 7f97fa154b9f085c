/**
 * Test vectors made with each provider's own (or most-used) npm library. Where the library only verifies
 * (Slack's Bolt, Shopify's API library, SendGrid's helper), the request is signed with node's crypto and the
 * provider's library is asked to accept it first, so a vector is never only Junction's word.
 */
import { createHmac, generateKeyPairSync, randomBytes, randomUUID, sign as cryptoSign } from 'node:crypto';
import { EventWebhook } from '@sendgrid/eventwebhook';
import '@shopify/shopify-api/adapters/node';
import { ApiVersion, shopifyApi } from '@shopify/shopify-api';
import { isValidSlackRequest } from '@slack/bolt';
import nacl from 'tweetnacl';
import Stripe from 'stripe';
import twilio from 'twilio';

export interface Vector {
  headers: Record<string, string>;
  body: string;
  /** The request target Junction sees (path and query), for URL-signing schemes. */
  url?: string;
}

export const newSecret = (prefix = '') => `${prefix}${randomBytes(24).toString('base64url')}`;

// ---- Stripe: the library's own test header helper, and its verifier.
const stripe = new Stripe('sk_test_junction');

export function stripeVector(opts: {
  secret: string;
  body?: string;
  id?: string;
  type?: string;
  at?: number;
}): Vector {
  const body =
    opts.body ??
    JSON.stringify({
      id: opts.id ?? `evt_${randomUUID()}`,
      object: 'event',
      type: opts.type ?? 'invoice.paid',
      data: { object: { customer: 'cus_1' } },
    });
  const header = stripe.webhooks.generateTestHeaderString({
    payload: body,
    secret: opts.secret,
    timestamp: opts.at ?? Math.floor(Date.now() / 1000),
  });
  return { body, headers: { 'content-type': 'application/json', 'stripe-signature': header } };
}

export function stripeAccepts(vector: Vector, secret: string, nowMs = Date.now()): boolean {
  try {
    stripe.webhooks.constructEvent(
      vector.body,
      vector.headers['stripe-signature']!,
      secret,
      300,
      undefined,
      Math.floor(nowMs / 1000),
    );
    return true;
  } catch {
    return false;
  }
}

// ---- GitHub: @octokit/webhooks-methods signs and verifies (an ES module, hence the dynamic import).
const octokit = () => import('@octokit/webhooks-methods');

export async function githubVector(opts: {
  secret: string;
  body?: string;
  event?: string;
  id?: string;
}): Promise<Vector> {
  const body = opts.body ?? JSON.stringify({ action: 'opened', issue: { number: 1 }, repository: { id: 7 } });
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-hub-signature-256': await (await octokit()).sign(opts.secret, body),
      'x-github-delivery': opts.id ?? randomUUID(),
      'x-github-event': opts.event ?? 'issues',
    },
  };
}

export async function githubAccepts(vector: Vector, secret: string): Promise<boolean> {
  return (await octokit()).verify(secret, vector.body, vector.headers['x-hub-signature-256']!);
}

// ---- Slack: signed as Slack documents it, accepted by Bolt's verifier first.
export function slackVector(opts: {
  secret: string;
  body?: string;
  at?: number;
  contentType?: string;
}): Vector {
  const body =
    opts.body ??
    JSON.stringify({
      type: 'event_callback',
      event_id: `Ev${randomUUID().slice(0, 8)}`,
      event: { type: 'app_mention', user: 'U1', text: 'hi' },
    });
  const timestamp = String(opts.at ?? Math.floor(Date.now() / 1000));
  const signature = `v0=${createHmac('sha256', opts.secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return {
    body,
    headers: {
      'content-type': opts.contentType ?? 'application/json',
      'x-slack-signature': signature,
      'x-slack-request-timestamp': timestamp,
    },
  };
}

export function slackAccepts(vector: Vector, secret: string, nowMs = Date.now()): boolean {
  return isValidSlackRequest({
    signingSecret: secret,
    body: vector.body,
    headers: {
      'x-slack-signature': vector.headers['x-slack-signature']!,
      'x-slack-request-timestamp': Number(vector.headers['x-slack-request-timestamp']),
    },
    nowMilliseconds: nowMs,
  });
}

// ---- Shopify: signed as Shopify documents it, accepted by @shopify/shopify-api's webhook validator first.
export function shopifyVector(opts: {
  secret: string;
  body?: string;
  topic?: string;
  eventId?: string;
  webhookId?: string;
}): Vector {
  const body =
    opts.body ?? JSON.stringify({ id: 820982911946154500, email: 'jon@example.com', total_price: '10.00' });
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-shopify-hmac-sha256': createHmac('sha256', opts.secret).update(body).digest('base64'),
      'x-shopify-topic': opts.topic ?? 'orders/create',
      'x-shopify-shop-domain': 'junction-test.myshopify.com',
      'x-shopify-api-version': '2025-01',
      'x-shopify-webhook-id': opts.webhookId ?? randomUUID(),
      'x-shopify-event-id': opts.eventId ?? randomUUID(),
      'x-shopify-triggered-at': new Date().toISOString(),
    },
  };
}

export async function shopifyAccepts(vector: Vector, secret: string): Promise<boolean> {
  const shopify = shopifyApi({
    apiKey: 'junction-test',
    apiSecretKey: secret,
    apiVersion: ApiVersion.January25,
    hostName: 'junction.example',
    isEmbeddedApp: false,
    logger: { level: 0, log: () => undefined },
  });
  const result = await shopify.webhooks.validate({
    rawBody: vector.body,
    rawRequest: { headers: vector.headers, method: 'POST', url: '/webhooks/shopify' },
    rawResponse: {},
  });
  return result.valid;
}

// ---- Twilio: the twilio library's signature helpers and validators (form and JSON/bodySHA256).
export function twilioFormVector(opts: {
  authToken: string;
  publicUrl: string;
  params?: Record<string, string | string[]>;
  query?: string;
  token?: string;
}): Vector {
  const params = opts.params ?? {
    MessageSid: `SM${randomUUID().replace(/-/g, '')}`,
    From: '+15550001111',
    Body: 'Hi ✓ & bye',
    SmsStatus: 'received',
  };
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) for (const v of [value].flat()) search.append(key, v);
  const query = opts.query ?? '';
  return {
    body: search.toString(),
    url: `/webhooks/twilio${query}`,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilio.getExpectedTwilioSignature(
        opts.authToken,
        `${opts.publicUrl}${query}`,
        params,
      ),
      ...(opts.token ? { 'i-twilio-idempotency-token': opts.token } : {}),
    },
  };
}

export function twilioJsonVector(opts: {
  authToken: string;
  publicUrl: string;
  body?: string;
  token?: string;
}): Vector {
  const body =
    opts.body ?? JSON.stringify({ type: 'com.twilio.messaging.message.delivered', data: { sid: 'SM1' } });
  const query = `?bodySHA256=${twilio.getExpectedBodyHash(body)}`;
  return {
    body,
    url: `/webhooks/twilio${query}`,
    headers: {
      'content-type': 'application/json',
      'x-twilio-signature': twilio.getExpectedTwilioSignature(
        opts.authToken,
        `${opts.publicUrl}${query}`,
        {},
      ),
      ...(opts.token ? { 'i-twilio-idempotency-token': opts.token } : {}),
    },
  };
}

export function twilioAccepts(vector: Vector, authToken: string, publicUrl: string): boolean {
  const query = vector.url?.includes('?') ? vector.url.slice(vector.url.indexOf('?')) : '';
  const url = `${publicUrl}${query}`;
  const signature = vector.headers['x-twilio-signature']!;
  if (query.includes('bodySHA256'))
    return twilio.validateRequestWithBody(authToken, signature, url, vector.body);
  const params: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(vector.body)) {
    const existing = params[key];
    params[key] = existing === undefined ? value : [existing, value].flat();
  }
  return twilio.validateRequest(authToken, signature, url, params);
}

// ---- SendGrid: an ECDSA P-256 key made with node crypto signs; @sendgrid/eventwebhook verifies.
export function sendgridKeys(): { publicKey: string; privateKeyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

export function sendgridVector(opts: { privateKeyPem: string; body?: string; at?: number }): Vector {
  const body =
    opts.body ??
    JSON.stringify([
      {
        email: 'a@example.com',
        timestamp: 1700000000,
        event: 'delivered',
        sg_event_id: randomUUID(),
        sg_message_id: 'm1',
      },
    ]);
  const timestamp = String(opts.at ?? Math.floor(Date.now() / 1000));
  const signature = cryptoSign('sha256', Buffer.from(timestamp + body), opts.privateKeyPem).toString(
    'base64',
  );
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-twilio-email-event-webhook-signature': signature,
      'x-twilio-email-event-webhook-timestamp': timestamp,
    },
  };
}

export function sendgridAccepts(vector: Vector, publicKey: string): boolean {
  const helper = new EventWebhook();
  return helper.verifySignature(
    helper.convertPublicKeyToECDSA(publicKey),
    vector.body,
    vector.headers['x-twilio-email-event-webhook-signature']!,
    vector.headers['x-twilio-email-event-webhook-timestamp']!,
  );
}

// ---- Standard Webhooks v1a: no npm library signs v1a; tweetnacl (the most-used ed25519 library) does.
export function standardWebhooksKeyPair(): { publicKey: string; secretKey: Uint8Array } {
  const pair = nacl.sign.keyPair();
  return { publicKey: `whpk_${Buffer.from(pair.publicKey).toString('base64')}`, secretKey: pair.secretKey };
}

export function standardWebhooksV1aVector(opts: {
  secretKey: Uint8Array;
  body?: string;
  id?: string;
  at?: number;
}): Vector {
  const id = opts.id ?? `msg_${randomUUID()}`;
  const timestamp = String(opts.at ?? Math.floor(Date.now() / 1000));
  const body =
    opts.body ??
    JSON.stringify({ type: 'user.created', timestamp: new Date().toISOString(), data: { id: 1 } });
  const signature = nacl.sign.detached(Buffer.from(`${id}.${timestamp}.${body}`), opts.secretKey);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': timestamp,
      'webhook-signature': `v1a,${Buffer.from(signature).toString('base64')}`,
    },
  };
}

export function standardWebhooksV1aAccepts(vector: Vector, publicKey: string): boolean {
  const h = vector.headers;
  const signed = Buffer.from(`${h['webhook-id']}.${h['webhook-timestamp']}.${vector.body}`);
  return (h['webhook-signature'] ?? '').split(' ').some((entry) => {
    if (!entry.startsWith('v1a,')) return false;
    const signature = Buffer.from(entry.slice(4), 'base64');
    return (
      signature.length === 64 &&
      nacl.sign.detached.verify(signed, signature, Buffer.from(publicKey.slice(5), 'base64'))
    );
  });
}
