import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { parseConfig } from '../../src/config/load';
import { signatureHeaders } from '../../src/deliveries/signing';
import { ConfigError } from '../../src/shared/errors';
import { newStandardSecret } from '../helpers/sign';

const body = Buffer.from('{"type":"order.created","data":{"name":"Zoë ✓"}}', 'utf8');

test('each secret signs; the official library verifies with the old and the new one alike', () => {
  const [older, newer, other] = [newStandardSecret(), newStandardSecret(), newStandardSecret()];
  const headers = signatureHeaders({
    id: 'acme:msg_1',
    timestampMs: Date.now(),
    body,
    secrets: [older, newer],
  });
  expect(headers['webhook-id']).toBe('acme:msg_1');
  expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
  for (const secret of [older, newer]) {
    expect(new Webhook(secret).verify(body.toString('utf8'), headers)).toEqual(JSON.parse(body.toString()));
  }
  expect(() => new Webhook(other).verify(body.toString('utf8'), headers)).toThrow(WebhookVerificationError);
  const tampered = body.toString('utf8').replace('Zoë', 'Zoe');
  expect(() => new Webhook(older).verify(tampered, headers)).toThrow(WebhookVerificationError);
});

test('without secrets nothing is signed', () => {
  expect(signatureHeaders({ id: 'x', timestampMs: 0, body, secrets: [] })).toEqual({});
});

function configError(raw: unknown): string {
  try {
    parseConfig(raw, {});
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

test('a signing secret that is not whsec_ + base64 of 24 to 64 bytes is refused, at its path', () => {
  const forward = (signingSecrets: string[]) => ({
    sources: [
      {
        id: 'acme',
        scheme: 'standard-webhooks',
        secrets: [newStandardSecret()],
        routes: [{ events: ['*'], forward: { url: 'http://127.0.0.1:9/app', signingSecrets } }],
      },
    ],
  });
  const short = `whsec_${Buffer.alloc(16, 1).toString('base64')}`;
  for (const bad of ['not-a-secret', short, 'whsec_***', `whsec_${Buffer.alloc(80).toString('base64')}`]) {
    expect(configError(forward([bad]))).toMatch(
      /sources\[0\]\.routes\[0\]\.forward\.signingSecrets\[0\]: must be a Standard Webhooks signing secret/,
    );
  }
  expect(configError({ delivery: { signingSecrets: ['whsec_'] } })).toMatch(
    /delivery\.signingSecrets\[0\]: must be a Standard Webhooks signing secret/,
  );
  expect(
    configError({ connections: { events: { url: 'http://127.0.0.1:9/e', signingSecrets: [] } } }),
  ).toMatch(/connections\.events\.signingSecrets: list at least one secret/);
  // The message never echoes the value.
  expect(configError(forward(['whsec_***']))).not.toContain('***');
});

test('targets without secrets of their own take delivery.signingSecrets; their own list wins', () => {
  const [shared, own] = [newStandardSecret(), newStandardSecret()];
  const config = parseConfig(
    {
      delivery: { signingSecrets: [shared] },
      connections: { events: { url: 'http://127.0.0.1:9/events' } },
      sources: [
        {
          id: 'acme',
          scheme: 'standard-webhooks',
          secrets: [newStandardSecret()],
          routes: [
            { events: ['a'], forward: { url: 'http://127.0.0.1:9/a' } },
            {
              events: ['b'],
              targets: [{ name: 'b', forward: { url: 'http://127.0.0.1:9/b', signingSecrets: [own] } }],
            },
          ],
        },
      ],
    },
    {},
  );
  const [first, second] = config.sources[0]?.routes ?? [];
  expect(first?.targets[0]?.forward?.signingSecrets).toEqual([shared]);
  expect(second?.targets[0]?.forward?.signingSecrets).toEqual([own]);
  expect(config.connections.events?.signingSecrets).toEqual([shared]);
  expect(parseConfig({}, {}).delivery.signingSecrets).toBeUndefined();
});
