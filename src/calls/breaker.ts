import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  SamplingBreaker,
  circuitBreaker,
  handleWhenResult,
  type CircuitBreakerPolicy,
  type IBreaker,
} from 'cockatiel';
import type { Logger } from '../logging/logger';
import type { BreakerSettings } from './settings';

/** Trips on either condition: N consecutive failures, or a failure ratio over a sliding window. */
class ConsecutiveOrRatioBreaker implements IBreaker {
  private readonly consecutive: ConsecutiveBreaker;
  private readonly sampling: SamplingBreaker;

  constructor(settings: BreakerSettings) {
    this.consecutive = new ConsecutiveBreaker(settings.consecutiveFailures);
    this.sampling = new SamplingBreaker({
      threshold: settings.failureRatio,
      duration: settings.windowMs,
      minimumRps: settings.minimumRps,
    });
  }

  get state(): unknown {
    return { consecutive: this.consecutive.state, sampling: this.sampling.state };
  }

  set state(value: unknown) {
    const { consecutive, sampling } = value as { consecutive: unknown; sampling: unknown };
    this.consecutive.state = consecutive as number;
    this.sampling.state = sampling;
  }

  success(state: CircuitState): void {
    this.consecutive.success();
    this.sampling.success(state);
  }

  failure(state: CircuitState): boolean {
    const byCount = this.consecutive.failure();
    const byRatio = this.sampling.failure(state);
    return byCount || byRatio;
  }
}

export type BreakerStateName = 'closed' | 'open' | 'half_open';

/** One provider's breaker: its state, and while not closed when it (last) opened, epoch ms. */
export interface BreakerSnapshot {
  state: BreakerStateName;
  retryInMs?: number;
  openedAt?: number;
}

/** Thrown instead of calling a provider whose breaker is open; retry after `retryInMs`. */
export class CircuitOpenError extends Error {
  constructor(
    readonly providerId: string,
    readonly retryInMs: number,
  ) {
    super(`provider "${providerId}" is failing; calls are paused for ${Math.ceil(retryInMs / 1000)} s`);
    this.name = 'CircuitOpenError';
  }
}

interface Entry {
  policy: CircuitBreakerPolicy;
  settings: BreakerSettings;
  openedAt: number | undefined;
}

export interface BreakerEvents {
  onTransition?: (providerId: string, state: BreakerStateName) => void;
}

const STATE_NAMES: Record<CircuitState, BreakerStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half_open',
  [CircuitState.Isolated]: 'open',
};

/**
 * One circuit breaker per provider, per worker process (cockatiel underneath). It only fails fast: it never
 * retries, Temporal does. While open, calls throw {@link CircuitOpenError} with the time until half-open;
 * then one probe goes through (concurrent callers wait for its outcome), and its success closes it.
 */
export class ProviderBreakers {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly logger: Logger,
    private readonly events: BreakerEvents = {},
    private readonly now: () => number = Date.now,
  ) {}

  private entry(providerId: string, settings: BreakerSettings): Entry {
    let entry = this.entries.get(providerId);
    if (entry) return entry;
    const policy = circuitBreaker(
      handleWhenResult((outcome) => (outcome as { countsAsFailure?: boolean }).countsAsFailure === true),
      { breaker: new ConsecutiveOrRatioBreaker(settings), halfOpenAfter: settings.halfOpenAfterMs },
    );
    const created: Entry = { policy, settings, openedAt: undefined };
    policy.onStateChange((state) => {
      if (state === CircuitState.Open) created.openedAt = this.now();
      const name = STATE_NAMES[state];
      const log = { providerId, state: name, halfOpenAfterMs: settings.halfOpenAfterMs };
      if (name === 'open') this.logger.warn(log, 'circuit breaker opened: failing fast');
      else this.logger.info(log, `circuit breaker ${name === 'closed' ? 'closed' : 'half-open: probing'}`);
      this.events.onTransition?.(providerId, name);
    });
    this.entries.set(providerId, created);
    entry = created;
    return entry;
  }

  /**
   * Runs `call` through the provider's breaker. `call` must not throw for provider failures: it returns
   * an outcome whose `countsAsFailure` says whether the provider misbehaved (5xx, timeout, network error).
   */
  async run<T extends { countsAsFailure: boolean }>(
    providerId: string,
    settings: BreakerSettings,
    call: () => Promise<T>,
  ): Promise<T> {
    const entry = this.entry(providerId, settings);
    try {
      return await entry.policy.execute(call);
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        const elapsed = this.now() - (entry.openedAt ?? this.now());
        throw new CircuitOpenError(providerId, Math.max(100, settings.halfOpenAfterMs - elapsed));
      }
      throw error;
    }
  }

  /** Every provider's breaker state, for `/readyz` details, health and metrics. */
  snapshot(): Record<string, BreakerSnapshot> {
    const out: Record<string, BreakerSnapshot> = {};
    for (const [providerId, entry] of this.entries) {
      const state = STATE_NAMES[entry.policy.state];
      out[providerId] =
        state === 'open'
          ? {
              state,
              retryInMs: Math.max(0, entry.settings.halfOpenAfterMs - (this.now() - (entry.openedAt ?? 0))),
              openedAt: entry.openedAt,
            }
          : state === 'half_open'
            ? { state, openedAt: entry.openedAt }
            : { state };
    }
    return out;
  }
}
