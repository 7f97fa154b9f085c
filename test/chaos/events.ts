import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import * as p from '../helpers/providers';

/** A request as a provider sends it, signed afresh by the provider's own library for every attempt. */
export interface ChaosRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** One event of the run: the delivery id Junction should hand to the application, and how to sign it. */
export interface ChaosEvent {
  index: number;
  source: string;
  deliveryId: string;
  sign(): Promise<ChaosRequest>;
}

const TWILIO_URL = 'https://hooks.example.com/junction/twilio';

/** The sources of the run: four schemes, each signed by its provider's library (see test/helpers/providers). */
export function chaosSources(forwardUrl: string) {
  const secrets = {
    stripe: p.newSecret('whsec_'),
    github: p.newSecret(),
    sw: `whsec_${Buffer.from(randomUUID()).toString('base64')}`,
    twilio: p.newSecret(),
  };
  const route = { events: ['*'], forward: { url: forwardUrl, timeoutMs: 5_000 } };
  const sources = [
    { id: 'stripe', scheme: 'stripe', secrets: [secrets.stripe], routes: [route] },
    { id: 'github', scheme: 'github', secrets: [secrets.github], routes: [route] },
    { id: 'sw', scheme: 'standard-webhooks', secrets: [secrets.sw], routes: [route] },
    { id: 'twilio', scheme: 'twilio', secrets: [secrets.twilio], publicUrl: TWILIO_URL, routes: [route] },
  ];

  const makers: Array<(index: number) => ChaosEvent> = [
    (index) => {
      const id = `evt_chaos_${index}_${randomUUID().slice(0, 8)}`;
      const body = JSON.stringify({
        id,
        object: 'event',
        type: 'invoice.paid',
        data: { object: { n: index } },
      });
      return {
        index,
        source: 'stripe',
        deliveryId: id,
        // Stripe signs each attempt with the time of sending (its library's own header helper).
        sign: async () => ({ path: '/webhooks/stripe', ...p.stripeVector({ secret: secrets.stripe, body }) }),
      };
    },
    (index) => {
      const id = randomUUID();
      const body = JSON.stringify({ action: 'opened', issue: { number: index }, repository: { id: 7 } });
      return {
        index,
        source: 'github',
        deliveryId: id,
        sign: async () => ({
          path: '/webhooks/github',
          ...(await p.githubVector({ secret: secrets.github, body, id })),
        }),
      };
    },
    (index) => {
      const id = `msg_${randomUUID()}`;
      const body = JSON.stringify({
        type: 'order.created',
        timestamp: new Date().toISOString(),
        data: { index },
      });
      return {
        index,
        source: 'sw',
        deliveryId: id,
        sign: async () => {
          const at = new Date();
          return {
            path: '/webhooks/sw',
            body,
            headers: {
              'content-type': 'application/json',
              'webhook-id': id,
              'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
              'webhook-signature': new Webhook(secrets.sw).sign(id, at, body),
            },
          };
        },
      };
    },
    (index) => {
      const token = `tok-${randomUUID()}`;
      const params = {
        MessageSid: `SM${index}`,
        From: '+15550001111',
        Body: `n ${index}`,
        SmsStatus: 'received',
      };
      return {
        index,
        source: 'twilio',
        deliveryId: token,
        sign: async () => {
          const vector = p.twilioFormVector({
            authToken: secrets.twilio,
            publicUrl: TWILIO_URL,
            params,
            token,
          });
          return { path: vector.url ?? '/webhooks/twilio', headers: vector.headers, body: vector.body };
        },
      };
    },
  ];
  return { sources, event: (index: number) => makers[index % makers.length]!(index) };
}
