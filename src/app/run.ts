import { join, resolve } from 'node:path';
import type { Connection } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { createPayloadCodec } from '../codec';
import { urlHost } from '../config/address';
import { DEV_OPERATOR_TOKEN_FILE, devOperatorToken } from '../codec/devAccess';
import type { JunctionConfig } from '../config/schema';
import type { Logger } from '../logging/logger';
import { createMetrics, sdkMetricsSource } from '../metrics/registry';
import { LOOPBACK_CIDRS } from '../network/destinations';
import type { ReadinessCheck } from '../server/routes/ops';
import { connectWorker, lazyClientConnection, temporalTarget } from '../temporal/connection';
import { startDevServer, type DevServer } from '../temporal/devServer';
import { DEFAULT_RETENTION_DAYS, setupNamespace } from '../temporal/namespace';
import { provisionTemporalCli } from '../temporal/provision';
import { installRuntime } from '../temporal/runtime';
import { optimizeHeapForSize } from '../workers/heap';
import { DOCS_PATH } from '../server/openapi';
import type { CodecAccess } from '../server/app';
import { isLoopbackUrl } from '../providers/schema';
import { assembleJunction } from './assemble';
import { unsignedTargets, withSigningSecrets } from '../config/signingDefaults';
import { devSigningSecret } from '../deliveries/devSecret';
import { ConfigError } from '../shared/errors';

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
  /**
   * Where an operator signs in so the UI can decode payloads, and where the dev token is (with a dev server);
   * `open`: the dev UI decodes without signing in (everything on loopback).
   */
  codecSignIn?: { url: string; tokenFile?: string; open: boolean };
  metricsUrl: string;
  /** The browsable API reference, when the API is served. */
  docsUrl?: string;
  /** `junction dev` with no configured secret: the file holding the secret deliveries are signed with. */
  deliverySecretFile?: string;
  temporalAddress: string;
  namespace: string;
  /** Stops everything in order: HTTP first (no new work), then the worker (drains), then the dev server. */
  stop(): Promise<void>;
  /** Settles when the worker stops on its own (a fatal error); never while healthy. */
  workerDone: Promise<void>;
}

type Cleanups = Array<() => Promise<void>>;

/**
 * Where Temporal is: the server named by the environment (TEMPORAL_ADDRESS or a profile), or, for `junction
 * dev` without one, a dev server started here (provisioned, with its UI, stopped last).
 */
async function temporalServer(options: RunOptions, namespace: string, cleanups: Cleanups) {
  const { config, logger } = options;
  const target = temporalTarget(options.env ?? process.env);
  let address = target.connectionOptions.address ?? 'localhost:7233';
  let devServer: DevServer | undefined;
  if (options.devServer && !target.configured) {
    const cli = await provisionTemporalCli({
      env: options.env ?? process.env,
      onProgress: (line) => logger.info(line),
    });
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
      uiCodecEndpoint: `http://${urlHost(config.server.host)}:${config.server.port}/codec`,
      // The dev server is chatty at shutdown; only its errors deserve attention by default.
      onLog: (line) => (/level=(ERROR|FATAL)/.test(line) ? devLog.error(line) : devLog.debug(line)),
    });
    const server = devServer;
    cleanups.push(() => server.stop());
    address = devServer.address;
  } else if (options.devServer) {
    logger.info({ address }, 'TEMPORAL_ADDRESS is set: using that Temporal server, not starting one');
  }
  return { devServer, address, connectionOptions: { ...target.connectionOptions, address } };
}

/**
 * The codec access `junction dev` adds for its own UI: a token kept in the data directory (for the temporal
 * CLI, and for sign-in when not on loopback), the UI's origin for CORS, and, when both the UI and this server
 * listen on loopback only, no sign-in at all: the codec key is then in a file any local process can read, so
 * an operator token would protect nothing, and the UI shows decoded payloads on first open.
 */
function devCodecAccess(config: JunctionConfig, devServer: DevServer): CodecAccess {
  const uiOrigin = devServer.uiUrl;
  const serverOnLoopback = isLoopbackUrl(`http://${urlHost(config.server.host)}/`);
  return {
    operatorTokens: devOperatorToken(config),
    uiOrigin,
    openLocally: serverOnLoopback && uiOrigin !== undefined && isLoopbackUrl(uiOrigin),
  };
}

function devTokenFile(config: JunctionConfig): string {
  return join(resolve(config.dev.dataDir), DEV_OPERATOR_TOKEN_FILE);
}

/** Temporal answers health checks within two seconds: the readiness check every process serves. */
function temporalReadiness(connection: Connection, address: string, namespace: string): ReadinessCheck {
  return {
    name: 'temporal',
    check: async () => {
      await connection.withDeadline(Date.now() + 2_000, () => connection.healthService.check({}));
      return { ok: true, detail: { address, namespace } };
    },
  };
}

/**
 * The configuration with `network.allowPrivate` settled: as configured, or, unset, loopback for `junction
 * dev` (so the local examples keep working) and nothing for `server` and `worker`.
 */
export function withNetworkDefaults(config: JunctionConfig, dev: boolean, logger?: Logger): JunctionConfig {
  const allowPrivate = config.network.allowPrivate ?? (dev ? [...LOOPBACK_CIDRS] : []);
  logger?.info(
    { allowPrivate },
    'outbound connections to loopback, private, link-local and other special addresses are refused unless allowlisted',
  );
  return { ...config, network: { ...config.network, allowPrivate } };
}

