import { Worker as Thread } from 'node:worker_threads';
import type { WorkflowBundle } from '@temporalio/worker';
import type { Logger } from '../logging/logger';

/** What the bundling thread posts back: a warning or error from the bundler, then the code. */
type ThreadMessage =
  | { kind: 'log'; level: 'warn' | 'error'; message: string; meta?: Record<string, unknown> }
  | { kind: 'bundle'; code: string };

/**
 * The thread's source. It is evaluated rather than loaded from a file so that it runs the same from `dist`,
 * under jest and under tsx (a thread cannot load a `.ts` file); the SDK is required by the absolute path the
 * parent resolved, so the thread uses the same copy.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { bundleWorkflowCode } = require(workerData.sdkPath);
const plain = (meta) => {
  try { return meta === undefined ? undefined : JSON.parse(JSON.stringify(meta)); } catch { return undefined; }
};
const forward = (level) => (message, meta) => parentPort.postMessage({ kind: 'log', level, message, meta: plain(meta) });
const quiet = () => undefined;
const logger = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: forward('warn'), error: forward('error') };
bundleWorkflowCode({ workflowsPath: workerData.workflowsPath, logger }).then(({ code }) => {
  parentPort.postMessage({ kind: 'bundle', code });
});
`;

/**
 * Bundles the workflow code at `workflowsPath` in a thread of its own that ends once it has handed the code
 * back: webpack's heap (tens of MB the worker would otherwise keep for its lifetime) goes with the thread.
 * Only the bundler's warnings and errors are logged (its report is long and only interesting when it fails).
 */
export async function bundleInThread(workflowsPath: string, logger?: Logger): Promise<WorkflowBundle> {
  const bundlerLog = logger?.child({ component: 'bundler' });
  const thread = new Thread(THREAD_SOURCE, {
    eval: true,
    workerData: { workflowsPath, sdkPath: require.resolve('@temporalio/worker') },
  });
  let code: string | undefined;
  let failure: unknown;
  thread.on('message', (message: ThreadMessage) => {
    if (message.kind === 'bundle') {
      code = message.code;
      // Nothing else is needed from the thread; ending it here does not wait on handles webpack left open.
      void thread.terminate();
    } else {
      bundlerLog?.[message.level](message.meta ?? {}, message.message);
    }
  });
  thread.on('error', (error) => {
    failure = error;
  });
  // The thread is gone (and its memory with it) before the bundle is returned.
  await new Promise<void>((resolve) => thread.once('exit', () => resolve()));
  if (code !== undefined) return { code };
  throw new Error('bundling the workflow code failed', {
    cause: failure ?? new Error('the bundling thread exited without a bundle'),
  });
}
