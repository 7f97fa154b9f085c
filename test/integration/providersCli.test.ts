import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_PROVIDERS } from '../../src/providers';
import { runCli } from '../helpers/cli';

const dir = mkdtempSync(join(tmpdir(), 'junction-providers-cli-'));
const clientSecret = `cs-${Math.random().toString(36).slice(2)}-secret`;
const config = join(dir, 'junction.yaml');
writeFileSync(
  config,
  [
    'providers:',
    '  - id: github',
    `    client: { clientId: gh-client, clientSecret: "${clientSecret}" }`,
    '  - id: acme',
    '    displayName: Acme',
    '    connectionParams: { region: { description: "eu or us", pattern: "^(eu|us)$" } }',
    '    auth: { mode: api_key, header: x-api-key, prefix: "" }',
    '    apiBaseUrl: https://api.{region}.acme.example',
    '',
  ].join('\n'),
);
const env = { JUNCTION_CONFIG: config };

test('junction providers list: a table of every provider with its auth kind and webhook scheme', async () => {
  const result = await runCli(['providers', 'list'], env);
  expect(result.code).toBe(0);
  const lines = result.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^ID\s+NAME\s+AUTH\s+WEBHOOK SCHEME\s+PARAMS$/);
  const rows = new Map(lines.slice(1).map((line) => [line.split(/\s+/)[0], line.split(/\s{2,}/)]));
  expect(rows.size).toBe(Object.keys(BUILTIN_PROVIDERS).length + 1);
  expect(rows.get('stripe')).toEqual(['stripe', 'Stripe', 'api_key', 'stripe', '-']);
  expect(rows.get('shopify')).toEqual(['shopify', 'Shopify', 'oauth2', 'shopify', 'shop']);
  expect(rows.get('twilio')).toEqual(['twilio', 'Twilio', 'basic', 'twilio', '-']);
  expect(rows.get('google-service-account')?.[2]).toBe('jwt_bearer');
  expect(rows.get('acme')).toEqual(['acme', 'Acme', 'api_key', '-', 'region']);
});

test('junction providers show: the declaration, built-in merged with the configuration, secrets never printed', async () => {
  const yaml = await runCli(['providers', 'show', 'github'], env);
  expect(yaml.code).toBe(0);
  expect(yaml.stdout).toContain('authorizationUrl: https://github.com/login/oauth/authorize');
  expect(yaml.stdout).toContain('webhookScheme: github');
  expect(yaml.stdout).toContain('clientId: gh-client');
  expect(yaml.stdout).toContain('clientSecret: "[redacted]"');
  expect(yaml.stdout).not.toContain(clientSecret);

  const json = await runCli(['providers', 'show', 'acme', '--json'], env);
  expect(json.code).toBe(0);
  expect(JSON.parse(json.stdout)).toMatchObject({
    id: 'acme',
    apiBaseUrl: 'https://api.{region}.acme.example',
    connectionParams: { region: { pattern: '^(eu|us)$' } },
    auth: { mode: 'api_key', header: 'x-api-key' },
  });
});

test('junction providers show <unknown>: one line and exit code 1', async () => {
  const result = await runCli(['providers', 'show', 'nope'], env);
  expect(result.code).toBe(1);
  expect(result.stderr).toBe('junction: no provider "nope"; `junction providers list` shows the catalogue\n');
});

test('an invalid provider in the configuration stops the command with the field named', async () => {
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'providers:\n  - id: shopify\n    auth: { tokenUrl: "http://shop.example/token" }\n');
  const result = await runCli(['providers', 'list'], { JUNCTION_CONFIG: bad });
  expect(result.code).not.toBe(0);
  expect(result.stderr).toMatch(/providers\[0\]\.auth\.tokenUrl: must be an absolute https:\/\/ URL/);
  expect(result.stderr).not.toMatch(/\n\s+at /);
});
