import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { JunctionActivities } from '../activities';
import { activityOptions } from '../shared/activityOptions';
import { enqueueSignal, proceedSignal, releaseSignal, type SequencerInput } from '../shared/ordering';

const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;
const DEFAULT_HOLDER_CHECK_MS = 10 * 60_000;
/** Well below Temporal's history limits; `continueAsNewSuggested` may come earlier. */
const DEFAULT_MAX_TICKETS_PER_RUN = 500;

const { isWorkflowOpen } = proxyActivities<JunctionActivities>(activityOptions.deliveryBookkeeping);

/**
 * The entity workflow for one route and ordering key: deliveries are put in line by signal-with-start in
 * arrival order, and it lets them through one at a time (`proceed`), each until it `release`s its turn
 * (delivered or discarded; a dead letter holds the line). It completes when idle and continues as new to
 * bound its history, carrying only the line.
 */
export async function webhookSequencer(input: SequencerInput): Promise<void> {
  const queue: string[] = [...(input.queue ?? [])];
  let holder: string | undefined;
  let released = false;
  const sequencerId = workflowInfo().workflowId;

  setHandler(enqueueSignal, (workflowId: string) => {
    if (workflowId !== holder && !queue.includes(workflowId)) queue.push(workflowId);
  });
  setHandler(releaseSignal, (workflowId: string) => {
    if (workflowId === holder) released = true;
  });

  const idleMs = input.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const checkMs = input.holderCheckMs ?? DEFAULT_HOLDER_CHECK_MS;
  const maxTickets = input.maxTicketsPerRun ?? DEFAULT_MAX_TICKETS_PER_RUN;
  let handled = 0;

  for (;;) {
    if (queue.length === 0) {
      await condition(() => queue.length > 0, idleMs);
      // Idle: complete. A later event starts a new run through signal-with-start.
      if (queue.length === 0) return;
    }
    const next = queue.shift();
    if (next === undefined) continue;
    holder = next;
    released = false;
    try {
      await getExternalWorkflowHandle(next).signal(proceedSignal, sequencerId);
    } catch (error) {
      if (isCancellation(error)) throw error;
      // Closed already (a repeated enqueue of a finished delivery): nothing to wait for.
      log.info('delivery not running; skipping its turn', { workflowId: holder });
      holder = undefined;
      continue;
    }
    while (!released) {
      if (await condition(() => released, checkMs)) break;
      if (!(await isWorkflowOpen(next))) break;
    }
    holder = undefined;
    handled++;
    if (handled >= maxTickets || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof webhookSequencer>({ ...input, queue });
    }
  }
}
