import { defineSignal } from '@temporalio/workflow';

/** The entity workflow that lets one event at a time through for a route and ordering key. */
export const WEBHOOK_SEQUENCER_WORKFLOW = 'webhookSequencer';

/** One sequencer per source, route and key: `ordered:<source>:<route>:<key>`. */
export function sequencerWorkflowId(sourceId: string, route: string, key: string): string {
  return `ordered:${sourceId}:${route}:${key}`;
}

export interface SequencerInput {
  sourceId: string;
  route: string;
  /** Delivery workflow ids still waiting, carried across continue-as-new. */
  queue?: string[];
  /** Tickets handled before continuing as new once history grows (tests set it low). */
  maxTicketsPerRun?: number;
  /** How long an idle sequencer waits for the next event before it completes. */
  idleTimeoutMs?: number;
  /** How often the sequencer checks that the delivery holding the turn still runs. */
  holderCheckMs?: number;
}

/** A delivery to put in its sequencer's line again (the enqueue activity's input). */
export interface EnqueueOrderedInput {
  sequencerId: string;
  sourceId: string;
  route: string;
  /** The delivery workflow's id. */
  workflowId: string;
}

/** Puts a delivery in line (sent by the server with signal-with-start, in arrival order). */
export const enqueueSignal = defineSignal<[workflowId: string]>('enqueue');
/** Tells a delivery that its targets ordered by this sequencer may go now. */
export const proceedSignal = defineSignal<[sequencerId: string]>('proceed');
/** Tells the sequencer that a delivery's ordered targets are done (delivered or discarded). */
export const releaseSignal = defineSignal<[workflowId: string]>('release');
