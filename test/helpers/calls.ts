import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import type { CallCredentials } from '../../src/activities/callProvider';
import { CallBudgets } from '../../src/calls/budget';
import { ProviderBreakers } from '../../src/calls/breaker';
import { createCallMetrics, recordBreakerState, type CallMetrics } from '../../src/calls/metrics';
import { callSettingsSchema, type CallProvider } from '../../src/calls/settings';
import { createLogger } from '../../src/logging/logger';
import { LOOPBACK_CIDRS } from '../../src/network/destinations';
import { createOutbound, type Resolver } from '../../src/network/outbound';
import { createMetrics } from '../../src/metrics/registry';
import { installRuntime } from '../../src/temporal/runtime';
import { createProviderWorkers } from '../../src/workers/providerWorkers';
import type { ProviderCallOptions } from '../../src/workflows/providerCalls';
import type { ProviderRequest } from '../../src/shared/calls';
import type { callOnce, listEverything } from '../fixtures/appWorkflows';
import { captureLogs } from './junction';
import { testTemporalAddress, uniqueName } from './temporal';

let appBundle: Promise<WorkflowBundle> | undefined;

/** The application's workflows (test/fixtures/appWorkflows.ts), bundled once per test file. */
function applicationBundle(): Promise<WorkflowBundle> {
  appBundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../fixtures/appWorkflows') });
  return appBundle;
}

/** A provider declaration for tests: the fake provider's URL, the call settings given (schema defaults apply). */
export function fakeProviderDeclaration(
  apiBaseUrl: string,
  calls: Record<string, unknown> = {},
): CallProvider {
  return { id: uniqueName('fake'), apiBaseUrl, calls: callSettingsSchema.parse(calls) };
}

export interface CallHarness {
  client: Client;
  metrics: CallMetrics;
  breakers: ProviderBreakers;
  logs: string[];
  callOnce(options: ProviderCallOptions, request: ProviderRequest): ReturnType<typeof callOnce>;
  listEverything(options: ProviderCallOptions, request: ProviderRequest): ReturnType<typeof listEverything>;
  /** Starts another set of provider workers (a second worker process's worth) on the same queues. */
  addProviderWorkers(): Promise<void>;
  /** Declares more providers and starts their workers. */
  addProviders(providers: CallProvider[]): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Junction's provider workers for the given providers plus an application worker running the fixture
 * workflows on its own task queue, all on the run's dev server.
 */
export async function startCallHarness(
  providers: CallProvider[],
  options: {
    credentials?: CallCredentials;
    /** `network.allowPrivate` for the calls: loopback (where the fake providers listen) by default. */
    allowPrivate?: readonly string[];
    resolve?: Resolver;
  } = {},
): Promise<CallHarness> {
  const { stream, lines } = captureLogs();
  const logger = createLogger({ level: 'debug', destination: stream });
  await installRuntime(logger, { metrics: false });
  const address = testTemporalAddress();
  const registry = createMetrics({ defaultMetrics: false }).registry;
  const metrics = createCallMetrics(registry);
  const breakers = new ProviderBreakers(logger, {
    onTransition: (id, state) => recordBreakerState(metrics, id, state),
  });
  const nativeConnection = await NativeConnection.connect({ address });
  const workers: Worker[] = [];
  const runs: Promise<void>[] = [];
  const start = (worker: Worker) => {
    workers.push(worker);
    runs.push(worker.run());
  };
  const connections: NativeConnection[] = [nativeConnection];
  const known: CallProvider[] = [...providers];
  const budgets = new CallBudgets();
  const outbound = createOutbound({
    allowPrivate: options.allowPrivate ?? LOOPBACK_CIDRS,
    resolve: options.resolve,
  });
  const workersFor = async (list: CallProvider[], connection: NativeConnection) => {
    const created = await createProviderWorkers({
      connection,
      namespace: 'default',
      providers: list,
      shutdownGraceMs: 1_000,
      deps: {
        findProvider: (id) => known.find((provider) => provider.id === id),
        credentials: options.credentials,
        breakers,
        budgets,
        metrics,
        logger,
        outbound,
      },
    });
    created.forEach(start);
  };
  const addProviderWorkers = async () => {
    // A second set of workers on the same queues needs its own connection, as a second process would have.
    const connection = await NativeConnection.connect({ address });
    connections.push(connection);
    await workersFor(known, connection);
  };
  await workersFor(known, nativeConnection);

  const taskQueue = uniqueName('app');
  start(
    await Worker.create({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      workflowBundle: await applicationBundle(),
    }),
  );
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const run = <T>(workflow: string, args: unknown[]) =>
    client.workflow.execute<(...a: unknown[]) => Promise<T>>(workflow, {
      taskQueue,
      workflowId: uniqueName(workflow),
      args,
    });

  return {
    client,
    metrics,
    breakers,
    logs: lines,
    callOnce: (callOptions, request) => run('callOnce', [callOptions, request]),
    listEverything: (callOptions, request) => run('listEverything', [callOptions, request]),
    addProviderWorkers,
    async addProviders(list) {
      known.push(...list);
      await workersFor(list, nativeConnection);
    },
    async stop() {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await Promise.allSettled(runs);
      for (const open of connections) await open.close();
      await connection.close();
      await outbound.close();
    },
  };
}
