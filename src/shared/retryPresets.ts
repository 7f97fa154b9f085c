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
