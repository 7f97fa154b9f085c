import { randomUUID } from 'node:crypto';
import type { Webhook } from 'standardwebhooks';

/** An order event's body for message `id`: what the benchmarks send unless they bring their own. */
function orderEvent(id: string): string {
  return JSON.stringify({ type: 'order.created', data: { id, amount: 4200, currency: 'eur' } });
}

/**
 * One Standard Webhooks request as a provider sends it: a fresh message id, signed now with `webhook`'s
 * secret, the body from `body(id)`.
 */
export function signedWebhook(webhook: Webhook, body: (id: string) => string = orderEvent) {
  const id = `msg_${randomUUID()}`;
  const text = body(id);
  const now = new Date();
  return {
    id,
    body: text,
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': webhook.sign(id, now, text),
    },
  };
}
