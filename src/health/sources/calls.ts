import type { BreakerSnapshot } from '../../calls/breaker';
import type { ProviderDeclaration } from '../../providers/schema';
import { parseSeriesKey, type CounterRing, type WindowDelta } from '../counterRing';
import type { HealthFactSource, ProviderFacts, WindowCounts } from '../types';

export const PROVIDER_CALLS = 'junction_provider_calls_total';
export const TOKEN_REQUESTS = 'junction_token_requests_total';

/** Call outcomes that are not failures of the provider (see src/http/classify.ts). */
const OK_OUTCOMES = new Set(['ok']);
const THROTTLED_OUTCOMES = new Set(['throttled']);

function callCounts(delta: WindowDelta, providerId: string): WindowCounts {
  const counts: WindowCounts = {
    minutes: Math.round(delta.windowMs / 60_000),
    coveredMinutes: Math.round((delta.coveredMs / 60_000) * 10) / 10,
    total: 0,
    errors: 0,
    throttled: 0,
  };
  for (const [key, value] of delta.increase) {
    const { name, labels } = parseSeriesKey(key);
    if (name !== PROVIDER_CALLS || labels.provider !== providerId) continue;
    counts.total += value;
    const outcome = labels.outcome ?? '';
    if (THROTTLED_OUTCOMES.has(outcome)) counts.throttled += value;
    else if (!OK_OUTCOMES.has(outcome)) counts.errors += value;
  }
  return counts;
}

function tokenCounts(delta: WindowDelta, providerId: string): NonNullable<ProviderFacts['tokenRequests']> {
  const result = { total: 0, failed: 0, failures: {} as Record<string, number> };
  for (const [key, value] of delta.increase) {
    const { name, labels } = parseSeriesKey(key);
    if (name !== TOKEN_REQUESTS || labels.provider !== providerId) continue;
    result.total += value;
    if (labels.outcome !== 'ok') {
      result.failed += value;
      const code = labels.outcome ?? 'unknown';
      result.failures[code] = (result.failures[code] ?? 0) + value;
    }
  }
  return { last60m: result };
}

/**
 * Providers as this process sees them: the breaker of its provider workers, call attempts and token
 * requests over the last 5 and 60 minutes from the counter ring, and the declared rate limit. A process
 * without provider workers counts no calls (its breakers map is empty): see docs/health.md on combining
 * several processes.
 */
export function callFactSource(deps: {
  providers: () => readonly ProviderDeclaration[];
  ring: CounterRing;
  breakers?: () => Record<string, BreakerSnapshot>;
}): HealthFactSource {
  return {
    name: 'calls',
    async collect(now) {
      const current = await deps.ring.current();
      const last5m = await deps.ring.window(5 * 60_000, current);
      const last60m = await deps.ring.window(60 * 60_000, current);
      const breakers = deps.breakers?.() ?? {};
      const providers = deps.providers().map((provider): ProviderFacts => {
        const recent = callCounts(last5m, provider.id);
        const minutes = Math.max(last5m.coveredMs / 60_000, 1 / 60);
        const perSecond = provider.calls.rateLimit?.perSecond;
        const breaker = breakers[provider.id];
        return {
          providerId: provider.id,
          breaker: breaker
            ? {
                state: breaker.state,
                openSince:
                  breaker.state !== 'closed' && breaker.openedAt !== undefined
                    ? new Date(Math.min(breaker.openedAt, now)).toISOString()
                    : undefined,
              }
            : undefined,
          calls: {
            last5m: recent,
            last60m: callCounts(last60m, provider.id),
            perMinute: Math.round((recent.total / minutes) * 10) / 10,
          },
          rateLimitPerMinute: perSecond ? perSecond * 60 : undefined,
          tokenRequests: tokenCounts(last60m, provider.id),
        };
      });
      return { providers };
    },
  };
}
