import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { withDeliverySigning } from '../../src/app/run';
import { parseConfig } from '../../src/config/load';
import { unsignedTargets } from '../../src/config/signingDefaults';
import { signatureHeaders, signingKey } from '../../src/deliveries/signing';
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

describe('every request to the application is signed', () => {
  const unsignedConfig = (
    env: NodeJS.ProcessEnv = {},
    dataDir = mkdtempSync(join(tmpdir(), 'junction-sign-')),
  ) =>
    parseConfig(
      {
        dev: { dataDir },
        sources: [
          {
            id: 'acme',
            scheme: 'standard-webhooks',
            secrets: [newStandardSecret()],
            routes: [
              {
                events: ['*'],
                forward: { url: 'http://127.0.0.1:9/a' },
                targets: [{ name: 'also', forward: { url: 'http://127.0.0.1:9/c' } }],
              },
              {
                events: ['*'],
                targets: [
                  {
                    name: 'own',
                    forward: { url: 'http://127.0.0.1:9/b', signingSecrets: [newStandardSecret()] },
                  },
                ],
              },
            ],
          },
        ],
        connections: { events: { url: 'http://127.0.0.1:9/e' } },
      },
      env,
    );

  test('a worker refuses to start with a target that has no secret, naming each such target', () => {
    const config = unsignedConfig();
    expect(unsignedTargets(config)).toEqual([
      'sources[0].routes[0].forward',
      'sources[0].routes[0].targets[0].forward',
      'connections.events',
    ]);
    let thrown: unknown;
    try {
      withDeliverySigning(config, { devServer: false, worker: true });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).code).toBe('config_invalid');
    expect((thrown as ConfigError).message).toMatch(
      /^sources\[0\]\.routes\[0\]\.forward, sources\[0\]\.routes\[0\]\.targets\[0\]\.forward, connections\.events: every request to the application is signed.*delivery\.signingSecrets.*JUNCTION_DELIVERY_SIGNING_SECRETS/,
    );
    // A process that serves only the API sends nothing to the application: it starts.
    expect(withDeliverySigning(config, { devServer: false, worker: false }).config).toBe(config);
  });

  test('JUNCTION_DELIVERY_SIGNING_SECRETS signs every target without its own; a bad one is named, never shown', () => {
    const [newer, older] = [newStandardSecret(), newStandardSecret()];
    const config = unsignedConfig({ JUNCTION_DELIVERY_SIGNING_SECRETS: `${newer}, ${older}` });
    expect(config.delivery.signingSecrets).toEqual([newer, older]);
    expect(config.sources[0]?.routes[0]?.forward?.signingSecrets).toEqual([newer, older]);
    expect(config.connections.events?.signingSecrets).toEqual([newer, older]);
    expect(config.sources[0]?.routes[1]?.targets[0]?.forward?.signingSecrets).not.toEqual([newer, older]);
    expect(unsignedTargets(config)).toEqual([]);
    expect(() => withDeliverySigning(config, { devServer: false, worker: true })).not.toThrow();

    const secretLooking = 'whsec_tooShortToBeAKey';
    let message = '';
    try {
      unsignedConfig({ JUNCTION_DELIVERY_SIGNING_SECRETS: `${newer},${secretLooking}` });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message;
    }
    expect(message).toMatch(
      /^JUNCTION_DELIVERY_SIGNING_SECRETS\[1\]: must be a Standard Webhooks signing secret/,
    );
    expect(message).not.toContain(secretLooking);
  });

  test('junction dev signs with a secret it makes once and keeps (mode 0600) in its data directory', () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'junction-sign-')), 'data');
    const first = withDeliverySigning(unsignedConfig({}, dataDir), { devServer: true, worker: true });
    const file = join(dataDir, 'delivery-signing-secret');
    expect(first.devSecretFile).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const secret = readFileSync(file, 'utf8').trim();
    expect(signingKey(secret)).toBeDefined();
    expect(first.config.sources[0]?.routes[0]?.forward?.signingSecrets).toEqual([secret]);
    expect(first.config.connections.events?.signingSecrets).toEqual([secret]);
    expect(unsignedTargets(first.config)).toEqual([]);
    // Started again: the same secret, so the application's copy stays valid.
    const again = withDeliverySigning(unsignedConfig({}, dataDir), { devServer: true, worker: true });
    expect(again.config.delivery.signingSecrets).toEqual([secret]);
    // Configured secrets win: no file is needed.
    const configured = unsignedConfig({ JUNCTION_DELIVERY_SIGNING_SECRETS: newStandardSecret() }, dataDir);
    expect(withDeliverySigning(configured, { devServer: true, worker: true }).devSecretFile).toBeUndefined();
  });
});
