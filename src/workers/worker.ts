import {
  Worker,
  type NativeConnection,
  type WorkflowBundle,
  type WorkflowBundleOption,
} from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import type { JunctionActivities } from '../activities';
import type { Logger } from '../logging/logger';
import { bundleInThread } from './bundleThread';

export interface JunctionWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: JunctionActivities;
  /** A bundle made once (tests share one per run); built from `src/workflows` when omitted. */
  workflowBundle?: WorkflowBundleOption;
  /** How long in-flight activities may finish after shutdown starts (the SDK's default is 0: cut off). */
  shutdownGraceMs: number;
  /** Workflows kept in memory between tasks (`temporal.maxCachedWorkflows`); the SDK sizes it from the heap when omitted. */
  maxCachedWorkflows?: number;
  identity?: string;
  logger?: Logger;
  /** Junction's data converter (the payload codec); every worker Junction creates passes it. */
  dataConverter?: DataConverter;
}

/**
 * Bundles Junction's workflow code for the worker's sandbox (the slow part of worker start), in a thread that
 * ends afterwards so the bundler's memory leaves the process.
 */
export async function bundleJunctionWorkflows(logger?: Logger): Promise<WorkflowBundle> {
  return bundleInThread(require.resolve('../workflows'), logger);
}

/** The worker that runs Junction's workflows and activities on its task queue. */
export async function createJunctionWorker(options: JunctionWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: options.activities,
    workflowBundle: options.workflowBundle ?? (await bundleJunctionWorkflows(options.logger)),
    shutdownGraceTime: options.shutdownGraceMs,
    ...(options.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
    ...(options.identity ? { identity: options.identity } : {}),
    ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
  });
}
