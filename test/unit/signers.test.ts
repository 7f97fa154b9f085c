import { generateKeyPairSync } from 'node:crypto';
import type { SourceConfig } from '../../src/config/schema';
import { SCHEMES } from '../../src/webhooks/schemes';
import type { SignInput } from '../../src/webhooks/schemes/scheme';
import * as p from '../helpers/providers';
import { TWILIO_PUBLIC_URL, rejection, sourceFor, verify } from '../helpers/schemeCases';

/** What `junction webhooks send` does: the source's scheme signs the file's body. */
function signWebhook(source: SourceConfig, body: string, options: Omit<SignInput, 'body'> = {}) {
  return SCHEMES[source.scheme].sign(source, { body, ...options });
}

/** `junction webhooks send` signs like the provider: Junction and the provider's own library both accept it. */
describe('signWebhook (for `junction webhooks send`)', () => {
  const json = JSON.stringify({ type: 'order.created', data: { id: 1 } });

  test('stripe: accepted by Junction and by the stripe library; --event sets the type, an id is added', () => {
    const secret = p.newSecret('whsec_');
    const signed = signWebhook(sourceFor('stripe', [secret]), json, { eventType: 'invoice.paid' });
    expect(p.stripeAccepts(signed, secret)).toBe(true);
    expect(verify(sourceFor('stripe', [secret]), signed)).toMatchObject({
      eventType: 'invoice.paid',
      deliveryId: expect.stringMatching(/^evt_/) as string,
    });
  });

  test('github, slack, shopify: accepted by Junction and by each library', async () => {
    const secret = p.newSecret();
    const github = signWebhook(sourceFor('github', [secret]), json, { eventType: 'push', deliveryId: 'd-1' });
    expect(await p.githubAccepts(github, secret)).toBe(true);
    expect(verify(sourceFor('github', [secret]), github)).toMatchObject({
      deliveryId: 'd-1',
      eventType: 'push',
    });
    const slackBody = JSON.stringify({ type: 'event_callback', event_id: 'Ev1', event: { type: 'message' } });
    const slack = signWebhook(sourceFor('slack', [secret]), slackBody);
    expect(p.slackAccepts(slack, secret)).toBe(true);
    expect(verify(sourceFor('slack', [secret]), slack).eventType).toBe('message');
    const shopify = signWebhook(sourceFor('shopify', [secret]), json, { eventType: 'orders/paid' });
    expect(
      await p.shopifyAccepts(
        {
          ...shopify,
          headers: {
            ...shopify.headers,
            'x-shopify-shop-domain': 's.myshopify.com',
            'x-shopify-api-version': '2025-01',
          },
        },
        secret,
      ),
    ).toBe(true);
    expect(verify(sourceFor('shopify', [secret]), shopify).eventType).toBe('orders/paid');
    expect(() => signWebhook(sourceFor('shopify', [secret]), json)).toThrow(/shopify needs --event/);
  });

  test('twilio form and JSON: accepted by Junction and by the twilio library', () => {
    const token = p.newSecret();
    const source = sourceFor('twilio', [token]);
    const form = signWebhook(source, 'Body=hello&From=%2B1555&SmsStatus=received', {
      contentType: 'application/x-www-form-urlencoded',
    });
    const formVector = { ...form, url: '/webhooks/twilio' };
    expect(p.twilioAccepts(formVector, token, TWILIO_PUBLIC_URL)).toBe(true);
    expect(verify(source, formVector).eventType).toBe('message.received');
    const asJson = signWebhook(source, json);
    const jsonVector = { ...asJson, url: `/webhooks/twilio${asJson.query}` };
    expect(p.twilioAccepts(jsonVector, token, TWILIO_PUBLIC_URL)).toBe(true);
    expect(verify(source, jsonVector).eventType).toBe('order.created');
  });

  test('sendgrid and Standard Webhooks v1a sign with --private-key; accepted by Junction and the libraries', () => {
    const keys = p.sendgridKeys();
    const batch = JSON.stringify([{ event: 'bounce', sg_event_id: 'x' }]);
    const sendgrid = signWebhook(sourceFor('sendgrid', [keys.publicKey]), batch, {
      privateKeyPem: keys.privateKeyPem,
    });
    expect(p.sendgridAccepts(sendgrid, keys.publicKey)).toBe(true);
    expect(verify(sourceFor('sendgrid', [keys.publicKey]), sendgrid).eventType).toBe('bounce');
    expect(() => signWebhook(sourceFor('sendgrid', [keys.publicKey]), batch)).toThrow(/--private-key/);

    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const whpk = `whpk_${Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url').toString('base64')}`;
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const v1a = signWebhook(sourceFor('standard-webhooks', [whpk]), json, { privateKeyPem: pem });
    expect(p.standardWebhooksV1aAccepts(v1a, whpk)).toBe(true);
    expect(verify(sourceFor('standard-webhooks', [whpk]), v1a).eventType).toBe('order.created');
    const other = sourceFor('standard-webhooks', [p.standardWebhooksKeyPair().publicKey]);
    expect(rejection(() => verify(other, v1a)).code).toBe('invalid_signature');
  });
});
