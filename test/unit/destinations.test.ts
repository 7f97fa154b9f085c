import { Connection } from '@temporalio/client';
import { assembleJunction } from '../../src/app/assemble';
import { withNetworkDefaults } from '../../src/app/run';
import { createPayloadCodec } from '../../src/codec';
import { parseConfig } from '../../src/config/load';
import { createLogger } from '../../src/logging/logger';
import { createMetrics } from '../../src/metrics/registry';
import { refusedConfiguredDestinations } from '../../src/network/configCheck';
import {
  DestinationPolicy,
  LOOPBACK_CIDRS,
  destinationRefusal,
  ipLiteral,
} from '../../src/network/destinations';
import { ConfigError, DestinationError } from '../../src/shared/errors';

const closed = new DestinationPolicy([]);

/** Every special range, both families, with the name the refusal reports. */
const REFUSED: Array<[address: string, range: string]> = [
  ['127.0.0.1', 'loopback'],
  ['127.255.10.3', 'loopback'],
  ['10.0.0.1', 'private'],
  ['172.16.5.4', 'private'],
  ['172.31.255.254', 'private'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'linkLocal'], // AWS, GCP and Azure instance metadata
  ['169.254.0.1', 'linkLocal'],
  ['100.64.0.1', 'carrierGradeNat'],
  ['100.127.255.254', 'carrierGradeNat'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['255.255.255.255', 'broadcast'],
  ['192.0.2.1', 'reserved'], // documentation (TEST-NET-1)
  ['198.51.100.7', 'reserved'],
  ['203.0.113.9', 'reserved'],
  ['198.18.0.1', 'reserved'], // benchmarking
  ['240.0.0.1', 'reserved'],
  ['::1', 'loopback'],
  ['::', 'unspecified'],
  ['fc00::1', 'uniqueLocal'],
  ['fd00:ec2::254', 'uniqueLocal'], // AWS instance metadata over IPv6
  ['fe80::1', 'linkLocal'],
  ['ff02::1', 'multicast'],
  ['::ffff:127.0.0.1', 'loopback'], // IPv4-mapped: judged as the IPv4 address
  ['::ffff:7f00:1', 'loopback'],
  ['::ffff:10.1.2.3', 'private'],
  ['::ffff:169.254.169.254', 'linkLocal'],
  ['::7f00:1', 'ipv4Compatible'],
  ['64:ff9b::a9fe:a9fe', 'rfc6052'], // NAT64 of 169.254.169.254
  ['64:ff9b:1::1', 'rfc6052'], // local-use NAT64 (RFC 8215)
  ['2002:7f00:1::1', '6to4'],
  ['2001::1', 'teredo'],
  ['100::1', 'discard'],
];

const ALLOWED = ['8.8.8.8', '1.1.1.1', '93.184.215.14', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111'];

test.each(REFUSED)('%s is refused as %s, with the host, the address and the range', (address, range) => {
  const refusal = closed.refusal(address, 'api.example.com');
  expect(refusal).toBeInstanceOf(DestinationError);
  expect(refusal?.code).toBe('destination_not_allowed');
  expect(refusal?.retryable).toBe(false);
  expect(refusal?.details).toMatchObject({ host: 'api.example.com', address, range });
  expect(refusal?.message).toContain('api.example.com');
  expect(refusal?.message).toContain(range);
  expect(refusal?.message).toContain('network.allowPrivate');
});

test.each(ALLOWED)('%s (global unicast) is allowed', (address) => {
  expect(closed.refusal(address, address)).toBeUndefined();
});

test('the refusal names the CIDR of the range it found', () => {
  expect(closed.refusal('10.9.8.7', 'internal')?.details.cidr).toBe('10.0.0.0/8');
  expect(closed.refusal('169.254.169.254', 'metadata')?.message).toMatch(
    /linkLocal range 169\.254\.0\.0\/16/,
  );
  expect(closed.refusal('fd00:ec2::254', 'fd00:ec2::254')?.details.cidr).toBe('fc00::/7');
  expect(closed.refusal('::ffff:127.0.0.1', 'x')?.details.cidr).toBe('127.0.0.0/8');
});

test('the allowlist opens exactly its CIDRs, in both families, IPv4-mapped addresses included', () => {
  const loopback = new DestinationPolicy(LOOPBACK_CIDRS);
  for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) {
    expect(loopback.refusal(address, 'localhost')).toBeUndefined();
  }
  for (const address of ['10.0.0.1', '169.254.169.254', 'fd00::1', '::']) {
    expect(loopback.refusal(address, 'x')).toBeInstanceOf(DestinationError);
  }
  const office = new DestinationPolicy(['10.20.0.0/16', 'fd12:3456::/32', '169.254.169.254']);
  expect(office.refusal('10.20.3.4', 'x')).toBeUndefined();
  expect(office.refusal('::ffff:10.20.3.4', 'x')).toBeUndefined();
  expect(office.refusal('10.21.0.1', 'x')?.details.range).toBe('private');
  expect(office.refusal('fd12:3456::9', 'x')).toBeUndefined();
  expect(office.refusal('fd12:3457::9', 'x')?.details.range).toBe('uniqueLocal');
  // A single address is a /32: its neighbour stays refused.
  expect(office.refusal('169.254.169.254', 'x')).toBeUndefined();
  expect(office.refusal('169.254.169.253', 'x')?.details.range).toBe('linkLocal');
});

test('what is not an IP address is refused rather than guessed at', () => {
  expect(closed.refusal('not-an-ip', 'host')?.code).toBe('destination_not_allowed');
});

test('IP literals are recognised as Node dials them (brackets or not); names are not', () => {
  expect(ipLiteral('[::1]')).toBe('::1');
  expect(ipLiteral('::ffff:127.0.0.1')).toBe('::ffff:127.0.0.1');
  expect(ipLiteral('10.0.0.1')).toBe('10.0.0.1');
  expect(ipLiteral('localhost')).toBeUndefined();
  // Not a dotted quad: Node resolves it (getaddrinfo reads it as 127.0.0.1), so the lookup hook judges it.
  expect(ipLiteral('2130706433')).toBeUndefined();
});

test('a refusal is found in a cause chain (fetch wraps a failed connection in a TypeError)', () => {
  const refusal = closed.refusal('127.0.0.1', 'localhost');
  expect(destinationRefusal(new TypeError('fetch failed', { cause: refusal }))).toBe(refusal);
  expect(destinationRefusal(new Error('ECONNREFUSED'))).toBeUndefined();
});

test('network.allowPrivate takes CIDRs and addresses; anything else is a configuration error', () => {
  expect(
    parseConfig({ network: { allowPrivate: ['10.0.0.0/8', 'fd00::/8', '127.0.0.1'] } }, {}),
  ).toMatchObject({
    network: { allowPrivate: ['10.0.0.0/8', 'fd00::/8', '127.0.0.1'] },
  });
  expect(() => parseConfig({ network: { allowPrivate: ['10.0.0.0/33'] } }, {})).toThrow(
    /network\.allowPrivate/,
  );
  expect(() => parseConfig({ network: { allowPrivate: ['intranet'] } }, {})).toThrow(/CIDR/);
  expect(() => parseConfig({ network: { allowPrivte: [] } }, {})).toThrow(ConfigError);
});

test('unset, junction dev allows loopback and server / worker allow nothing; a configured list wins', () => {
  const unset = parseConfig({}, {});
  expect(unset.network.allowPrivate).toBeUndefined();
  expect(withNetworkDefaults(unset, true).network.allowPrivate).toEqual(LOOPBACK_CIDRS);
  expect(withNetworkDefaults(unset, false).network.allowPrivate).toEqual([]);
  const set = parseConfig({ network: { allowPrivate: ['10.0.0.0/8'] } }, {});
  expect(withNetworkDefaults(set, true).network.allowPrivate).toEqual(['10.0.0.0/8']);
  expect(
    withNetworkDefaults(parseConfig({ network: { allowPrivate: [] } }, {}), true).network.allowPrivate,
  ).toEqual([]);
});

/** A configuration naming outbound URLs of every kind Junction dials. */
function configWith(url: string, allowPrivate?: string[]) {
  return parseConfig(
    {
      sources: [
        {
          id: 'acme',
          scheme: 'standard-webhooks',
          secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
          routes: [{ events: ['*'], forward: { url: `${url}/hooks` } }],
        },
      ],
      connections: { events: { url: `${url}/events` }, returnToAllowlist: [`${url}/app/`] },
      providers: [{ id: 'internal', auth: { mode: 'api_key' }, apiBaseUrl: 'https://10.1.2.3/api' }],
      ...(allowPrivate ? { network: { allowPrivate } } : {}),
    },
    {},
  );
}

test('configured URLs on refused literal addresses are flagged by key; names wait for the dial', () => {
  const refused = refusedConfiguredDestinations(configWith('http://169.254.169.254'), closed);
  expect(refused).toEqual([
    expect.stringMatching(
      /^sources\[0\]\.routes\[0\]\.targets\[0\]\.forward\.url: .*169\.254\.169\.254.*linkLocal/,
    ),
    expect.stringMatching(/^connections\.events\.url: /),
    expect.stringMatching(/^connections\.returnToAllowlist\[0\]: /),
    expect.stringMatching(/^providers\["internal"\]\.apiBaseUrl: .*10\.1\.2\.3.*private/),
  ]);
  expect(refusedConfiguredDestinations(configWith('http://[::ffff:127.0.0.1]:4000'), closed)).toHaveLength(4);
  // Names (built-in providers' included) are judged after resolution, at connection time.
  expect(refusedConfiguredDestinations(configWith('http://app.internal'), closed)).toEqual([
    expect.stringMatching(/^providers\["internal"\]/),
  ]);
  const allowed = new DestinationPolicy(['169.254.169.254/32', '10.0.0.0/8']);
  expect(refusedConfiguredDestinations(configWith('http://169.254.169.254'), allowed)).toEqual([]);
});

test('server and worker refuse to start with a refused literal address, naming the key', async () => {
  const codec = createPayloadCodec(
    parseConfig({}, { JUNCTION_CODEC_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}` }),
  );
  const connection = Connection.lazy({ address: '127.0.0.1:1' });
  const assemble = (allowPrivate?: string[]) =>
    assembleJunction({
      config: configWith('http://10.0.0.8:8080', allowPrivate),
      logger: createLogger({ level: 'silent' }),
      metrics: createMetrics({ defaultMetrics: false }),
      codec,
      connection,
      namespace: 'default',
      api: true,
    });
  try {
    const refused = await assemble().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as ConfigError).message).toMatch(
      /forward\.url: destination 10\.0\.0\.8 is in the private range 10\.0\.0\.0\/8/,
    );
    // Allowlisted, the same configuration assembles (the lazy connection is never used here).
    const assembled = await assemble(['10.0.0.0/8']);
    await assembled.app.close();
    await assembled.outbound.close();
  } finally {
    await connection.close();
  }
});
