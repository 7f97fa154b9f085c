import type { Command } from 'commander';
import { loadConfig } from '../config/load';
import { RequestError } from '../shared/errors';
import { connectClient, temporalTarget } from '../temporal/connection';
import { DEFAULT_RETENTION_DAYS, setupNamespace } from '../temporal/namespace';
import { provisionTemporalCli } from '../temporal/provision';
import { provisionTemporalServer } from '../temporal/serverProvision';
import { registerClusterCommand } from './cluster';

export function registerTemporalCommands(program: Command): void {
  const temporal = program.command('temporal').description('provision and prepare Temporal for Junction');

  temporal
    .command('provision')
    .description('find or build the `temporal` binary the dev server runs, and print its path')
    .option('--server', 'also the Temporal server, temporal-sql-tool and schema `temporal cluster` runs')
    .action(async (options: { server?: boolean }) => {
      const cli = await provisionTemporalCli({ onProgress: (line) => process.stderr.write(`${line}\n`) });
      if (options.server) {
        const kit = await provisionTemporalServer({
          onProgress: (line) => process.stderr.write(`${line}\n`),
        });
        process.stdout.write(`${kit.server}\n${kit.sqlTool}\n${kit.schemaDir}\n`);
      }
      if (cli.kind === 'binary') {
        process.stdout.write(`${cli.path}\n`);
      } else {
        process.stderr.write(
          `no temporal binary found or built (${cli.tried.join('; ')}); the SDK will download one at start\n`,
        );
      }
    });

  temporal
    .command('setup')
    .description("register Junction's search attributes on a namespace and set its retention")
    .option(
      '--retention-days <days>',
      'closed-execution retention (the dedupe window)',
      String(DEFAULT_RETENTION_DAYS),
    )
    .option('--no-retention', 'leave the retention as it is')
    .option('--create-namespace', 'create the namespace when it does not exist')
    .action(async (options: { retentionDays: string; retention: boolean; createNamespace?: boolean }) => {
      const { config } = loadConfig();
      const target = temporalTarget();
      const namespace = target.namespace ?? config.temporal.namespace;
      const retentionDays = Number(options.retentionDays);
      if (options.retention && (!Number.isInteger(retentionDays) || retentionDays < 1)) {
        throw new RequestError('bad_request', '--retention-days must be a whole number of days, at least 1');
      }
      const address = target.connectionOptions.address ?? `${config.dev.ip}:${config.dev.port}`;
      const connection = await connectClient({ ...target.connectionOptions, address });
      try {
        const result = await setupNamespace(connection, namespace, {
          retentionDays: options.retention ? retentionDays : undefined,
          createIfMissing: options.createNamespace,
        });
        process.stdout.write(
          `namespace ${namespace}${result.created ? ' (created)' : ''}: registered ${result.registered.length ? result.registered.join(', ') : 'nothing new'}` +
            `${result.retentionDays ? `; retention ${result.retentionDays} days` : ''}\n`,
        );
      } finally {
        await connection.close();
      }
    });
  registerClusterCommand(temporal);
}
