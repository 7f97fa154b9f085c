import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { BreakerStateName } from './breaker';

export interface CallMetrics {
  calls: Counter<'provider' | 'outcome' | 'status'>;
  latency: Histogram<'provider' | 'outcome'>;
  retries: Counter<'provider'>;
  rateLimitWaits: Counter<'provider' | 'reason'>;
  unauthorizedRefreshes: Counter<'provider'>;
  breakerState: Gauge<'provider'>;
}

const BREAKER_VALUES: Record<BreakerStateName, number> = { closed: 0, half_open: 1, open: 2 };

/** Per-provider call metrics, registered on Junction's registry. */
export function createCallMetrics(registry: Registry): CallMetrics {
  return {
    calls: new Counter({
      name: 'junction_provider_calls_total',
      help: 'Provider call attempts by provider, outcome (ok, server_error, throttled, circuit_open, …) and status.',
      labelNames: ['provider', 'outcome', 'status'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'junction_provider_call_duration_seconds',
      help: 'Time of one provider call attempt.',
      labelNames: ['provider', 'outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    retries: new Counter({
      name: 'junction_provider_call_retries_total',
      help: 'Provider call attempts after the first.',
      labelNames: ['provider'],
      registers: [registry],
    }),
    rateLimitWaits: new Counter({
      name: 'junction_provider_rate_limit_waits_total',
      help: 'Calls paced (reason: provider_rate, connection_budget, provider_quota; late_turn: a shared-limiter turn given up).',
      labelNames: ['provider', 'reason'],
      registers: [registry],
    }),
    unauthorizedRefreshes: new Counter({
      name: 'junction_provider_unauthorized_refreshes_total',
      help: 'Forced credential refreshes after a provider answered 401.',
      labelNames: ['provider'],
      registers: [registry],
    }),
    breakerState: new Gauge({
      name: 'junction_provider_breaker_state',
      help: 'Circuit breaker state per provider: 0 closed, 1 half-open, 2 open.',
      labelNames: ['provider'],
      registers: [registry],
    }),
  };
}

export function recordBreakerState(metrics: CallMetrics, providerId: string, state: BreakerStateName): void {
  metrics.breakerState.set({ provider: providerId }, BREAKER_VALUES[state]);
}

/** Counts a finished provider-call attempt by outcome and status, and its latency; attempt > 1 is a retry. */
export function recordAttempt(
  metrics: CallMetrics | undefined,
  providerId: string,
  finished: { outcome: string; status?: number; elapsedSeconds: number; attempt: number },
): void {
  if (!metrics) return;
  const { outcome, status } = finished;
  metrics.calls.inc({ provider: providerId, outcome, status: status === undefined ? '' : String(status) });
  metrics.latency.observe({ provider: providerId, outcome }, finished.elapsedSeconds);
  if (finished.attempt > 1) metrics.retries.inc({ provider: providerId });
}

/** Counts an attempt the open breaker failed fast (no status: the provider was not called). */
export function recordCircuitOpen(metrics: CallMetrics | undefined, providerId: string): void {
  metrics?.calls.inc({ provider: providerId, outcome: 'circuit_open', status: '' });
}
