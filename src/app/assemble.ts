import { Client, type Connection } from '@temporalio/client';
import type { NativeConnection, Worker, WorkflowBundleOption } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { JunctionClient, type JunctionClientOptions } from '../client';
import type { AesGcmPayloadCodec } from '../codec';
import { junctionDataConverter } from '../codec';
import type { JunctionConfig } from '../config/schema';
import { createCredentialCache } from '../connections';
import type { Logger } from '../logging/logger';
import type { JunctionMetrics } from '../metrics/registry';
import { buildServer, type CodecAccess } from '../server/app';
import type { ReadinessCheck } from '../server/routes/ops';
import { startProviderWorkers, type RunningProviderWorkers } from '../workers/providerWorkers';
import { createJunctionWorker } from '../workers/worker';
import { junctionActivities } from './activities';

export interface AssembleOptions {
  config: JunctionConfig;
  logger: Logger;
  metrics: JunctionMetrics;
  /** Junction's payload codec: every client and worker encrypts with it. */
  codec: AesGcmPayloadCodec;
  /** The client connection (lazy) to the Temporal server, and the namespace. */
  connection: Connection;
  namespace: string;
  /** Run the worker (workflows and activities) and the provider-call workers on this connection. */
  worker?: {
    connection: NativeConnection;
    /** A prebuilt bundle (tests share one per run); built from src/workflows when omitted. */
    workflowBundle?: WorkflowBundleOption;
    /** Provider ids to run provider-call workers for; all of the catalogue by default. */
    providers?: string[];
  };
  /** Serve the webhook, connection, action and codec API; without it, only probes and metrics. */
  api: boolean;
  readiness?: ReadinessCheck[];
  /** Operator tokens and UI origin for the codec endpoints beyond the configured ones (`junction dev`). */
  codecAccess?: CodecAccess;
  now?: () => number;
  sequencer?: JunctionClientOptions['sequencer'];
}

export interface AssembledJunction {
  client: Client;
  junction: JunctionClient;
  app: FastifyInstance;
  worker?: Worker;
  providerWorkers?: RunningProviderWorkers;
  /** Starts the workers polling; settles when one stops on its own (a fatal error), never while healthy. */
  run(): Promise<void>;
  /** Stops the workers (in-flight activities drain for `temporal.shutdownGraceMs`); the server is not closed. */
  stopWorkers(): Promise<void>;
}

/**
 * Junction's worker (its workflows and activities) and one provider-call worker per provider, with their
 * readiness checks.
 */
async function assembleWorkers(
  options: AssembleOptions,
  workerOptions: NonNullable<AssembleOptions['worker']>,
  client: Client,
  readiness: ReadinessCheck[],
): Promise<{ worker: Worker; providerWorkers: RunningProviderWorkers }> {
  const { config, logger } = options;
  const dataConverter = junctionDataConverter(options.codec);
  const native = workerOptions.connection;
  const worker = await createJunctionWorker({
    connection: native,
    namespace: options.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: await junctionActivities({
      config,
      logger,
      connection: options.connection,
      namespace: options.namespace,
      client,
    }),
    workflowBundle: workerOptions.workflowBundle,
    shutdownGraceMs: config.temporal.shutdownGraceMs,
    logger,
    dataConverter,
  });
  const wanted = workerOptions.providers;
  // Provider calls run on one activity worker per provider task queue (rate limits hold across workers).
  const providerWorkers = await startProviderWorkers({
    connection: native,
    namespace: options.namespace,
    catalogue: wanted ? config.providers.filter((p) => wanted.includes(p.id)) : config.providers,
    credentials: createCredentialCache({
      client,
      taskQueue: config.temporal.taskQueue,
      minValidityMs: config.connections.callerMarginSeconds * 1_000,
    }),
    logger,
    registry: options.metrics.registry,
    shutdownGraceMs: config.temporal.shutdownGraceMs,
    dataConverter,
  });
  readiness.push(providerWorkers.readiness, {
    name: 'worker',
    check: async () => ({ ok: worker.getState() === 'RUNNING', detail: { state: worker.getState() } }),
  });
  return { worker, providerWorkers };
}

/**
 * The one composition root: Junction's client, worker, provider-call workers and HTTP server, wired from
 * configuration. `junction dev | worker | server`, the tests and the benchmarks all assemble Junction here;
 * they differ only in what they pass (a dev server or a cluster, a prebuilt bundle, a captured logger).
 */
export async function assembleJunction(options: AssembleOptions): Promise<AssembledJunction> {
  const { config, logger, metrics, codec } = options;
  const dataConverter = junctionDataConverter(codec);
  const client = new Client({ connection: options.connection, namespace: options.namespace, dataConverter });
  const junction = new JunctionClient({
    client,
    taskQueue: config.temporal.taskQueue,
    config,
    sequencer: options.sequencer,
  });
  const readiness = [...(options.readiness ?? [])];

  const { worker, providerWorkers } = options.worker
    ? await assembleWorkers(options, options.worker, client, readiness)
    : { worker: undefined, providerWorkers: undefined };

  const app = await buildServer({
    config,
    logger,
    metrics,
    readiness,
    junction: options.api ? junction : undefined,
    codec: options.api ? codec : undefined,
    cookieSecrets: codec.deriveKeys('junction codec session'),
    codecAccess: options.codecAccess,
    stateSecret: config.connections.stateSecret ?? codec.deriveKey('junction oauth state'),
    now: options.now,
  });

  let mainRun: Promise<void> | undefined;
  return {
    client,
    junction,
    app,
    worker,
    providerWorkers,
    run: () => {
      if (!worker) return new Promise(() => undefined);
      mainRun ??= worker.run();
      return Promise.race([mainRun, providerWorkers?.done ?? new Promise<void>(() => undefined)]);
    },
    stopWorkers: async () => {
      if (worker && worker.getState() === 'RUNNING') worker.shutdown();
      // Every worker must be done before the connection they share is closed.
      await Promise.allSettled([mainRun, providerWorkers?.shutdown()]);
    },
  };
}
