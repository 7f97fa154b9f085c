import type { ActivityOptions } from '@temporalio/common';
import { providerTaskQueue } from './calls';
import {
  PROVIDER_RETRY_PRESETS,
  toRetryPolicy,
  type ProviderRetryPreset,
  type RetrySettings,
} from './retryPresets';

/** Each token endpoint attempt may take this long before Temporal retries it (e.g. on another worker). */
export const TOKEN_ENDPOINT_TIMEOUT_MS = 15_000;
/**
 * A token request heartbeats while it waits for the provider: a worker that dies mid-request is noticed this
 * soon and the request retried elsewhere, well inside the refresh-token reuse grace that providers with
 * rotating refresh tokens declare (`refreshTokenReuseGraceSeconds`).
 */
export const TOKEN_ENDPOINT_HEARTBEAT_MS = 5_000;
/** Grace beyond an attempt's own HTTP timeout before Temporal declares the attempt lost (e.g. the worker died). */
export const ATTEMPT_TIMEOUT_MARGIN_MS = 5_000;
/**
 * Sync pages (and webhook records applied to a stream) heartbeat every second: a worker killed mid-page is
 * noticed this soon and the page retried elsewhere, from the checkpoint in the store.
 */
export const SYNC_PAGE_HEARTBEAT_MS = 10_000;
/** Bound on one provider call attempt, including Junction's pacing waits, unless the caller sets one. */
export const DEFAULT_PROVIDER_ATTEMPT_TIMEOUT_MS = 120_000;

/**
 * Token endpoint calls (refresh, client credentials, JWT bearer, code exchange, and installing the connection
 * a code exchange produced): quick first retries, then backing off; an `invalid_grant` or other 4xx is not
 * retried (the activity marks it non-retryable).
 */
const tokenEndpoint: ActivityOptions = {
  startToCloseTimeout: TOKEN_ENDPOINT_TIMEOUT_MS + ATTEMPT_TIMEOUT_MARGIN_MS,
  retry: { initialInterval: 500, backoffCoefficient: 2, maximumInterval: 30_000, maximumAttempts: 6 },
};

/**
 * Every activity option a Junction workflow uses, named by what it guards and declared once, each with an
 * explicit start-to-close timeout and retry policy; `forward` and `providerCall` depend on the call, so they
 * are functions. Workflows pass these to `proxyActivities` and never spell options inline. Activity options
 * are not part of what a replay compares: a change here reaches running workflows without a patch.
 */
export const activityOptions = {
  tokenEndpoint,
  /** Token requests from the connection workflow: as `tokenEndpoint`, and heartbeating while they wait. */
  tokenEndpointWithHeartbeat: { ...tokenEndpoint, heartbeatTimeout: TOKEN_ENDPOINT_HEARTBEAT_MS },
  /** Revocation at delete: best effort, a few attempts. */
  revocation: {
    startToCloseTimeout: TOKEN_ENDPOINT_TIMEOUT_MS + ATTEMPT_TIMEOUT_MARGIN_MS,
    retry: { initialInterval: 500, backoffCoefficient: 2, maximumInterval: 5_000, maximumAttempts: 3 },
  },
  /** Connection events to the application: like webhook deliveries, but they never block a refresh. */
  appEvent: {
    startToCloseTimeout: 60_000,
    retry: { initialInterval: 1_000, backoffCoefficient: 2, maximumInterval: 60_000, maximumAttempts: 10 },
  },
  /** Junction's own webhook bookkeeping: schema validation, putting a delivery in line, asking if one runs. */
  deliveryBookkeeping: {
    startToCloseTimeout: 10_000,
    retry: { initialInterval: 1_000, backoffCoefficient: 2, maximumInterval: 30_000, maximumAttempts: 10 },
  },
  /** One delivery to a target (forward or application workflow start), bounded by the target's own timeout. */
  forward: (targetTimeoutMs: number, retry: RetrySettings): ActivityOptions => ({
    startToCloseTimeout: targetTimeoutMs + ATTEMPT_TIMEOUT_MARGIN_MS,
    retry: toRetryPolicy(retry),
  }),
  /** A sync's store work (begin, sweep, finish, notify): the database may be briefly away; keep trying. */
  syncStore: {
    startToCloseTimeout: 60_000,
    retry: { initialInterval: 1_000, backoffCoefficient: 2, maximumInterval: 30_000, maximumAttempts: 30 },
  },
  /**
   * One page of a sync (or a webhook's records) on the provider's task queue: a provider call and a write.
   * Retried like a patient call (a 429 waits for its `Retry-After`), up to 20 attempts; it heartbeats.
   */
  syncPage: (providerId: string): ActivityOptions => ({
    taskQueue: providerTaskQueue(providerId),
    startToCloseTimeout: DEFAULT_PROVIDER_ATTEMPT_TIMEOUT_MS + ATTEMPT_TIMEOUT_MARGIN_MS,
    heartbeatTimeout: SYNC_PAGE_HEARTBEAT_MS,
    retry: toRetryPolicy({ ...PROVIDER_RETRY_PRESETS.patient, maximumAttempts: 20 }),
  }),
  /**
   * One application write on the provider's task queue: a few quick attempts, then the workflow waits and
   * tries again later (the write stays queued in the store, in order, while the provider is down). It
   * heartbeats while it works, so a killed worker's write is taken up by another within seconds.
   */
  syncWrite: (providerId: string): ActivityOptions => ({
    taskQueue: providerTaskQueue(providerId),
    startToCloseTimeout: DEFAULT_PROVIDER_ATTEMPT_TIMEOUT_MS * 2 + ATTEMPT_TIMEOUT_MARGIN_MS,
    heartbeatTimeout: 10_000,
    retry: { initialInterval: 1_000, backoffCoefficient: 2, maximumInterval: 8_000, maximumAttempts: 4 },
  }),
  /** A provider's whole "deleted since" listing in one activity: it heartbeats every page. */
  syncListing: (providerId: string): ActivityOptions => ({
    taskQueue: providerTaskQueue(providerId),
    startToCloseTimeout: 30 * 60_000,
    heartbeatTimeout: DEFAULT_PROVIDER_ATTEMPT_TIMEOUT_MS + ATTEMPT_TIMEOUT_MARGIN_MS,
    retry: toRetryPolicy({ ...PROVIDER_RETRY_PRESETS.patient, maximumAttempts: 20 }),
  }),
  /** A provider call on the provider's own task queue, retried as its preset (or explicit settings) say. */
  providerCall: (
    providerId: string,
    retry: ProviderRetryPreset | RetrySettings = 'standard',
    attemptTimeoutMs = DEFAULT_PROVIDER_ATTEMPT_TIMEOUT_MS,
  ): ActivityOptions => ({
    taskQueue: providerTaskQueue(providerId),
    startToCloseTimeout: attemptTimeoutMs,
    retry: toRetryPolicy(typeof retry === 'string' ? PROVIDER_RETRY_PRESETS[retry] : retry),
  }),
} as const satisfies Record<string, ActivityOptions | ((...args: never[]) => ActivityOptions)>;
