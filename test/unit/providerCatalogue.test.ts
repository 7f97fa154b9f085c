import { parseConfig } from '../../src/config/load';
import { BUILTIN_PROVIDERS, parseBuiltins, resolveProvider } from '../../src/providers';
import { ConfigError, ConnectionError } from '../../src/shared/errors';

const builtins = parseBuiltins();
const byId = new Map(builtins.map((provider) => [provider.id, provider]));
const builtin = (id: string) => {
  const provider = byId.get(id);
  if (!provider) throw new Error(`no built-in ${id}`);
  return provider;
};

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('built-in providers', () => {
  const named = [
    'hubspot', 'salesforce', 'google', 'microsoft', 'github', 'gitlab', 'bitbucket', 'slack', 'discord',
    'notion', 'linear', 'jira', 'asana', 'zendesk', 'intercom', 'shopify', 'stripe', 'twilio', 'sendgrid',
    'mailchimp', 'xero', 'quickbooks', 'dropbox', 'box', 'airtable', 'zoom', 'pipedrive', 'calendly',
    'docusign', 'okta',
  ]; // prettier-ignore

  test('every built-in parses, and the thirty named ones are there', () => {
    expect(builtins).toHaveLength(Object.keys(BUILTIN_PROVIDERS).length);
    for (const id of named) expect(byId.has(id)).toBe(true);
  });

  test.each(Object.keys(BUILTIN_PROVIDERS))('%s cites its documentation', (id) => {
    const provider = builtin(id);
    expect(provider.displayName).toBeTruthy();
    expect(provider.references.length).toBeGreaterThan(0);
    for (const url of [...provider.references, provider.docsUrl ?? '']) {
      expect(url).toMatch(/^https:\/\/[a-z0-9.-]+\//);
    }
  });

  test('webhook schemes are declared where the provider sends webhooks Junction can verify', () => {
    const schemes = Object.fromEntries(
      builtins.flatMap((p) => (p.webhookScheme ? [[p.id, p.webhookScheme]] : [])),
    );
    expect(schemes).toEqual({
      github: 'github',
      slack: 'slack',
      shopify: 'shopify',
      stripe: 'stripe',
      twilio: 'twilio',
      sendgrid: 'sendgrid',
    });
  });

  test('the quirks that decide whether a refresh token is issued are declared', () => {
    const auth = (id: string) => builtin(id).auth as Record<string, unknown>;
    expect(auth('google').authorizationParams).toEqual({ access_type: 'offline', prompt: 'consent' });
    expect(auth('dropbox').authorizationParams).toEqual({ token_access_type: 'offline' });
    expect(auth('jira').authorizationParams).toMatchObject({
      audience: 'api.atlassian.com',
      prompt: 'consent',
    });
    for (const id of ['microsoft', 'okta', 'xero', 'jira'])
      expect(auth(id).scopes).toContain('offline_access');
    expect(auth('xero')).toMatchObject({ rotatesRefreshTokens: true, refreshTokenReuseGraceSeconds: 1800 });
    for (const id of ['notion', 'xero', 'quickbooks', 'zoom', 'pipedrive', 'airtable', 'docusign'])
      expect(auth(id).tokenEndpointAuthMethod).toBe('client_secret_basic');
    expect(auth('slack').scopeSeparator).toBe(',');
    expect(auth('shopify').scopeSeparator).toBe(',');
  });
});

describe('an invalid built-in stops start-up', () => {
  test('the error names the provider and the field', () => {
    const error = thrown(() =>
      parseBuiltins({
        acme: {
          auth: {
            mode: 'oauth2',
            authorizationUrl: 'https://acme.example/authorize',
            tokenUrl: 'http://acme.example/token',
          },
          apiBaseUrl: 'https://api.acme.example',
        },
      }),
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(
      /built-in provider "acme" is invalid: auth\.tokenUrl: must be an absolute https/,
    );
  });

  test('an unknown key (a typo) is named too', () => {
    const error = thrown(() =>
      parseBuiltins({
        acme: {
          auth: { mode: 'api_key' },
          apiBaseUrl: 'https://api.acme.example',
          webhookSchem: 'stripe',
        },
      }),
    );
    expect(error.message).toMatch(/built-in provider "acme" is invalid: webhookSchem: unknown key/);
  });

  test('a placeholder that is not a declared connection parameter is refused', () => {
    const error = thrown(() =>
      parseBuiltins({
        acme: { auth: { mode: 'basic' }, apiBaseUrl: 'https://{tenant}.acme.example' },
      }),
    );
    expect(error.message).toMatch(
      /apiBaseUrl: placeholder \{tenant\} is not a declared connection parameter/,
    );
  });
});

test('start-up (parseConfig) fails on an invalid built-in instead of dropping it', () => {
  jest.isolateModules(() => {
    // A fresh copy of the modules, with one built-in broken the way a typo would break it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fresh = require('../../src/providers/builtin') as typeof import('../../src/providers/builtin');
    fresh.BUILTIN_PROVIDERS.broken = {
      displayName: 'Broken',
      auth: { mode: 'oauth2', authorizationUrl: 'https://broken.example/authorize', tokenUrl: 'ftp://x' },
      apiBaseUrl: 'https://api.broken.example',
    };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = require('../../src/config/load') as typeof import('../../src/config/load');
    const error = thrown(() => load.parseConfig({}, {}));
    expect(error.name).toBe('ConfigError');
    expect(error.message).toBe(
      'built-in provider "broken" is invalid: auth.tokenUrl: must be an absolute https:// URL (http:// only on loopback)',
    );
  });
});

describe('connection parameters fill {param} URLs', () => {
  test('Shopify: the shop goes into every URL', () => {
    const shop = resolveProvider(builtin('shopify'), { shop: 'acme' });
    expect(shop.apiBaseUrl).toBe('https://acme.myshopify.com/admin/api');
    expect(shop.auth).toMatchObject({
      authorizationUrl: 'https://acme.myshopify.com/admin/oauth/authorize',
      tokenUrl: 'https://acme.myshopify.com/admin/oauth/access_token',
    });
    // The declaration itself is untouched.
    expect(builtin('shopify').apiBaseUrl).toBe('https://{shop}.myshopify.com/admin/api');
  });

  test('a default fills an omitted parameter (Microsoft: common)', () => {
    expect(resolveProvider(builtin('microsoft')).auth).toMatchObject({
      tokenUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/token',
    });
    expect(resolveProvider(builtin('microsoft'), { tenant: 'contoso.onmicrosoft.com' }).auth).toMatchObject({
      tokenUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token',
    });
  });

  test.each([
    ['missing', {}, /connection parameter "shop" is required/],
    ['another host', { shop: 'evil.example/x' }, /"shop" must match/],
    ['a port', { shop: 'acme:8443' }, /"shop" must match/],
    ['unknown', { shop: 'acme', region: 'eu' }, /unknown connection parameter "region"; it takes shop/],
  ])('%s → invalid_connection_params', (_name, params, pattern) => {
    const error = thrown(() => resolveProvider(builtin('shopify'), params as Record<string, string>));
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe('invalid_connection_params');
    expect(error.message).toMatch(pattern);
  });

  test('parameters for a provider that takes none are refused', () => {
    expect(() => resolveProvider(builtin('github'), { shop: 'acme' })).toThrow(/it takes none/);
  });

  test('Okta: a domain may have dots but no path', () => {
    expect(resolveProvider(builtin('okta'), { domain: 'dev-1.okta.com' }).apiBaseUrl).toBe(
      'https://dev-1.okta.com/api/v1',
    );
    expect(() => resolveProvider(builtin('okta'), { domain: 'okta.com/evil' })).toThrow(/must match/);
  });

  test('a configured provider may extend a templated built-in and declare its own parameters', () => {
    const config = parseConfig(
      {
        providers: [
          { id: 'shopify', client: { clientId: 'c', clientSecret: 's' } },
          {
            id: 'acme',
            connectionParams: { region: { description: 'eu or us', pattern: '^(eu|us)$' } },
            auth: { mode: 'api_key' },
            apiBaseUrl: 'https://api.{region}.acme.example',
          },
        ],
      },
      {},
    );
    const acme = config.providers.find((p) => p.id === 'acme')!;
    expect(resolveProvider(acme, { region: 'eu' }).apiBaseUrl).toBe('https://api.eu.acme.example');
    expect(() => resolveProvider(acme, { region: 'ap' })).toThrow(/must match \^\(eu\|us\)\$/);
    expect(config.providers.find((p) => p.id === 'shopify')?.client?.clientId).toBe('c');
  });

  test('an unanchored parameter pattern is refused', () => {
    expect(() =>
      parseConfig(
        {
          providers: [
            {
              id: 'acme',
              connectionParams: { region: { description: 'r', pattern: 'eu|us' } },
              auth: { mode: 'basic' },
              apiBaseUrl: 'https://api.{region}.acme.example',
            },
          ],
        },
        {},
      ),
    ).toThrow(/providers\[0\]\.connectionParams\.region\.pattern: must be a regular expression anchored/);
  });
});
