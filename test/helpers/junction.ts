import { Writable } from 'node:stream';
import { Connection, type Client } from '@temporalio/client';
import { NativeConnection, type Worker, type WorkflowBundleOption } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import { assembleJunction } from '../../src/app/assemble';
import type { RecordsOption } from '../../src/app/syncs';
import type { JunctionClient, JunctionClientOptions } from '../../src/client';
import type { ConnectionsClient } from '../../src/client/connectionsClient';
import { createPayloadCodec, type AesGcmPayloadCodec } from '../../src/codec';
import { parseConfig } from '../../src/config/load';
import type { JunctionConfig } from '../../src/config/schema';
import { createLogger, type Logger } from '../../src/logging/logger';
import { createMetrics, type JunctionMetrics } from '../../src/metrics/registry';
import { LOOPBACK_CIDRS } from '../../src/network/destinations';
import type { Outbound, Resolver } from '../../src/network/outbound';
import { installRuntime } from '../../src/temporal/runtime';
import { testTemporalAddress, testWorkflowBundle, uniqueName } from './temporal';

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
  /** The outbound network policy the worker and server connect through. */
  outbound: Outbound;
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
    /** The record store for syncs (the test owns and closes it). */
    records?: RecordsOption;
    /** Name resolution for the outbound network policy (names that resolve into refused ranges). */
    resolve?: Resolver;
    /** The workflow bundle the worker runs; the run's shared one by default. */
    workflowBundle?: WorkflowBundleOption;
  } = {},
): Promise<TestJunction> {
  const taskQueue = uniqueName('tq');
  const config = parseConfig(
    {
      ...rawConfig,
      server: { port: 0, ...(rawConfig.server as object | undefined) },
      temporal: { taskQueue, shutdownGraceMs: 2_000, ...(rawConfig.temporal as object | undefined) },
      // Every peer in the tests listens on loopback: the harness allowlists it unless a test says otherwise.
      network: { allowPrivate: LOOPBACK_CIDRS, ...(rawConfig.network as object | undefined) },
    },
    options.env ?? {},
  );
  // The run's codec keys (globalSetup puts them in JUNCTION_CODEC_KEYS) unless the test configures its own.
  const codec = createPayloadCodec(
    config.codec.keys.length > 0
      ? config
      : parseConfig({ dev: config.dev }, { JUNCTION_CODEC_KEYS: process.env.JUNCTION_CODEC_KEYS }),
  );
  const { stream, lines } = captureLogs();
  const logger = createLogger({ level: 'debug', destination: stream });
  const address = options.temporalAddress ?? testTemporalAddress();
  const metrics = createMetrics({ defaultMetrics: false });

  const connection = Connection.lazy({ address });
  let nativeConnection: NativeConnection | undefined;
  if (options.worker ?? true) {
    await installRuntime(logger, { metrics: false });
    nativeConnection = await NativeConnection.connect({ address });
  }
  const assembled = await assembleJunction({
    config,
    logger,
    metrics,
    codec,
    connection,
    namespace: config.temporal.namespace,
    worker: nativeConnection
      ? {
          connection: nativeConnection,
          workflowBundle: options.workflowBundle ?? testWorkflowBundle(),
          // Provider task queues are global: only the providers a test asks for.
          providers: options.providerWorkers ?? [],
        }
      : undefined,
    api: true,
    records: options.records,
    now: options.now,
    sequencer: options.sequencer,
    resolve: options.resolve,
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
  const { app, client, junction, worker, outbound } = assembled;
  const workerRun = nativeConnection ? assembled.run() : undefined;
  await app.listen({ host: '127.0.0.1', port: config.server.port });
  const { port } = app.server.address() as { port: number };
  const url = `http://127.0.0.1:${port}`;

  const stopWorker = async () => {
    await assembled.stopWorkers();
    await workerRun?.catch(() => undefined);
    await nativeConnection?.close().catch(() => undefined);
    nativeConnection = undefined;
  };

  return {
    url,
    config,
    client,
    junction,
    connections: junction.connections,
    codec,
    metrics,
    logs: lines,
    logger,
    worker,
    app,
    outbound,
    post: (path, init) => fetch(`${url}${path}`, { method: 'POST', headers: init.headers, body: init.body }),
    stopWorker,
    async stop() {
      await app.close();
      await stopWorker();
      await assembled.close();
      await connection.close();
    },
  };
}
