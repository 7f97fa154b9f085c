import type { RetryPolicy } from '@temporalio/common';

/** Retry settings as they appear in configuration (milliseconds, so YAML stays plain numbers). */
export interface RetrySettings {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  maximumAttempts: number;
}

/** Deliveries to the application: exponential backoff, capped, ten attempts before the dead letters. */
export const WEBHOOK_FORWARD_RETRY: RetrySettings = {
  initialIntervalMs: 1_000,
  backoffCoefficient: 2,
  maximumIntervalMs: 300_000,
  maximumAttempts: 10,
};

/** Temporal's retry policy for the given settings. */
export function toRetryPolicy(settings: RetrySettings): RetryPolicy {
  return {
    initialInterval: settings.initialIntervalMs,
    backoffCoefficient: settings.backoffCoefficient,
    maximumInterval: settings.maximumIntervalMs,
    maximumAttempts: settings.maximumAttempts,
  };
}

/**
 * Token endpoint calls (refresh, client credentials, JWT bearer, code exchange): quick first retries, then
 * backing off; an `invalid_grant` or other 4xx is not retried (the activity marks it non-retryable).
 */
export const TOKEN_ENDPOINT_RETRY: RetrySettings = {
  initialIntervalMs: 500,
  backoffCoefficient: 2,
  maximumIntervalMs: 30_000,
  maximumAttempts: 6,
};
/** Each token endpoint attempt may take this long before Temporal retries it (e.g. on another worker). */
export const TOKEN_ENDPOINT_TIMEOUT_MS = 15_000;
/**
 * A token request heartbeats while it waits for the provider: a worker that dies mid-request is noticed this
 * soon and the request retried elsewhere, well inside the refresh-token reuse grace that providers with
 * rotating refresh tokens declare (`refreshTokenReuseGraceSeconds`).
 */
export const TOKEN_ENDPOINT_HEARTBEAT_MS = 5_000;

/** Connection events to the application: like webhook deliveries, but they never block a refresh. */
export const CONNECTION_EVENT_RETRY: RetrySettings = {
  initialIntervalMs: 1_000,
  backoffCoefficient: 2,
  maximumIntervalMs: 60_000,
  maximumAttempts: 10,
};

/** Revocation at delete: best effort, a few attempts. */
export const REVOCATION_RETRY: RetrySettings = {
  initialIntervalMs: 500,
  backoffCoefficient: 2,
  maximumIntervalMs: 5_000,
  maximumAttempts: 3,
};

/**
 * Named retry presets for provider calls, chosen by name in a provider's declaration or by the caller.
 * `standard` suits most APIs; `patient` rides out long outages (the breaker keeps them cheap); `quick` is
 * for calls someone is waiting on; `once` never retries.
 */
export const PROVIDER_RETRY_PRESETS = {
  standard: {
    initialIntervalMs: 1_000,
    backoffCoefficient: 2,
    maximumIntervalMs: 60_000,
    maximumAttempts: 8,
  },
  patient: {
    initialIntervalMs: 1_000,
    backoffCoefficient: 2,
    maximumIntervalMs: 300_000,
    maximumAttempts: 60,
  },
  quick: { initialIntervalMs: 200, backoffCoefficient: 2, maximumIntervalMs: 5_000, maximumAttempts: 5 },
  once: { initialIntervalMs: 1_000, backoffCoefficient: 1, maximumIntervalMs: 1_000, maximumAttempts: 1 },
} as const satisfies Record<string, RetrySettings>;

export type ProviderRetryPreset = keyof typeof PROVIDER_RETRY_PRESETS;