/**
 * The worker's options: its connection and, with `JUNCTION_WORKFLOW_BUNDLE`, a workflow bundle made beforehand
 * from this same build (the test suites pass theirs), so the worker starts in seconds instead of bundling the
 * workflow code at every start.
 */
function workerOptions(connection: NativeConnection | undefined, env: NodeJS.ProcessEnv, logger: Logger) {
  if (!connection) return undefined;
  const codePath = env.JUNCTION_WORKFLOW_BUNDLE;
  logger.info(codePath ? `using the workflow bundle ${codePath}` : 'bundling workflow code');
  return { connection, workflowBundle: codePath ? { codePath } : undefined };
}

/**
 * Every request a worker sends to the application is signed. A target with no secret of its own and no
 * `delivery.signingSecrets` stops a worker (`junction worker`) at start with the targets named; `junction dev`
 * signs them with a secret it keeps in its data directory (printed in the banner as a file, never the value).
 * A process that serves only the API sends nothing to the application and is not held to it.
 */
export function withDeliverySigning(
  config: JunctionConfig,
  role: Pick<RunOptions, 'devServer' | 'worker'>,
  logger?: Logger,
): { config: JunctionConfig; devSecretFile?: string } {
  if (!role.worker) return { config };
  const unsigned = unsignedTargets(config);
  if (unsigned.length === 0) return { config };
  if (!role.devServer) {
    throw new ConfigError(
      `${unsigned.join(', ')}: every request to the application is signed, and no signing secret is configured ` +
        `for ${unsigned.length === 1 ? 'this target' : 'these targets'}: set delivery.signingSecrets (or ` +
        'JUNCTION_DELIVERY_SIGNING_SECRETS, or signingSecrets on the target) to a Standard Webhooks secret, ' +
        'made with: echo "whsec_$(openssl rand -base64 32)"',
    );
  }
  const { secret, file, created } = devSigningSecret(config.dev.dataDir);
  logger?.warn(
    { file, targets: unsigned },
    created
      ? 'no delivery.signingSecrets configured: generated a development signing secret for deliveries'
      : 'no delivery.signingSecrets configured: deliveries are signed with the development secret in the data directory',
  );
  const signed = withSigningSecrets({
    ...config,
    delivery: { ...config.delivery, signingSecrets: [secret] },
  });
  return { config: signed, devSecretFile: file };
}

/** Starts the parts of Junction asked for, wired together, and returns how to reach and stop them. */
export async function runJunction(options: RunOptions): Promise<RunningJunction> {
  const { logger } = options;
  const signing = withDeliverySigning(options.config, options, logger);
  const config = withNetworkDefaults(signing.config, options.devServer, logger);
  const namespace = temporalTarget(options.env ?? process.env).namespace ?? config.temporal.namespace;
  const metrics = createMetrics();
  const cleanups: Cleanups = [];
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
    const { devServer, address, connectionOptions } = await temporalServer(options, namespace, cleanups);
    const clientConnection: Connection = lazyClientConnection(connectionOptions);
    cleanups.push(() => clientConnection.close());
    if (devServer)
      await setupNamespace(clientConnection, namespace, { retentionDays: DEFAULT_RETENTION_DAYS });

    let nativeConnection: NativeConnection | undefined;
    if (options.worker) {
      // Before the worker creates its workflow thread, whose heap holds the cached workflows.
      if (config.temporal.optimizeForSize) optimizeHeapForSize();
      const runtime = await installRuntime(logger);
      if (runtime.metricsUrl) metrics.extraSources.push(sdkMetricsSource(runtime.metricsUrl));
      nativeConnection = await connectWorker(connectionOptions);
      const connection = nativeConnection;
      cleanups.push(() => connection.close());
    }
    const codecAccess = devServer ? devCodecAccess(config, devServer) : undefined;
    const assembled = await assembleJunction({
      config,
      logger,
      metrics,
      codec,
      connection: clientConnection,
      namespace,
      worker: workerOptions(nativeConnection, options.env ?? process.env, logger),
      api: options.api,
      // `junction dev` keeps synced records in an embedded PostgreSQL when no database is configured.
      records: options.devServer ? { embeddedDir: resolve(config.dev.dataDir), env: options.env } : undefined,
      readiness: [temporalReadiness(clientConnection, address, namespace)],
      codecAccess,
    });
    // Cleanups run in reverse: the store closes after the workers have drained.
    cleanups.push(() => assembled.close());
    const workerDone = assembled.run();
    cleanups.push(() => assembled.stopWorkers());
    const app: FastifyInstance = assembled.app;
    await app.listen({ host: config.server.host, port: config.server.port });
    cleanups.push(() => app.close());
    const bound = app.server.address();
    const port = typeof bound === 'object' && bound ? bound.port : config.server.port;
    const apiUrl = `http://${urlHost(config.server.host)}:${port}`;
    const tokenFile = codecAccess?.operatorTokens?.length ? devTokenFile(config) : undefined;

    let stopping: Promise<void> | undefined;
    return {
      apiUrl,
      uiUrl: devServer?.uiUrl,
      codecSignIn:
        codecAccess && options.api
          ? { url: `${apiUrl}/codec/login`, tokenFile, open: codecAccess.openLocally === true }
          : undefined,
      metricsUrl: `${apiUrl}/metrics`,
      docsUrl: options.api ? `${apiUrl}${DOCS_PATH}` : undefined,
      deliverySecretFile: signing.devSecretFile,
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
