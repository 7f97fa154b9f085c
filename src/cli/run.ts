import type { Command } from 'commander';
import { runJunction, type RunOptions } from '../app/run';
import { loadConfig } from '../config/load';
import { prepareDemo } from '../demo/demo';
import { createLogger } from '../logging/logger';

type Role = Pick<RunOptions, 'devServer' | 'worker' | 'api'>;

async function runUntilSignal(role: Role, options: { demo?: boolean } = {}): Promise<void> {
  const { config, file } = loadConfig();
  const demo = options.demo ? await prepareDemo(config) : undefined;
  const logger = createLogger({ level: config.log.level });
  if (!file) {
    logger.warn(
      'no junction.config.yaml found (set JUNCTION_CONFIG to name one): running with defaults and no webhook sources; see junction.config.example.yaml',
    );
  }
  const running = await runJunction({ config, logger, ...role });
  logger.info(
    {
      api: running.apiUrl,
      ui: running.uiUrl,
      metrics: running.metricsUrl,
      temporal: running.temporalAddress,
    },
    'Junction is running',
  );
  const lines = [
    `Junction is running`,
    `  API:      ${running.apiUrl}`,
    ...(running.uiUrl ? [`  UI:       ${running.uiUrl}`] : []),
    ...(running.codecSignIn ? [codecLine(running.codecSignIn)] : []),
    ...(running.docsUrl ? [`  API docs: ${running.docsUrl} (OpenAPI: ${running.apiUrl}/openapi.json)`] : []),
    ...(running.deliverySecretFile
      ? [
          `  Signing:  deliveries to your application are signed with the whsec_ secret in ${running.deliverySecretFile}`,
        ]
      : []),
    `  Metrics:  ${running.metricsUrl}`,
    `  Temporal: ${running.temporalAddress} (namespace ${running.namespace})`,
  ];
  if (demo) lines.push('', ...(await demo.connect(running.apiUrl)));
  process.stdout.write(`${lines.join('\n')}\n`);

  await new Promise<void>((resolve) => {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        logger.warn({ signal }, 'second signal: exiting without waiting');
        process.exit(130);
      }
      signalled = true;
      logger.info({ signal }, 'shutting down: closing HTTP, draining the worker, stopping Temporal');
      running.stop().then(
        async () => {
          await demo?.stop();
          resolve();
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exitCode = 1;
          resolve();
        },
      );
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    running.workerDone.then(
      () => undefined,
      (error: unknown) => {
        logger.fatal({ err: error }, 'the worker stopped with an error');
        process.exitCode = 1;
        void running.stop().then(resolve);
      },
    );
  });
  logger.info('stopped');
  logger.flush();
}

/** The banner's codec line: open to the dev UI on loopback, else where to sign in and where the token is. */
function codecLine(signIn: { url: string; tokenFile?: string; open: boolean }): string {
  const token = signIn.tokenFile ? `operator token in ${signIn.tokenFile}` : undefined;
  if (signIn.open) {
    const endpoint = signIn.url.replace(/\/login$/, '');
    return `  Codec:    ${endpoint} (the UI decodes payloads, no sign-in on loopback${token ? `; temporal CLI ${token}` : ''})`;
  }
  return `  Codec:    ${signIn.url}${token ? ` (${token})` : ''}`;
}

export function registerRunCommands(program: Command): void {
  program
    .command('dev')
    .description('start a Temporal dev server (with UI), the worker and the HTTP server in one process')
    .option(
      '--demo',
      'also run a fake provider (provider "demo", connection "demo") to try provider calls and actions',
    )
    .action((options: { demo?: boolean }) =>
      runUntilSignal({ devServer: true, worker: true, api: true }, options),
    );
  program
    .command('worker')
    .description('run only the worker (needs a Temporal server: TEMPORAL_ADDRESS or a profile)')
    .action(() => runUntilSignal({ devServer: false, worker: true, api: false }));
  program
    .command('server')
    .description('run only the HTTP server (webhooks, management API)')
    .action(() => runUntilSignal({ devServer: false, worker: false, api: true }));
}
