import { join, resolve } from 'node:path';
import type { Connection } from '@temporalio/client';
import { Client } from '@temporalio/client';
import type { NativeConnection, Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { JunctionClient } from '../client';
import { ActionsClient } from '../client/actions';
import { ConnectionsClient } from '../client/connections';
import { createPayloadCodec, junctionDataConverter } from '../codec';
import { DEV_OPERATOR_TOKEN_FILE, devOperatorToken } from '../codec/devAccess';
import type { JunctionConfig } from '../config/schema';
import type { Logger } from '../logging/logger';
import { createMetrics, sdkMetricsSource } from '../metrics/registry';
import type { ReadinessCheck } from '../server/routes/ops';
import { buildServer } from '../server/app';
import { connectWorker, lazyClientConnection, temporalTarget } from '../temporal/connection';
import { startDevServer, type DevServer } from '../temporal/devServer';
import { DEFAULT_RETENTION_DAYS, setupNamespace } from '../temporal/namespace';
import { ProviderCatalogue } from '../providers/catalogue';
import { provisionTemporalCli } from '../temporal/provision';
import { installRuntime } from '../temporal/runtime';
import { createCredentialCache } from '../connections';
import { startProviderWorkers } from '../workers/providerWorkers';
import { createJunctionWorker } from '../workers/worker';
import { junctionActivities } from './activities';

export interface RunOptions {
  config: JunctionConfig;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** Start an embedded Temporal dev server (unless TEMPORAL_ADDRESS or a profile names a server). */
  devServer: boolean;
  worker: boolean;
  /** Serve the webhook and management API; without it only /healthz, /readyz and /metrics are served. */
  api: boolean;
}

export interface RunningJunction {
  apiUrl: string;
  uiUrl: string | undefined;
  /** Where an operator signs in so the UI can decode payloads, and where the dev token is (with a dev server). */
  codecSignIn?: { url: string; tokenFile?: string };
  metricsUrl: string;
  temporalAddress: string;
  namespace: string;
  /** Stops everything in order: HTTP first (no new work), then the worker (drains), then the dev server. */
  stop(): Promise<void>;
  /** Settles when the worker stops on its own (a fatal error); never while healthy. */
  workerDone: Promise<void>;
}

/** Starts the parts of Junction asked for, wired together, and returns how to reach and stop them. */
export async function runJunction(options: RunOptions): Promise<RunningJunction> {
  const { config, logger } = options;
  const env = options.env ?? process.env;
  const target = temporalTarget(env);
  const namespace = target.namespace ?? config.temporal.namespace;
  const metrics = createMetrics();
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) {
      try {
        await step();
      } catch (error) {
        logger.warn({ err: error }, 'error during shutdown');
      }
    }
  };

  try {
    // Every client and worker encrypts payloads; `junction dev` makes a key of its own when none is configured.
    const codec = createPayloadCodec(config, {
      allowGenerate: options.devServer,
      onGenerated: (file) => logger.warn({ file }, 'no codec.keys configured: generated a development key'),
    });
    const dataConverter = junctionDataConverter(codec);
    const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
    let address = target.connectionOptions.address ?? 'localhost:7233';
    let devServer: DevServer | undefined;
    if (options.devServer && !target.configured) {
      const cli = await provisionTemporalCli({ env, onProgress: (line) => logger.info(line) });
      logger.info(
        { cli: cli.kind === 'binary' ? cli.path : 'sdk download' },
        'starting the Temporal dev server',
      );
      const devLog = logger.child({ component: 'temporal-dev-server' });
      devServer = await startDevServer({
        cli,
        ip: config.dev.ip,
        port: config.dev.port,
        uiPort: config.dev.uiPort,
        dataDir: config.dev.dataDir,
        namespace,
        uiCodecEndpoint: `http://${host}:${config.server.port}/codec`,
        // The dev server is chatty at shutdown; only its errors deserve attention by default.
        onLog: (line) => (/level=(ERROR|FATAL)/.test(line) ? devLog.error(line) : devLog.debug(line)),
      });
      const server = devServer;
      cleanups.push(() => server.stop());
      address = devServer.address;
    } else if (options.devServer) {
      logger.info({ address }, 'TEMPORAL_ADDRESS is set: using that Temporal server, not starting one');
    }
    const connectionOptions = { ...target.connectionOptions, address };

    const clientConnection: Connection = lazyClientConnection(connectionOptions);
    cleanups.push(() => clientConnection.close());
    const client = new Client({ connection: clientConnection, namespace, dataConverter });
    if (devServer) {
      await setupNamespace(clientConnection, namespace, { retentionDays: DEFAULT_RETENTION_DAYS });
    }

    const readiness: ReadinessCheck[] = [
      {
        name: 'temporal',
        check: async () => {
          await clientConnection.withDeadline(Date.now() + 2_000, () =>
            clientConnection.healthService.check({}),
          );
          return { ok: true, detail: { address, namespace } };
        },
      },
    ];

    let worker: Worker | undefined;
    let workerDone: Promise<void> = new Promise(() => undefined);
    if (options.worker) {
      const runtime = await installRuntime(logger);
      if (runtime.metricsUrl) metrics.extraSources.push(sdkMetricsSource(runtime.metricsUrl));
      const nativeConnection: NativeConnection = await connectWorker(connectionOptions);
      cleanups.push(() => nativeConnection.close());
      const activities = await junctionActivities({
        config,
        logger,
        connection: clientConnection,
        namespace,
        client,
      });
      logger.info('bundling workflow code');
      worker = await createJunctionWorker({
        connection: nativeConnection,
        namespace,
        taskQueue: config.temporal.taskQueue,
        activities,
        shutdownGraceMs: config.temporal.shutdownGraceMs,
        logger,
        dataConverter,
      });
      const running = worker;
      // Provider calls run on one activity worker per provider task queue (rate limits hold across workers).
      const providerWorkers = await startProviderWorkers({
        connection: nativeConnection,
        namespace,
        catalogue: config.providers,
        credentials: createCredentialCache({
          client,
          taskQueue: config.temporal.taskQueue,
          minValidityMs: config.connections.callerMarginSeconds * 1_000,
        }),
        logger,
        registry: metrics.registry,
        shutdownGraceMs: config.temporal.shutdownGraceMs,
        dataConverter,
      });
      readiness.push(providerWorkers.readiness);
      const mainRun = running.run();
      workerDone = Promise.race([mainRun, providerWorkers.done]);
      cleanups.push(async () => {
        if (running.getState() === 'RUNNING') running.shutdown();
        // Every worker must be done before the connection they share is closed.
        await Promise.allSettled([mainRun, providerWorkers.shutdown()]);
      });
      readiness.push({
        name: 'worker',
        check: async () => ({ ok: running.getState() === 'RUNNING', detail: { state: running.getState() } }),
      });
    }

    const junction = options.api
      ? new JunctionClient({ client, taskQueue: config.temporal.taskQueue })
      : undefined;
    const codecAccess = devServer
      ? { operatorTokens: devOperatorToken(config), uiOrigin: devServer.uiUrl }
      : undefined;
    const app: FastifyInstance = await buildServer({
      config,
      logger,
      metrics,
      readiness,
      junction,
      codec: options.api ? codec : undefined,
      codecAccess,
      connections: junction ? new ConnectionsClient(client, config.temporal.taskQueue) : undefined,
      actions: junction
        ? new ActionsClient(client, config.temporal.taskQueue, new ProviderCatalogue(config.providers))
        : undefined,
      stateSecret: config.connections.stateSecret ?? codec.deriveKey('junction oauth state'),
    });
    await app.listen({ host: config.server.host, port: config.server.port });
    cleanups.push(() => app.close());
    const bound = app.server.address();
    const port = typeof bound === 'object' && bound ? bound.port : config.server.port;
    const apiUrl = `http://${host}:${port}`;

    let stopping: Promise<void> | undefined;
    return {
      apiUrl,
      uiUrl: devServer?.uiUrl,
      codecSignIn:
        codecAccess && options.api
          ? {
              url: `${apiUrl}/codec/login`,
              tokenFile:
                codecAccess.operatorTokens.length > 0
                  ? join(resolve(config.dev.dataDir), DEV_OPERATOR_TOKEN_FILE)
                  : undefined,
            }
          : undefined,
      metricsUrl: `${apiUrl}/metrics`,
      temporalAddress: address,
      namespace,
      workerDone,
      stop: () => (stopping ??= cleanup()),
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
