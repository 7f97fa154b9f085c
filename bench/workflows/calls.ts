// Driver workflows for bench/calls: many activities from one workflow, `concurrency` at a time.
import { condition, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';
import { providerCalls } from '../../src/workflows/providerCalls';
import type { ProviderRequest, ProviderResponse } from '../../src/shared/calls';
import type { RetrySettings } from '../../src/shared/retryPresets';

const quick: RetrySettings = {
  initialIntervalMs: 200,
  backoffCoefficient: 1,
  maximumIntervalMs: 200,
  maximumAttempts: 1_000,
};

async function inBatches(count: number, concurrency: number, run: (index: number) => Promise<unknown>) {
  let next = 0;
  const lane = async () => {
    while (next < count) await run(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

export async function fanOutCalls(providerId: string, count: number, concurrency: number): Promise<number> {
  const calls = providerCalls({ providerId, retry: quick });
  let ok = 0;
  await inBatches(count, concurrency, async (i) => {
    const response = await calls.call({ method: 'GET', path: `/items/${(i % 1_000) + 1}` });
    if (response.status === 200) ok++;
  });
  return ok;
}

export async function fanOutEmpty(taskQueue: string, count: number, concurrency: number): Promise<number> {
  const { emptyActivity } = proxyActivities<{
    emptyActivity(request: ProviderRequest): Promise<ProviderResponse>;
  }>({
    taskQueue,
    startToCloseTimeout: 60_000,
  });
  let ok = 0;
  await inBatches(count, concurrency, async (i) => {
    const response = await emptyActivity({ method: 'GET', path: `/items/${(i % 1_000) + 1}` });
    if (response.status === 200) ok++;
  });
  return ok;
}

export const takeTurn = defineUpdate<number, [number]>('takeTurn');

/**
 * The limiter-workflow alternative to the PostgreSQL limiter, for its cost only: each update reserves the
 * next turn `intervalMs` after the last one and answers the wait (on workflow time, the task's start).
 */
export async function turnLimiter(): Promise<void> {
  let nextAt = 0;
  setHandler(takeTurn, (intervalMs) => {
    const now = Date.now();
    const slot = Math.max(nextAt, now);
    nextAt = slot + intervalMs;
    return slot - now;
  });
  await condition(() => false);
}
