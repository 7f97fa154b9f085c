import type { DataConverter } from '@temporalio/common';
import { Worker, type NativeConnection } from '@temporalio/worker';
import type { Registry } from 'prom-client';
import type { CallCredentials } from '../activities/callProvider';
import { CallBudgets } from '../calls/budget';
import { ProviderBreakers } from '../calls/breaker';
import { createCallMetrics, recordBreakerState } from '../calls/metrics';
import type { Logger } from '../logging/logger';
import type { Outbound } from '../network/outbound';
import type { ProviderDeclaration } from '../providers/schema';
import { callProviderActivity, type CallProviderDeps } from '../activities/callProvider';
import { createProviderCaller, type ProviderCaller } from '../calls/caller';
import { warmUpHttpClient } from '../calls/warmUp';
import type { SharedPacing } from '../calls/limiter';
import { taskQueueRate, type CallProvider } from '../calls/settings';
import { CALL_PROVIDER_ACTIVITY, providerTaskQueue } from '../shared/calls';

export interface ProviderWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  providers: CallProvider[];
  deps: CallProviderDeps;
  shutdownGraceMs: number;
  /** Extra worker options every provider worker gets (e.g. the data converter). */
  workerOptions?: Partial<Parameters<typeof Worker.create>[0]>;
  /** More activities on the provider task queues, sharing the call path (sync pages). */
  extraActivities?: ExtraProviderActivities;
}

/** Activities that call providers through the shared caller (its pacing, breaker and credentials). */
export type ExtraProviderActivities = (caller: ProviderCaller) => object;

function queueRate(provider: CallProvider, sharedShare: number | undefined) {
  const rate = taskQueueRate(provider.calls, sharedShare);
  return rate ? { maxTaskQueueActivitiesPerSecond: rate } : {};
}

/**
 * How a provider worker polls its queue: the SDK's autoscaling pollers, one poll open while the provider is idle
 * and more (up to the SDK's 100) as its calls arrive. A fixed ten per provider (the SDK's default) kept 320 long
 * polls open for the 32 built-in providers, most of which see no calls; their buffers cost the worker about 55 to
 * 75 MB of RSS (docs/operating.md, "Worker memory"). Calls to one busy provider ran as fast as on fixed ten
 * pollers in `npm run bench -- calls`.
 */
export const PROVIDER_POLLER_BEHAVIOR = {
  type: 'autoscaling',
  minimum: 1,
  initial: 1,
  maximum: 100,
} as const;

/**
 * One activity-only worker per provider, on the provider's own task queue. The provider's rate limit
 * becomes `maxTaskQueueActivitiesPerSecond` (see {@link taskQueueRate}): the Temporal server enforces it
 * across every worker polling that queue, however many there are; with a shared limiter (`deps.sharedPacing`)
 * strict providers also take turns from it.
 */
export async function createProviderWorkers(options: ProviderWorkerOptions): Promise<Worker[]> {
  const caller = createProviderCaller(options.deps);
  const activities = {
    [CALL_PROVIDER_ACTIVITY]: callProviderActivity(caller),
    ...(options.extraActivities?.(caller) ?? {}),
  };
  return Promise.all(
    options.providers.map((provider) =>
      Worker.create({
        activityTaskPollerBehavior: PROVIDER_POLLER_BEHAVIOR,
        ...options.workerOptions,
        connection: options.connection,
        namespace: options.namespace,
        taskQueue: providerTaskQueue(provider.id),
        activities,
        shutdownGraceTime: options.shutdownGraceMs,
        ...queueRate(provider, options.deps.sharedPacing?.share),
      }),
    ),
  );
}

export interface RunningProviderWorkers {
  breakers: ProviderBreakers;
  /** Settles when any provider worker stops on its own. */
  done: Promise<void>;
  /** Breaker states for `/readyz` (always ok: a provider being down is not this process being unready). */
  readiness: { name: string; check: () => Promise<{ ok: boolean; detail?: unknown }> };
  shutdown(): Promise<void>;
}

/** Provider declarations as the call activity needs them. */
export function callProvidersOf(catalogue: readonly ProviderDeclaration[]): CallProvider[] {
  return catalogue.map((provider) => ({
    id: provider.id,
    apiBaseUrl: provider.apiBaseUrl,
    calls: provider.calls,
  }));
}

/**
 * Starts a provider worker for every provider in the catalogue, sharing one breaker registry, one set of
 * pacing budgets and the call metrics, and reports breaker transitions as metrics and log lines.
 */
export async function startProviderWorkers(options: {
  connection: NativeConnection;
  namespace: string;
  catalogue: readonly ProviderDeclaration[];
  credentials?: CallCredentials;
  logger: Logger;
  registry: Registry;
  shutdownGraceMs: number;
  dataConverter?: DataConverter;
  extraActivities?: ExtraProviderActivities;
  /** The outbound network policy every provider call connects through. */
  outbound: Outbound;
  /** The shared limiter for strict providers; these workers close it when they stop. */
  sharedPacing?: SharedPacing;
}): Promise<RunningProviderWorkers> {
  const metrics = createCallMetrics(options.registry);
  const breakers = new ProviderBreakers(options.logger, {
    onTransition: (providerId, state) => recordBreakerState(metrics, providerId, state),
  });
  const providers = callProvidersOf(options.catalogue);
  // With shared turns, the first call must not pay the HTTP client's start-up between its turn and arrival.
  if (options.sharedPacing) await warmUpHttpClient().catch(() => undefined);
  const workers = await createProviderWorkers({
    connection: options.connection,
    namespace: options.namespace,
    providers,
    shutdownGraceMs: options.shutdownGraceMs,
    workerOptions: options.dataConverter ? { dataConverter: options.dataConverter } : {},
    extraActivities: options.extraActivities,
    deps: {
      findProvider: (id) => providers.find((provider) => provider.id === id),
      credentials: options.credentials,
      breakers,
      // With a shared limiter, strict providers are spaced by it rather than within each process.
      budgets: new CallBudgets(Date.now, { providerSpacing: !options.sharedPacing }),
      sharedPacing: options.sharedPacing,
      metrics,
      logger: options.logger,
      outbound: options.outbound,
    },
  }).catch(async (error: unknown) => {
    await options.sharedPacing?.limiter.close().catch(() => undefined);
    throw error;
  });
  const runs = workers.map((worker) => worker.run());
  return {
    breakers,
    done: runs.length > 0 ? Promise.race(runs) : new Promise(() => undefined),
    readiness: { name: 'providers', check: async () => ({ ok: true, detail: breakers.snapshot() }) },
    async shutdown() {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await Promise.allSettled(runs);
      await options.sharedPacing?.limiter.close().catch(() => undefined);
    },
  };
}
