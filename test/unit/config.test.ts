import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, parseConfig } from '../../src/config/load';
import { ConfigError } from '../../src/shared/errors';

const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

test('defaults apply to an empty file', () => {
  const config = parseConfig({}, {});
  expect(config.server).toMatchObject({ host: '127.0.0.1', port: 3000, bodyLimitBytes: 1_048_576 });
  expect(config.temporal).toMatchObject({ namespace: 'default', taskQueue: 'junction' });
  expect(config.dev.dataDir).toBe('.junction');
  expect(config.delivery.retry.maximumAttempts).toBe(10);
  expect(config.sources).toEqual([]);
});

test('temporal.maxCachedWorkflows defaults to 250 and takes 0 (no cache)', () => {
  expect(parseConfig({}, {}).temporal.maxCachedWorkflows).toBe(250);
  expect(parseConfig({ temporal: { maxCachedWorkflows: 0 } }, {}).temporal.maxCachedWorkflows).toBe(0);
});

test('a negative, fractional or 1 temporal.maxCachedWorkflows is a config error naming the key', () => {
  expect(message(() => parseConfig({ temporal: { maxCachedWorkflows: 1 } }, {}))).toContain(
    'temporal.maxCachedWorkflows: must be 0 (no cache) or at least 2',
  );
  for (const bad of [-1, 2.5, 'many']) {
    expect(message(() => parseConfig({ temporal: { maxCachedWorkflows: bad } }, {}))).toContain(
      'temporal.maxCachedWorkflows',
    );
  }
});

test('temporal.optimizeForSize is on by default; the file or JUNCTION_OPTIMIZE_FOR_SIZE turns it off', () => {
  expect(parseConfig({}, {}).temporal.optimizeForSize).toBe(true);
  expect(parseConfig({ temporal: { optimizeForSize: false } }, {}).temporal.optimizeForSize).toBe(false);
  for (const [value, expected] of [
    ['0', false],
    ['false', false],
    ['1', true],
    ['true', true],
  ] as const) {
    const raw = { temporal: { optimizeForSize: !expected } };
    expect(parseConfig(raw, { JUNCTION_OPTIMIZE_FOR_SIZE: value }).temporal.optimizeForSize).toBe(expected);
  }
  for (const bad of ['no', 'TRUE', 'constructor'])
    expect(message(() => parseConfig({}, { JUNCTION_OPTIMIZE_FOR_SIZE: bad }))).toContain(
      `JUNCTION_OPTIMIZE_FOR_SIZE: must be true, false, 1 or 0, got "${bad}"`,
    );
  expect(message(() => parseConfig({ temporal: { optimizeForSize: 'yes' } }, {}))).toContain(
    'temporal.optimizeForSize',
  );
});

test('${VAR} and ${VAR:-fallback} are interpolated; $${ escapes', () => {
  const config = parseConfig(
    {
      sources: [
        {
          id: 'a',
          scheme: 'standard-webhooks',
          secrets: ['${A_SECRET}'],
          routes: [
            {
              events: ['*'],
              forward: {
                url: '${APP_URL:-http://127.0.0.1:4000}/hooks',
                headers: { 'x-note': 'cost $${price}' },
              },
            },
          ],
        },
      ],
    },
    { A_SECRET: secret },
  );
  expect(config.sources[0]?.secrets).toEqual([secret]);
  expect(config.sources[0]?.routes[0]?.forward?.url).toBe('http://127.0.0.1:4000/hooks');
  expect(config.sources[0]?.routes[0]?.forward?.headers['x-note']).toBe('cost ${price}');
  expect(config.sources[0]?.routes[0]?.name).toBe('route-0');
});

test('a missing secret names the key and the variable', () => {
  expect(
    message(() =>
      parseConfig({ sources: [{ id: 'a', scheme: 'standard-webhooks', secrets: ['${NOPE}'] }] }, {}),
    ),
  ).toBe('sources[0].secrets[0]: environment variable NOPE is not set');
});

