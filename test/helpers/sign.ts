import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** A fresh Standard Webhooks secret, `whsec_` + base64 of 24 random bytes. */
export function newStandardSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

export interface SignedRequest {
  headers: Record<string, string>;
  body: string;
  id: string;
}

/** Signs with the official `standardwebhooks` library, the way a sender would. */
export function signStandardWebhook(options: {
  secret: string;
  body?: string;
  type?: string;
  data?: unknown;
  id?: string;
  at?: Date;
}): SignedRequest {
  const id = options.id ?? `msg_${randomUUID()}`;
  const at = options.at ?? new Date();
  const body =
    options.body ??
    JSON.stringify({
      type: options.type ?? 'order.created',
      timestamp: at.toISOString(),
      data: options.data ?? { id },
    });
  const signature = new Webhook(options.secret).sign(id, at, body);
  return {
    id,
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signature,
    },
  };
}
