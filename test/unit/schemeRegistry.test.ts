import { generateKeyPairSync } from 'node:crypto';
import { parseConfig } from '../../src/config/load';
import type { SourceConfig } from '../../src/config/schema';
import { SCHEMES, SCHEME_IDS, type SchemeId } from '../../src/webhooks/schemes';
import type { SignInput, SignedRequest, VerifiedWebhook } from '../../src/webhooks/schemes/scheme';
import * as p from '../helpers/providers';
import { rawSource, rejection, sourceFor } from '../helpers/schemeCases';
import { newStandardSecret } from '../helpers/sign';

/** A source of the scheme and what to sign for it; a `Record` so a new scheme without a row does not compile. */
interface RoundTrip {
  source(): { source: SourceConfig; privateKeyPem?: string };
  input: Omit<SignInput, 'privateKeyPem'>;
  expected: Partial<VerifiedWebhook>;
}

const json = (value: unknown) => JSON.stringify(value);

const ROUND_TRIPS: Record<SchemeId, RoundTrip> = {
  stripe: {
    source: () => ({ source: sourceFor('stripe', [p.newSecret('whsec_')]) }),
    input: { body: json({ object: 'event', data: {} }), eventType: 'invoice.paid', deliveryId: 'evt_1' },
    expected: { deliveryId: 'evt_1', eventType: 'invoice.paid' },
  },
  github: {
    source: () => ({ source: sourceFor('github', [p.newSecret()]) }),
    input: { body: json({ action: 'opened' }), eventType: 'issues', deliveryId: 'gh-1' },
    expected: { deliveryId: 'gh-1', eventType: 'issues.opened' },
  },
  slack: {
    source: () => ({ source: sourceFor('slack', [p.newSecret()]) }),
    input: { body: json({ type: 'event_callback', event_id: 'Ev1', event: { type: 'app_mention' } }) },
    expected: { deliveryId: 'Ev1', eventType: 'app_mention' },
  },
  shopify: {
    source: () => ({ source: sourceFor('shopify', [p.newSecret()]) }),
    input: { body: json({ id: 1 }), eventType: 'orders/create', deliveryId: 'sh-1' },
    expected: { deliveryId: 'sh-1', eventType: 'orders/create' },
  },
  twilio: {
    source: () => ({ source: sourceFor('twilio', [p.newSecret()]) }),
    input: {
      body: 'Body=hi&From=%2B1555&SmsStatus=received',
      contentType: 'application/x-www-form-urlencoded',
      deliveryId: 'tw-1',
    },
    expected: { deliveryId: 'tw-1', eventType: 'message.received' },
  },
  sendgrid: {
    source: () => {
      const keys = p.sendgridKeys();
      return { source: sourceFor('sendgrid', [keys.publicKey]), privateKeyPem: keys.privateKeyPem };
    },
    input: { body: json([{ event: 'delivered', sg_event_id: 'e1' }]) },
    expected: { eventType: 'delivered' },
  },
  'standard-webhooks': {
    source: () => ({ source: sourceFor('standard-webhooks', [newStandardSecret()]) }),
    input: { body: json({ type: 'user.created', data: {} }), deliveryId: 'msg_1' },
    expected: { deliveryId: 'msg_1', eventType: 'user.created' },
  },
};

function verifySigned(source: SourceConfig, signed: SignedRequest, body = signed.body): VerifiedWebhook {
  return SCHEMES[source.scheme].verify(
    {
      headers: signed.headers,
      rawBody: Buffer.from(body, 'utf8'),
      url: `/webhooks/${source.id}${signed.query}`,
    },
    source,
    Date.now(),
  );
}

test('the registry holds each scheme under its own id', () => {
  for (const id of SCHEME_IDS) expect(SCHEMES[id].id).toBe(id);
});

describe.each(SCHEME_IDS)('%s', (id) => {
  const trip = ROUND_TRIPS[id];

  test('a request it signs, its own verify accepts; with the body changed, it refuses', () => {
    const { source, privateKeyPem } = trip.source();
    const signed = SCHEMES[id].sign(source, { ...trip.input, privateKeyPem });
    expect(verifySigned(source, signed)).toMatchObject(trip.expected);
    expect(rejection(() => verifySigned(source, signed, `${signed.body} `))).toEqual({
      status: 401,
      code: 'invalid_signature',
    });
  });

  test('toleranceSeconds is taken exactly where a timestamp is signed; publicUrl where the URL is', () => {
    const { settings } = SCHEMES[id];
    const key = id === 'sendgrid' ? p.sendgridKeys().publicKey : newStandardSecret();
    const windowed = () => parseConfig({ sources: [rawSource(id, [key], { toleranceSeconds: 60 })] }, {});
    if (settings.signsTimestamp) expect(windowed().sources[0]?.toleranceSeconds).toBe(60);
    else expect(windowed).toThrow(`sources[0].toleranceSeconds: ${id} signs no timestamp`);
    if (!settings.takesPublicUrl) {
      const withUrl = rawSource(id, [key], { publicUrl: 'https://hooks.example.com/x' });
      expect(() => parseConfig({ sources: [withUrl] }, {})).toThrow(/only twilio sources take publicUrl/);
    }
  });
});

test('Standard Webhooks signs v1a with an ed25519 private key for a whpk_ source', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url');
  const source = sourceFor('standard-webhooks', [`whpk_${raw.toString('base64')}`]);
  const signed = SCHEMES['standard-webhooks'].sign(source, {
    body: json({ type: 'user.created' }),
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  });
  expect(signed.headers['webhook-signature']).toMatch(/^v1a,/);
  expect(verifySigned(source, signed).eventType).toBe('user.created');
  expect(rejection(() => verifySigned(source, signed, `${signed.body} `)).code).toBe('invalid_signature');
});

test('Twilio acknowledges with empty TwiML and the outcome in headers; the others leave it to the server', () => {
  expect(SCHEMES.twilio.acknowledge?.({ status: 'duplicate', workflowId: 'webhook:tw:1' })).toEqual({
    headers: { 'junction-status': 'duplicate', 'junction-workflow-id': 'webhook:tw:1' },
    contentType: 'text/xml',
    body: '<?xml version="1.0" encoding="UTF-8"?><Response></Response>',
  });
  const acknowledging = SCHEME_IDS.filter((id) => SCHEMES[id].acknowledge !== undefined);
  expect(acknowledging).toEqual(['twilio']);
});
