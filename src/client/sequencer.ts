import type { Client } from '@temporalio/client';
import {
  WEBHOOK_SEQUENCER_WORKFLOW,
  enqueueSignal,
  type EnqueueOrderedInput,
  type SequencerInput,
} from '../shared/ordering';
import { JUNCTION_SOURCE } from '../shared/searchAttributes';

/**
 * Signal-with-start: puts a delivery in its sequencer's line, starting the sequencer when it is idle. The
 * sequencer ignores a delivery it already holds, so asking again (a redelivery, a repair) is harmless.
 */
export async function enqueueInSequencer(
  client: Client,
  taskQueue: string,
  input: EnqueueOrderedInput,
  tuning: Pick<SequencerInput, 'maxTicketsPerRun' | 'idleTimeoutMs' | 'holderCheckMs'> = {},
): Promise<void> {
  await client.workflow.signalWithStart(WEBHOOK_SEQUENCER_WORKFLOW, {
    workflowId: input.sequencerId,
    taskQueue,
    args: [{ sourceId: input.sourceId, route: input.route, ...tuning } satisfies SequencerInput],
    signal: enqueueSignal,
    signalArgs: [input.workflowId],
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    typedSearchAttributes: [{ key: JUNCTION_SOURCE, value: input.sourceId }],
  });
}
