import type { Command } from 'commander';
import { formatTable } from './table';
import { stringify } from 'yaml';
import { loadConfig } from '../config/load';
import type { ProviderDeclaration } from '../providers/schema';
import { ConnectionError } from '../shared/errors';

const REDACTED = '[redacted]';

/** A declaration fit to print: the OAuth client's secret and private key are never shown. */
export function printableDeclaration(provider: ProviderDeclaration): Record<string, unknown> {
  const { client, ...rest } = provider;
  if (!client) return rest;
  return {
    ...rest,
    client: {
      clientId: client.clientId,
      ...(client.clientSecret ? { clientSecret: REDACTED } : {}),
      ...(client.privateKey ? { privateKey: REDACTED } : {}),
      ...(client.keyId ? { keyId: client.keyId } : {}),
    },
  };
}

function providerRow(provider: ProviderDeclaration): string[] {
  const params = Object.keys(provider.connectionParams);
  return [
    provider.id,
    provider.displayName ?? provider.id,
    provider.auth.mode,
    provider.webhookScheme ?? '-',
    params.length > 0 ? params.join(',') : '-',
  ];
}

/** `junction providers list|show`: the catalogue as configured (built-ins merged with the configuration). */
export function registerProviderCommands(program: Command): void {
  const providers = program
    .command('providers')
    .description('the provider catalogue: built-in providers merged with the configured ones');

  providers
    .command('list')
    .description('list every provider: id, name, auth kind, webhook scheme, connection parameters')
    .option('--json', 'print JSON instead of a table')
    .action((options: { json?: boolean }) => {
      const { config } = loadConfig();
      const catalogue = [...config.providers].sort((a, b) => a.id.localeCompare(b.id));
      if (options.json) {
        const rows = catalogue.map((p) => {
          const [id, name, auth, webhookScheme, params] = providerRow(p);
          return { id, name, auth, webhookScheme, params };
        });
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      const header = ['ID', 'NAME', 'AUTH', 'WEBHOOK SCHEME', 'PARAMS'];
      process.stdout.write(`${formatTable(header, catalogue.map(providerRow))}\n`);
    });

  providers
    .command('show <id>')
    .description("print one provider's declaration (secrets redacted)")
    .option('--json', 'print JSON instead of YAML')
    .action((id: string, options: { json?: boolean }) => {
      const { config } = loadConfig();
      const provider = config.providers.find((entry) => entry.id === id);
      if (!provider) {
        throw new ConnectionError(
          'unknown_provider',
          `no provider "${id}"; \`junction providers list\` shows the catalogue`,
        );
      }
      const printable = printableDeclaration(provider);
      process.stdout.write(
        options.json ? `${JSON.stringify(printable, null, 2)}\n` : stringify(printable, { lineWidth: 0 }),
      );
    });
}
