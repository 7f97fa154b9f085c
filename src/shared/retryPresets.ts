import type { RetryPolicy } from '@temporalio/common';

/** Retry settings as they appear in configuration (milliseconds, so YAML stays plain numbers). */
export interface RetrySettings {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  maximumAttempts: number;
}

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
