import { generateKeyPairSync } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import twilio from 'twilio';
import * as p from '../helpers/providers';
import { TWILIO_PUBLIC_URL, rejection, sourceFor, verify } from '../helpers/schemeCases';

describe('slack', () => {
  const secret = p.newSecret();
  const source = sourceFor('slack', [secret]);

  test('a signed url_verification is answered with its challenge; an unsigned one is refused', () => {
    const body = JSON.stringify({ token: 'x', challenge: 'c-123', type: 'url_verification' });
    const vector = p.slackVector({ secret, body });
    expect(p.slackAccepts(vector, secret)).toBe(true);
    expect(verify(source, vector).reply).toEqual({ body: { challenge: 'c-123' } });
    const forged = p.slackVector({ secret: p.newSecret(), body });
    expect(rejection(() => verify(source, forged)).code).toBe('invalid_signature');
  });

  test('slash commands and interactivity (form bodies) verify over the raw form', () => {
    const command = 'command=%2Fdeploy&text=prod+now&trigger_id=13345224609.738474920.8088930838d88f008e0';
    const verified = verify(
      source,
      p.slackVector({ secret, body: command, contentType: 'application/x-www-form-urlencoded' }),
    );
    expect(verified).toMatchObject({
      eventType: 'slash_command',
      deliveryId: '13345224609.738474920.8088930838d88f008e0',
    });
    expect(verified.payload).toMatchObject({ command: '/deploy', text: 'prod now' });

    const interaction = `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', trigger_id: 't-1' }))}`;
    const vector = p.slackVector({
      secret,
      body: interaction,
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(p.slackAccepts(vector, secret)).toBe(true);
    expect(verify(source, vector)).toMatchObject({ eventType: 'block_actions', deliveryId: 't-1' });
  });
});

describe('twilio', () => {
  const authToken = p.newSecret();
  const source = sourceFor('twilio', [authToken]);

  test('behind a proxy: the configured public URL is what is signed, with the request query appended', () => {
    const vector = p.twilioFormVector({ authToken, publicUrl: TWILIO_PUBLIC_URL, query: '?tenant=acme' });
    expect(p.twilioAccepts(vector, authToken, TWILIO_PUBLIC_URL)).toBe(true);
    // Junction itself is reached as http://127.0.0.1:3000/webhooks/twilio?tenant=acme; that URL is not signed.
    expect(vector.url).toBe('/webhooks/twilio?tenant=acme');
    expect(verify(source, vector).eventType).toBe('message.received');
    const otherQuery = { ...vector, url: '/webhooks/twilio?tenant=evil' };
    expect(rejection(() => verify(source, otherQuery)).code).toBe('invalid_signature');
    const wrongUrl = sourceFor('twilio', [authToken], {
      publicUrl: 'https://other.example.com/junction/twilio',
    });
    expect(rejection(() => verify(wrongUrl, vector)).code).toBe('invalid_signature');
  });

  test('a signature over the URL with the default port is accepted too (as the twilio helper accepts it)', () => {
    const params = { CallSid: 'CA1', CallStatus: 'completed' };
    const body = new URLSearchParams(params).toString();
    const signature = twilio.getExpectedTwilioSignature(
      authToken,
      'https://hooks.example.com:443/junction/twilio',
      params,
    );
    const vector = {
      body,
      url: '/webhooks/twilio',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    };
    expect(p.twilioAccepts(vector, authToken, TWILIO_PUBLIC_URL)).toBe(true);
    const verified = verify(source, vector);
    expect(verified.eventType).toBe('call.completed');
    expect(verified.deliveryId).toMatch(/^sha256-[0-9a-f]{64}$/); // no idempotency token: content hash
  });

  test('repeated form fields are signed sorted and deduplicated, as the helper does', () => {
    const vector = p.twilioFormVector({
      authToken,
      publicUrl: TWILIO_PUBLIC_URL,
      params: { To: ['+2', '+1', '+2'], Body: 'x' },
    });
    expect(p.twilioAccepts(vector, authToken, TWILIO_PUBLIC_URL)).toBe(true);
    expect(verify(source, vector).eventType).toBe('request');
  });

  test('JSON variant: the URL carries bodySHA256; a changed body fails the hash even though the URL signature holds', () => {
    const vector = p.twilioJsonVector({ authToken, publicUrl: TWILIO_PUBLIC_URL, token: 'idem-9' });
    expect(verify(source, vector)).toMatchObject({
      deliveryId: 'idem-9',
      eventType: 'com.twilio.messaging.message.delivered',
    });
    const tampered = { ...vector, body: vector.body.replace('SM1', 'SM2') };
    expect(p.twilioAccepts(tampered, authToken, TWILIO_PUBLIC_URL)).toBe(false);
    expect(rejection(() => verify(source, tampered)).code).toBe('invalid_signature');
  });

  test('HMAC-SHA256 when X-Twilio-Webhooks-Signature-Settings asks for it', () => {
    const params = { MessageSid: 'SM9', MessageStatus: 'delivered' };
    const signature = twilio.getExpectedTwilioSignature(authToken, TWILIO_PUBLIC_URL, params, 'HMAC_SHA256');
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signature,
      'x-twilio-webhooks-signature-settings': 'key=webhooks_sharedkey_1,algorithm=HMAC_SHA256',
    };
    const vector = { body: new URLSearchParams(params).toString(), url: '/webhooks/twilio', headers };
    expect(verify(source, vector).eventType).toBe('message.delivered');
    const asSha1 = { ...vector, headers: { ...headers, 'x-twilio-webhooks-signature-settings': '' } };
    expect(rejection(() => verify(source, asSha1)).code).toBe('invalid_signature');
  });

  test('publicUrl is required, and must carry no query', () => {
    expect(() => sourceFor('twilio', [authToken], { publicUrl: undefined })).toThrow(
      /sources\[0\]\.publicUrl: a twilio source needs publicUrl/,
    );
    expect(() => sourceFor('twilio', [authToken], { publicUrl: 'https://x.example/t?a=1' })).toThrow(
      /must not contain a query/,
    );
    expect(() => sourceFor('github', [authToken], { publicUrl: 'https://x.example/t' })).toThrow(
      /only twilio sources take publicUrl/,
    );
  });
});

describe('github', () => {
  const secret = p.newSecret();
  const source = sourceFor('github', [secret]);

  test('form-encoded deliveries, events without an action, and required headers', async () => {
    const json = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
    const form = `payload=${encodeURIComponent(json)}`;
    const vector = await p.githubVector({ secret, body: form, event: 'ping' });
    vector.headers['content-type'] = 'application/x-www-form-urlencoded';
    expect(await p.githubAccepts(vector, secret)).toBe(true);
    expect(verify(source, vector)).toMatchObject({ eventType: 'ping', payload: { hook_id: 1 } });

    const noDelivery = await p.githubVector({ secret });
    delete noDelivery.headers['x-github-delivery'];
    expect(rejection(() => verify(source, noDelivery))).toEqual({ status: 400, code: 'malformed_headers' });
    const badPrefix = await p.githubVector({ secret });
    badPrefix.headers['x-hub-signature-256'] = badPrefix.headers['x-hub-signature-256']!.replace(
      'sha256=',
      'sha1=',
    );
    expect(rejection(() => verify(source, badPrefix)).code).toBe('invalid_signature');
  });
});

describe('shopify', () => {
  test('dedupes by X-Shopify-Event-Id, falling back to X-Shopify-Webhook-Id', () => {
    const secret = p.newSecret();
    const source = sourceFor('shopify', [secret]);
    const vector = p.shopifyVector({ secret, eventId: 'ev-1', webhookId: 'wh-1' });
    expect(verify(source, vector).deliveryId).toBe('ev-1');
    delete vector.headers['x-shopify-event-id'];
    expect(verify(source, vector).deliveryId).toBe('wh-1');
    delete vector.headers['x-shopify-webhook-id'];
    expect(rejection(() => verify(source, vector)).code).toBe('malformed_headers');
  });
});

describe('stripe', () => {
  test('any v1 signature in the header is enough; v0 entries are ignored', () => {
    const secret = p.newSecret('whsec_');
    const vector = p.stripeVector({ secret });
    const header = vector.headers['stripe-signature']!;
    const t = /t=(\d+)/.exec(header)![1];
    const mixed = `t=${t},v0=${'0'.repeat(64)},v1=${'ab'.repeat(32)},${header.split(',').find((s) => s.startsWith('v1='))}`;
    expect(
      verify(sourceFor('stripe', [secret]), {
        ...vector,
        headers: { ...vector.headers, 'stripe-signature': mixed },
      }).eventType,
    ).toBe('invoice.paid');
    const noT = header.replace(/t=\d+,/, '');
    expect(
      rejection(() =>
        verify(sourceFor('stripe', [secret]), { ...vector, headers: { 'stripe-signature': noT } }),
      ).code,
    ).toBe('malformed_headers');
  });
});

describe('sendgrid', () => {
  test('a PEM key works as well as base64 DER; batches of mixed events are typed "batch"', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const privateKeyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const body = JSON.stringify([
      { event: 'open', sg_event_id: 'a' },
      { event: 'click', sg_event_id: 'b' },
    ]);
    const vector = p.sendgridVector({ privateKeyPem, body });
    const verified = verify(sourceFor('sendgrid', [pem]), vector);
    expect(verified.eventType).toBe('batch');
    expect(verified.deliveryId).toMatch(/^sha256-[0-9a-f]{64}$/);
  });

  test('keys that are not ECDSA P-256 public keys are configuration errors', () => {
    expect(() => sourceFor('sendgrid', ['bm90IGEga2V5'])).toThrow(/publicKeys\[0\]: must be a public key/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .publicKey.export({ format: 'der', type: 'spki' })
      .toString('base64');
    expect(() => sourceFor('sendgrid', [rsa])).toThrow(/publicKeys\[0\]: must be an ECDSA P-256 public key/);
    expect(() => sourceFor('sendgrid', [], { secrets: ['x'] })).toThrow(
      /secrets: sendgrid sources verify with `publicKeys`/,
    );
  });
});

describe('standard-webhooks', () => {
  test('v1 (HMAC) and v1a (ed25519) side by side: either entry verifies', () => {
    const hmacSecret = `whsec_${Buffer.from(p.newSecret()).toString('base64')}`;
    const pair = p.standardWebhooksKeyPair();
    const vector = p.standardWebhooksV1aVector({ secretKey: pair.secretKey });
    const v1 = new Webhook(hmacSecret).sign(
      vector.headers['webhook-id']!,
      new Date(Number(vector.headers['webhook-timestamp']) * 1000),
      vector.body,
    );
    const both = {
      ...vector,
      headers: { ...vector.headers, 'webhook-signature': `${v1} ${vector.headers['webhook-signature']}` },
    };
    expect(verify(sourceFor('standard-webhooks', [hmacSecret]), both).eventType).toBe('user.created');
    expect(verify(sourceFor('standard-webhooks', [pair.publicKey]), both).eventType).toBe('user.created');
    // A v1a entry is never checked as HMAC, nor a v1 entry as ed25519.
    const swapped = {
      ...vector,
      headers: {
        ...vector.headers,
        'webhook-signature': vector.headers['webhook-signature']!.replace('v1a,', 'v1,'),
      },
    };
    expect(
      rejection(() => verify(sourceFor('standard-webhooks', [pair.publicKey, hmacSecret]), swapped)).code,
    ).toBe('invalid_signature');
  });
});
