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
import { WebhookSequencerModel } from './webhookSequencerModel';

const { isWorkflowOpen } = proxyActivities<JunctionActivities>(activityOptions.deliveryBookkeeping);

/**
 * The entity workflow for one route and ordering key: deliveries are put in line by signal-with-start in
 * arrival order, and it lets them through one at a time (`proceed`), each until it `release`s its turn
 * (delivered or discarded; a dead letter holds the line). It completes when idle and continues as new to
 * bound its history, carrying only the line. The line and its rules live in WebhookSequencerModel.
 */
export async function webhookSequencer(input: SequencerInput): Promise<void> {
  const line = new WebhookSequencerModel(input);
  const sequencerId = workflowInfo().workflowId;

  setHandler(enqueueSignal, (workflowId: string) => {
    line.enqueue(workflowId);
  });
  setHandler(releaseSignal, (workflowId: string) => line.release(workflowId));

  for (;;) {
    if (line.isEmpty) {
      await condition(() => !line.isEmpty, line.idleTimeoutMs);
      // Idle: complete. A later event starts a new run through signal-with-start.
      if (line.isEmpty) return;
    }
    const next = line.nextTurn();
    if (next === undefined) continue;
    try {
      await getExternalWorkflowHandle(next).signal(proceedSignal, sequencerId);
    } catch (error) {
      if (isCancellation(error)) throw error;
      // Closed already (a repeated enqueue of a finished delivery): nothing to wait for.
      log.info('delivery not running; skipping its turn', { workflowId: next });
      line.skipTurn();
      continue;
    }
    while (!line.released) {
      if (await condition(() => line.released, line.holderCheckMs)) break;
      if (!(await isWorkflowOpen(next))) break;
    }
    line.endTurn();
    if (line.shouldContinueAsNew(workflowInfo().continueAsNewSuggested)) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof webhookSequencer>(line.continuation());
    }
  }
}
