import { Worker, type NativeConnection } from '@temporalio/worker';
import { createCallProviderActivity, type CallProviderDeps } from '../activities/callProvider';
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
}

/**
 * One activity-only worker per provider, on the provider's own task queue. The provider's rate limit
 * becomes `maxTaskQueueActivitiesPerSecond` (see {@link taskQueueRate}): the Temporal server enforces it
 * across every worker polling that queue, however many there are.
 */
export async function createProviderWorkers(options: ProviderWorkerOptions): Promise<Worker[]> {
  const callProvider = createCallProviderActivity(options.deps);
  return Promise.all(
    options.providers.map((provider) =>
      Worker.create({
        ...options.workerOptions,
        connection: options.connection,
        namespace: options.namespace,
        taskQueue: providerTaskQueue(provider.id),
        activities: { [CALL_PROVIDER_ACTIVITY]: callProvider },
        shutdownGraceTime: options.shutdownGraceMs,
        ...(taskQueueRate(provider.calls)
          ? { maxTaskQueueActivitiesPerSecond: taskQueueRate(provider.calls) }
          : {}),
      }),
    ),
  );
}
