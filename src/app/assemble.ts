import { Client, type Connection } from '@temporalio/client';
import type { NativeConnection, Worker, WorkflowBundleOption } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { JunctionClient, type JunctionClientOptions } from '../client';
import type { AesGcmPayloadCodec } from '../codec';
import { junctionDataConverter } from '../codec';
import type { JunctionConfig } from '../config/schema';
import { createCredentialCache } from '../connections';
import { createHealthService } from '../health';
import type { Logger } from '../logging/logger';
import type { JunctionMetrics } from '../metrics/registry';
import { assertConfiguredDestinations } from '../network/configCheck';
import { createOutbound, type Outbound, type Resolver } from '../network/outbound';
import { buildServer, type CodecAccess } from '../server/app';
import type { ReadinessCheck } from '../server/routes/ops';
import { startProviderWorkers, type RunningProviderWorkers } from '../workers/providerWorkers';
import { createJunctionWorker } from '../workers/worker';
import type { RecordStore } from '../sync/store/recordStore';
import { createSyncPageActivities } from '../sync/pageActivities';
import type { ExtraProviderActivities } from '../workers/providerWorkers';
import { junctionActivities } from './activities';
import { openSharedPacing } from './rateLimiter';
import { assembleSyncs, syncStoreActivities, type AssembledSyncs, type RecordsOption } from './syncs';

/** The page activities of the syncs, on the provider task queues, over the provider caller. */
function syncPageActivities(syncs: AssembledSyncs, logger: Logger): ExtraProviderActivities | undefined {
  const { store } = syncs;
  if (!store) return undefined;
  return (caller) =>
    createSyncPageActivities({
      store,
      writes: syncs.writes,
      catalogue: syncs.catalogue,
      logger,
      metrics: syncs.metrics,
      caller,
    });
}

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
  /** Where synced records live (opened only when a provider declares a sync). */
  records?: RecordsOption;
  /** How often the health counters are sampled (default 15 s). */
  healthSampleIntervalMs?: number;
  /** Name resolution for the outbound network policy; the system resolver by default (tests inject one). */
  resolve?: Resolver;
}

export interface AssembledJunction {
  client: Client;
  junction: JunctionClient;
  app: FastifyInstance;
  worker?: Worker;
  providerWorkers?: RunningProviderWorkers;
  /** The record store, when a provider declares a sync. */
  records?: RecordStore;
  /** The outbound network policy every outbound connection goes through. */
  outbound: Outbound;
  /** Starts the workers polling; settles when one stops on its own (a fatal error), never while healthy. */
  run(): Promise<void>;
  /** Stops the workers (in-flight activities drain for `temporal.shutdownGraceMs`); the server is not closed. */
  stopWorkers(): Promise<void>;
  /** Closes what assembling opened besides the workers (the record store); after the server and workers. */
  close(): Promise<void>;
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
  outbound: Outbound,
  syncs: { assembled: AssembledSyncs; junction: JunctionClient },
): Promise<{ worker: Worker; providerWorkers: RunningProviderWorkers }> {
  const { config, logger } = options;
  const dataConverter = junctionDataConverter(options.codec);
  const native = workerOptions.connection;
  const worker = await createJunctionWorker({
    connection: native,
    namespace: options.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: {
      ...(await junctionActivities({
        config,
        logger,
        connection: options.connection,
        namespace: options.namespace,
        client,
        metrics: options.metrics,
        outbound,
      })),
      ...syncStoreActivities(syncs.assembled, config, syncs.junction, logger),
    },
    workflowBundle: workerOptions.workflowBundle,
    shutdownGraceMs: config.temporal.shutdownGraceMs,
    maxCachedWorkflows: config.temporal.maxCachedWorkflows,
    logger,
    dataConverter,
  });
  const wanted = workerOptions.providers;
  const catalogue = wanted ? config.providers.filter((p) => wanted.includes(p.id)) : config.providers;
  const env = options.records?.env ?? process.env;
  // Provider calls run on one activity worker per provider task queue (rate limits hold across workers).
  const providerWorkers = await startProviderWorkers({
    connection: native,
    namespace: options.namespace,
    catalogue,
    sharedPacing: await openSharedPacing(config, catalogue, env, logger),
    credentials: createCredentialCache({
      client,
      taskQueue: config.temporal.taskQueue,
      minValidityMs: config.connections.callerMarginSeconds * 1_000,
    }),
    logger,
    registry: options.metrics.registry,
    shutdownGraceMs: config.temporal.shutdownGraceMs,
    dataConverter,
    extraActivities: syncPageActivities(syncs.assembled, logger),
    outbound,
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
  // Outbound connections go through one policy; configuration naming a refused address fails here.
  const outbound = createOutbound({
    allowPrivate: config.network.allowPrivate ?? [],
    resolve: options.resolve,
  });
  assertConfiguredDestinations(config, outbound.policy);
  const dataConverter = junctionDataConverter(codec);
  const client = new Client({ connection: options.connection, namespace: options.namespace, dataConverter });
  const junction = new JunctionClient({
    client,
    taskQueue: config.temporal.taskQueue,
    config,
    sequencer: options.sequencer,
  });
  const readiness = [...(options.readiness ?? [])];
  const syncs = await assembleSyncs(config, metrics, options.records);

  const { worker, providerWorkers } = options.worker
    ? await assembleWorkers(options, options.worker, client, readiness, outbound, {
        assembled: syncs,
        junction,
      }).catch(async (error: unknown) => {
        await syncs.close();
        throw error;
      })
    : { worker: undefined, providerWorkers: undefined };

  const health = createHealthService({
    config,
    junction,
    metrics,
    breakers: providerWorkers ? () => providerWorkers.breakers.snapshot() : undefined,
    now: options.now,
    sampleIntervalMs: options.healthSampleIntervalMs,
    syncCatalogue: syncs.catalogue,
  });
  await health.start();
  const app = await buildServer({
    config,
    logger,
    metrics,
    readiness,
    junction: options.api ? junction : undefined,
    codec: options.api ? codec : undefined,
    cookieSecrets: codec.deriveKeys('junction codec session'),
    codecAccess: options.codecAccess,
    records: syncs.store,
    writes: syncs.writes,
    stateSecret: config.connections.stateSecret ?? codec.deriveKey('junction oauth state'),
    now: options.now,
    health,
    outbound,
  });

  let mainRun: Promise<void> | undefined;
  return {
    client,
    junction,
    app,
    worker,
    providerWorkers,
    records: syncs.store,
    close: () => syncs.close(),
    outbound,
    run: () => {
      if (!worker) return new Promise(() => undefined);
      mainRun ??= worker.run();
      return Promise.race([mainRun, providerWorkers?.done ?? new Promise<void>(() => undefined)]);
    },
    stopWorkers: async () => {
      if (worker && worker.getState() === 'RUNNING') worker.shutdown();
      // Every worker must be done before the connection they share is closed.
      await Promise.allSettled([mainRun, providerWorkers?.shutdown()]);
      await outbound.close();
    },
  };
}
