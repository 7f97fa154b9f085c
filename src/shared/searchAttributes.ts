import { defineSearchAttributeKey } from '@temporalio/common';

/** The webhook source or provider an execution belongs to. */
export const JUNCTION_SOURCE = defineSearchAttributeKey('JunctionSource', 'KEYWORD');
/** The connection an execution acts for (connections, calls, syncs). */
export const JUNCTION_CONNECTION_ID = defineSearchAttributeKey('JunctionConnectionId', 'KEYWORD');
/** Where the execution stands: `delivering`, `delivered`, `dead_lettered`, `discarded`, … */
export const JUNCTION_STATE = defineSearchAttributeKey('JunctionState', 'KEYWORD');

/** When a sync stream last finished a run successfully. */
export const JUNCTION_LAST_SUCCESS_AT = defineSearchAttributeKey('JunctionLastSuccessAt', 'DATETIME');

/** Registered on the dev server at start and, in production, once with `junction temporal setup`. */
export const JUNCTION_SEARCH_ATTRIBUTES = [
  JUNCTION_SOURCE,
  JUNCTION_CONNECTION_ID,
  JUNCTION_STATE,
  JUNCTION_LAST_SUCCESS_AT,
] as const;
