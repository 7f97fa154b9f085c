import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { JunctionClient, type JunctionClientOptions } from '../../src/client';
import { ActionsClient } from '../../src/client/actions';
import { ConnectionsClient } from '../../src/client/connections';
import { createCredentialCache } from '../../src/connections';
import { startProviderWorkers, type RunningProviderWorkers } from '../../src/workers/providerWorkers';
import { AesGcmPayloadCodec, createPayloadCodec, junctionDataConverter } from '../../src/codec';
import { parseConfig } from '../../src/config/load';
import type { JunctionConfig } from '../../src/config/schema';
import { createLogger, type Logger } from '../../src/logging/logger';
import { createMetrics, type JunctionMetrics } from '../../src/metrics/registry';
import { ProviderCatalogue } from '../../src/providers/catalogue';
import { buildServer } from '../../src/server/app';
import { installRuntime } from '../../src/temporal/runtime';
import { createJunctionWorker } from '../../src/workers/worker';
import { testTemporalAddress, testWorkflowBundle, uniqueName } from './temporal';
import { junctionActivities } from '../../src/app/activities';

export interface TestJunction {
  url: string;
  config: JunctionConfig;
  client: Client;
  junction: JunctionClient;
  connections: ConnectionsClient;
  codec: AesGcmPayloadCodec;
  metrics: JunctionMetrics;
  /** Every JSON log line written while it ran. */
  logs: string[];
  logger: Logger;
  worker: Worker | undefined;
  app: FastifyInstance;
  post(path: string, init: { headers?: Record<string, string>; body?: string | Buffer }): Promise<Response>;
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

/** A log destination that keeps the lines for assertions (and can echo them when debugging). */
export function captureLogs(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(line);
      if (process.env.JUNCTION_TEST_ECHO_LOGS) process.stderr.write(chunk);
      callback();
    },
  });
  return { stream, lines };
}

/**
 * Junction's worker and HTTP server, in this process, on the run's dev server, with a task queue of its
 * own: the same parts `junction dev` wires, built from a raw config object.
 */
export async function startTestJunction(
  rawConfig: Record<string, unknown> = {},
  options: {
    worker?: boolean;
    temporalAddress?: string;
    now?: () => number;
    env?: NodeJS.ProcessEnv;
    sequencer?: JunctionClientOptions['sequencer'];
    /** Provider ids to run provider-call workers for (their task queues are global: use unique ids). */
    providerWorkers?: string[];
  } = {},
): Promise<TestJunction> {
  const taskQueue = uniqueName('tq');
  const config = parseConfig(
    {
      ...rawConfig,
      server: { port: 0, ...(rawConfig.server as object | undefined) },
      temporal: { taskQueue, shutdownGraceMs: 2_000, ...(rawConfig.temporal as object | undefined) },
    },
    options.env ?? {},
  );
  // The run's codec keys (globalSetup puts them in JUNCTION_CODEC_KEYS) unless the test configures its own.
  const codec = createPayloadCodec(
    config.codec.keys.length > 0
      ? config
      : parseConfig({ dev: config.dev }, { JUNCTION_CODEC_KEYS: process.env.JUNCTION_CODEC_KEYS }),
  );
  const dataConverter = junctionDataConverter(codec);
  const { stream, lines } = captureLogs();
  const logger = createLogger({ level: 'debug', destination: stream });
  const address = options.temporalAddress ?? testTemporalAddress();
  const metrics = createMetrics({ defaultMetrics: false });

  const connection = Connection.lazy({ address });
  const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter });
  const junction = new JunctionClient({
    client,
    taskQueue: config.temporal.taskQueue,
    sequencer: options.sequencer,
  });
  const connections = new ConnectionsClient(client, config.temporal.taskQueue);
  const catalogue = new ProviderCatalogue(config.providers);

  let worker: Worker | undefined;
  let workerRun: Promise<void> | undefined;
  let providers: RunningProviderWorkers | undefined;
  let nativeConnection: NativeConnection | undefined;
  if (options.worker ?? true) {
    await installRuntime(logger, { metrics: false });
    nativeConnection = await NativeConnection.connect({ address });
    worker = await createJunctionWorker({
      connection: nativeConnection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      activities: await junctionActivities({
        config,
        logger,
        connection,
        namespace: config.temporal.namespace,
        client,
      }),
      dataConverter,
      workflowBundle: testWorkflowBundle(),
      shutdownGraceMs: config.temporal.shutdownGraceMs,
    });
    workerRun = worker.run();
    if (options.providerWorkers?.length) {
      providers = await startProviderWorkers({
        connection: nativeConnection,
        namespace: config.temporal.namespace,
        catalogue: config.providers.filter((provider) => options.providerWorkers?.includes(provider.id)),
        credentials: createCredentialCache({ client, taskQueue: config.temporal.taskQueue }),
        logger,
        registry: metrics.registry,
        shutdownGraceMs: 1_000,
        dataConverter,
      });
    }
  }

  const app = await buildServer({
    config,
    logger,
    metrics,
    junction,
    connections,
    actions: new ActionsClient(client, config.temporal.taskQueue, catalogue),
    codec,
    stateSecret: codec.deriveKey('junction oauth state'),
    now: options.now,
    readiness: [
      {
        name: 'temporal',
        check: async () => {
          await connection.withDeadline(Date.now() + 2_000, () => connection.healthService.check({}));
          return { ok: true };
        },
      },
    ],
  });
  await app.listen({ host: '127.0.0.1', port: config.server.port });
  const { port } = app.server.address() as { port: number };
  const url = `http://127.0.0.1:${port}`;

  const stopWorker = async () => {
    if (worker && worker.getState() === 'RUNNING') worker.shutdown();
    await workerRun?.catch(() => undefined);
    await providers?.shutdown();
    await nativeConnection?.close().catch(() => undefined);
    nativeConnection = undefined;
  };

  return {
    url,
    config,
    client,
    junction,
    connections,
    codec,
    metrics,
    logs: lines,
    logger,
    worker,
    app,
    post: (path, init) => fetch(`${url}${path}`, { method: 'POST', headers: init.headers, body: init.body }),
    stopWorker,
    async stop() {
      await app.close();
      await stopWorker();
      await connection.close();
    },
  };
}
