import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { RetrySettings } from './retryPresets';

/** The request body exactly as received: text when it is valid UTF-8, base64 otherwise. */
export interface RawBody {
  encoding: 'utf8' | 'base64';
  data: string;
}

/** A verified webhook event, as handed from the HTTP server to its delivery workflow. */
export interface WebhookEvent {
  sourceId: string;
  /** The provider's own delivery id (`webhook-id` for Standard Webhooks). */
  deliveryId: string;
  eventType: string;
  /** ISO-8601 time the server accepted the request. */
  receivedAt: string;
  contentType: string | undefined;
  body: RawBody;
}

/** One place an event goes. Only names travel: URLs and headers are read from configuration at delivery time. */
export interface DeliveryTarget {
  route: string;
  /** The target's name in its route; absent on deliveries recorded before routes had several targets. */
  target?: string;
  /** `sync`: the records go to a sync stream (see the route target's `sync`). */
  kind: 'forward' | 'workflow' | 'sync';
  /** The timeout configured when the event arrived; bounds the activity's start-to-close time. */
  timeoutMs: number;
  /** The sequencer workflow that orders this route's deliveries for the event's ordering key. */
  orderedBy?: string;
}

export interface WebhookDeliveryInput {
  event: WebhookEvent;
  targets: DeliveryTarget[];
  retry: RetrySettings;
  /** The source declares JSON schemas: validate the payload (as configured now) before delivering. */
  validate?: boolean;
  /** Set on a replay: the workflow id of the delivery this one re-runs. */
  replayOf?: string;
}

export type DeliveryState = 'delivering' | 'delivered' | 'dead_lettered' | 'discarded' | 'unrouted';
/** `waiting`: an ordered target waits for its turn behind earlier events with the same key. */
export type TargetStatus = 'waiting' | 'pending' | 'delivered' | 'failed' | 'discarded';

/** Why a delivery failed, as recorded on the workflow (never a secret: codes, statuses, short messages). */
export interface FailureRecord {
  code: string;
  message: string;
  status?: number;
}

export interface TargetProgress {
  target: DeliveryTarget;
  status: TargetStatus;
  /** Attempts made so far across every round (a `retry` after a dead letter starts a new round). */
  attempts: number;
  lastError?: FailureRecord;
  deliveredAt?: string;
  /** For a `workflow` target: the application workflow started for this event. */
  workflowId?: string;
}

/** One attempt at one target as the delivery log keeps it: what happened, never a secret. */
export interface DeliveryAttempt {
  route: string;
  /** The target's name in its route (absent: the route's `forward`). */
  target?: string;
  /** The attempt's number across every round (what `junction-attempt` said). */
  attempt: number;
  outcome: 'delivered' | 'failed';
  /** ISO-8601 time the attempt finished (reported by the activity, else when the workflow learned of it). */
  at: string;
  /** How long the request took; absent when the attempt reported nothing (it timed out, its worker died). */
  durationMs?: number;
  /** The target's HTTP status, when it answered. */
  status?: number;
  error?: FailureRecord;
}

/** The delivery log keeps this many of the latest attempts, across targets and rounds. */
export const DELIVERY_LOG_SIZE = 10;

export interface WebhookDeliveryStatus {
  state: DeliveryState;
  sourceId: string;
  deliveryId: string;
  eventType: string;
  targets: TargetProgress[];
  lastError?: FailureRecord;
  deadLetteredAt?: string;
  discardReason?: string;
  /** Why the payload failed its JSON schema, when it did (the event is dead-lettered with these). */
  validationErrors?: string[];
  /** The latest attempts, oldest first (at most DELIVERY_LOG_SIZE); absent on deliveries started before it. */
  log?: DeliveryAttempt[];
}

export type WebhookDeliveryResult = WebhookDeliveryStatus;

/** What the forward activity reports back: how many attempts the round used and what the target answered. */
export interface ForwardResult {
  status: number;
  attempt: number;
}

/** Details attached to a failed forward attempt (ApplicationFailure details[0]). */
export interface ForwardFailureDetails {
  status?: number;
  attempt: number;
}

export interface ForwardInput {
  sourceId: string;
  deliveryId: string;
  eventType: string;
  route: string;
  /** The target's name in its route (absent: the route's `forward`). */
  target?: string;
  receivedAt?: string;
  contentType: string | undefined;
  body: RawBody;
  /** Attempts made in earlier rounds, so the `junction-attempt` header keeps counting across retries. */
  priorAttempts: number;
  timeoutMs: number;
  /** Report each attempt to the delivery workflow (`attemptReportedSignal`), for its delivery log. */
  reportAttempts?: boolean;
}

/**
 * What the application's own workflow receives as its first argument: plain JSON, readable from any SDK.
 * `payload` is the parsed (or transformed) body; `body` is the raw body, present only when it did not parse.
 */
export interface AppWorkflowEvent {
  source: string;
  deliveryId: string;
  eventType: string;
  receivedAt: string;
  contentType: string | undefined;
  payload: unknown;
  body?: RawBody;
}

export interface StartAppWorkflowInput extends Omit<ForwardInput, 'target'> {
  target: string;
  /** The Junction delivery workflow that starts it; the application workflow's id derives from it. */
  deliveryWorkflowId: string;
}

export interface StartAppWorkflowResult {
  workflowId: string;
  /** False when an earlier attempt (or delivery) had already started it. */
  started: boolean;
  attempt: number;
}

export interface ValidateEventInput {
  sourceId: string;
  eventType: string;
  contentType: string | undefined;
  body: RawBody;
}

/**
 * Memo kept on a dead-lettered execution, so listing dead letters needs no running worker. (A type, not an
 * interface, so that it is a memo record for `upsertMemo`.)
 */
export type DeadLetterMemo = {
  eventType?: string;
  deliveryId?: string;
  deadLetteredAt?: string | null;
  lastError?: FailureRecord | null;
};

/** Delivers a dead-lettered event again (only the targets that failed). */
export const retrySignal = defineSignal('retry');
/** Gives up on a dead-lettered event; the workflow completes as `discarded`. */
export const discardSignal = defineSignal<[reason?: string]>('discard');
/** Sent by the forward activity after each attempt, so the delivery log sees retries Temporal makes. */
export const attemptReportedSignal = defineSignal<[DeliveryAttempt]>('attemptReported');
/** Marks executions that keep a delivery log (and whose activities report their attempts). */
export const DELIVERY_LOG_PATCH = 'delivery-attempt-log';
/** The delivery's current state, targets and last error. */
export const statusQuery = defineQuery<WebhookDeliveryStatus>('status');

export const WEBHOOK_DELIVERY_WORKFLOW = 'webhookDelivery';