test('an unknown key is an error naming it, at any depth', () => {
  expect(message(() => parseConfig({ servr: {} }, {}))).toContain('servr: unknown key');
  expect(message(() => parseConfig({ server: { prot: 1 } }, {}))).toContain('server.prot: unknown key');
  expect(
    message(() =>
      parseConfig(
        {
          sources: [
            {
              id: 'a',
              scheme: 'standard-webhooks',
              secrets: [secret],
              routes: [{ events: ['x'], forward: { url: 'http://x' }, retries: 3 }],
            },
          ],
        },
        {},
      ),
    ),
  ).toContain('sources[0].routes[0].retries: unknown key');
});

test('a bad URL names the key', () => {
  const text = message(() =>
    parseConfig(
      {
        sources: [
          {
            id: 'a',
            scheme: 'standard-webhooks',
            secrets: [secret],
            routes: [{ events: ['x'], forward: { url: 'not a url' } }],
          },
        ],
      },
      {},
    ),
  );
  expect(text).toContain('sources[0].routes[0].forward.url: must be an absolute http:// or https:// URL');
});

test('duplicate source ids and route names are errors', () => {
  const src = { id: 'a', scheme: 'standard-webhooks', secrets: [secret] };
  expect(message(() => parseConfig({ sources: [src, src] }, {}))).toContain(
    'sources[1].id: duplicate source id "a"',
  );
  const routes = [
    { name: 'r', events: ['x'], forward: { url: 'http://x' } },
    { name: 'r', events: ['y'], forward: { url: 'http://y' } },
  ];
  expect(message(() => parseConfig({ sources: [{ ...src, routes }] }, {}))).toContain(
    'duplicate route name "r"',
  );
});

test('PORT, HOST and JUNCTION_DATA_DIR override the file; a bad PORT is named', () => {
  const config = parseConfig({}, { PORT: '8080', HOST: '0.0.0.0', JUNCTION_DATA_DIR: '/var/lib/junction' });
  expect(config.server).toMatchObject({ port: 8080, host: '0.0.0.0' });
  expect(config.dev.dataDir).toBe('/var/lib/junction');
  expect(message(() => parseConfig({}, { PORT: 'eighty' }))).toContain('PORT: must be an integer');
});

test('loadConfig reads JUNCTION_CONFIG, reports YAML errors with the file, and requires a named file to exist', () => {
  const dir = mkdtempSync(join(tmpdir(), 'junction-config-'));
  const file = join(dir, 'j.yaml');
  writeFileSync(file, 'server:\n  port: 4100\n');
  expect(loadConfig({ JUNCTION_CONFIG: file }, dir).config.server.port).toBe(4100);
  writeFileSync(file, 'server: [unclosed\n');
  expect(message(() => loadConfig({ JUNCTION_CONFIG: file }, dir))).toContain('not valid YAML');
  expect(message(() => loadConfig({ JUNCTION_CONFIG: join(dir, 'missing.yaml') }, dir))).toContain(
    'file not found',
  );
  // Without JUNCTION_CONFIG and without the default file, defaults apply.
  expect(loadConfig({}, dir)).toMatchObject({ file: undefined });
});

test('the documented example parses', () => {
  const example = join(__dirname, '..', '..', 'junction.config.example.yaml');
  const { config } = loadConfig({ JUNCTION_CONFIG: example, ACME_WEBHOOK_SECRET: secret });
  expect(config.sources[0]?.id).toBe('acme');
  const acme = config.providers.find((provider) => provider.id === 'acme');
  expect(acme?.calls.rateLimit).toMatchObject({ perSecond: 20, mode: 'strict', perConnectionPerSecond: 5 });
  expect(acme?.actions.createWidget).toMatchObject({ method: 'POST', path: '/widgets/{projectId}' });
});

test('toleranceSeconds on a scheme that signs no timestamp is an error, not a silent no-op', () => {
  const github = { id: 'gh', scheme: 'github', secrets: ['a-github-webhook-secret'], toleranceSeconds: 60 };
  expect(message(() => parseConfig({ sources: [github] }, {}))).toContain(
    'sources[0].toleranceSeconds: github signs no timestamp',
  );
  const { toleranceSeconds: _omit, ...withoutWindow } = github;
  expect(parseConfig({ sources: [withoutWindow] }, {}).sources[0]?.toleranceSeconds).toBe(300);
});
