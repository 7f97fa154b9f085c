import { Webhook } from 'standardwebhooks';
import { parseConfig } from '../../src/config/load';
import { httpStatus } from '../../src/server/errorStatus';
import { JunctionError } from '../../src/shared/errors';
import { standardWebhooks } from '../../src/webhooks/schemes/standardWebhooks';
import { newStandardSecret, signStandardWebhook } from '../helpers/sign';

const oldSecret = newStandardSecret();
const newSecret = newStandardSecret();

function source(secrets: string[], toleranceSeconds = 300) {
  return parseConfig({ sources: [{ id: 's', scheme: 'standard-webhooks', secrets, toleranceSeconds }] }, {})
    .sources[0]!;
}

function verify(headers: Record<string, string>, body: string, secrets = [newSecret], nowMs = Date.now()) {
  return standardWebhooks.verify({ headers, rawBody: Buffer.from(body, 'utf8') }, source(secrets), nowMs);
}

function rejection(fn: () => unknown): { status: number; code: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof JunctionError) return { status: httpStatus(error.code), code: error.code };
    throw error;
  }
  throw new Error('expected a rejection');
}

test('accepts what the official library signs, and agrees with its verifier', () => {
  const signed = signStandardWebhook({ secret: newSecret, type: 'invoice.paid' });
  expect(verify(signed.headers, signed.body)).toMatchObject({
    deliveryId: signed.id,
    eventType: 'invoice.paid',
  });
  expect(() => new Webhook(newSecret).verify(signed.body, signed.headers)).not.toThrow();
});

test('a tampered body is rejected (401), as the official library also rejects it', () => {
  const signed = signStandardWebhook({ secret: newSecret });
  const tampered = signed.body.replace('order.created', 'order.deleted');
  expect(rejection(() => verify(signed.headers, tampered))).toEqual({
    status: 401,
    code: 'invalid_signature',
  });
  expect(() => new Webhook(newSecret).verify(tampered, signed.headers)).toThrow();
});

test('a tampered id or timestamp breaks the signature', () => {
  const signed = signStandardWebhook({ secret: newSecret });
  const otherId = { ...signed.headers, 'webhook-id': 'msg_other' };
  const otherTs = {
    ...signed.headers,
    'webhook-timestamp': String(Number(signed.headers['webhook-timestamp']) + 1),
  };
  expect(rejection(() => verify(otherId, signed.body)).code).toBe('invalid_signature');
  expect(rejection(() => verify(otherTs, signed.body)).code).toBe('invalid_signature');
});

test('the wrong secret is rejected', () => {
  const signed = signStandardWebhook({ secret: newStandardSecret() });
  expect(rejection(() => verify(signed.headers, signed.body))).toEqual({
    status: 401,
    code: 'invalid_signature',
  });
});

test('rotation: with both secrets configured, either one verifies', () => {
  const byOld = signStandardWebhook({ secret: oldSecret });
  const byNew = signStandardWebhook({ secret: newSecret });
  expect(verify(byOld.headers, byOld.body, [oldSecret, newSecret]).deliveryId).toBe(byOld.id);
  expect(verify(byNew.headers, byNew.body, [oldSecret, newSecret]).deliveryId).toBe(byNew.id);
  expect(rejection(() => verify(byOld.headers, byOld.body, [newSecret])).code).toBe('invalid_signature');
});

test('several signatures in the header: any valid one is enough', () => {
  const byOld = signStandardWebhook({ secret: oldSecret, id: 'msg_1', at: new Date(1_800_000_000_000) });
  const byNew = signStandardWebhook({
    secret: newSecret,
    id: 'msg_1',
    at: new Date(1_800_000_000_000),
    body: byOld.body,
  });
  const headers = {
    ...byOld.headers,
    'webhook-signature': `v1a,ignored-asymmetric ${byOld.headers['webhook-signature']} ${byNew.headers['webhook-signature']}`,
  };
  expect(verify(headers, byOld.body, [newSecret], 1_800_000_000_000).deliveryId).toBe('msg_1');
  const garbageFirst = {
    ...headers,
    'webhook-signature': `v1,AAAA v1,!!! ${byNew.headers['webhook-signature']}`,
  };
  expect(verify(garbageFirst, byOld.body, [newSecret], 1_800_000_000_000).deliveryId).toBe('msg_1');
});

test('stale and future timestamps are rejected with 400, even when correctly signed', () => {
  const now = Date.now();
  const stale = signStandardWebhook({ secret: newSecret, at: new Date(now - 301_000) });
  const future = signStandardWebhook({ secret: newSecret, at: new Date(now + 301_000) });
  const edge = signStandardWebhook({ secret: newSecret, at: new Date(now - 299_000) });
  expect(rejection(() => verify(stale.headers, stale.body, [newSecret], now))).toEqual({
    status: 400,
    code: 'timestamp_out_of_range',
  });
  expect(rejection(() => verify(future.headers, future.body, [newSecret], now)).code).toBe(
    'timestamp_out_of_range',
  );
  expect(verify(edge.headers, edge.body, [newSecret], now).deliveryId).toBe(edge.id);
});

test.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])('a missing %s is a 401', (header) => {
  const signed = signStandardWebhook({ secret: newSecret });
  const headers = { ...signed.headers };
  delete headers[header];
  expect(rejection(() => verify(headers, signed.body))).toEqual({ status: 401, code: 'missing_signature' });
});

test('malformed headers and bodies get 400 with their own codes', () => {
  const signed = signStandardWebhook({ secret: newSecret });
  expect(
    rejection(() => verify({ ...signed.headers, 'webhook-timestamp': 'yesterday' }, signed.body)),
  ).toEqual({
    status: 400,
    code: 'malformed_headers',
  });
  const notJson = signStandardWebhook({ secret: newSecret, body: 'not json' });
  expect(rejection(() => verify(notJson.headers, notJson.body))).toEqual({
    status: 400,
    code: 'malformed_body',
  });
  const noType = signStandardWebhook({ secret: newSecret, body: '{"data":{}}' });
  expect(rejection(() => verify(noType.headers, noType.body)).code).toBe('malformed_body');
});

test('a source without secrets, or with a malformed secret, is a config error', () => {
  expect(() => source([])).toThrow(/sources\[0\]\.secrets: a source needs at least one secret/);
  expect(() => source(['whsec_???'])).toThrow(
    /sources\[0\]\.secrets\[0\]: must be a Standard Webhooks secret/,
  );
});
