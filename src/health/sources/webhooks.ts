import type { Registry } from 'prom-client';
import type { SourceConfig } from '../../config/schema';
import { parseSeriesKey, type CounterRing, type WindowDelta } from '../counterRing';
import type { HealthFactSource, SourceFacts, SourceWindow } from '../types';

export const WEBHOOKS_RECEIVED = 'junction_webhooks_received_total';
export const WEBHOOK_LAST_RECEIVED = 'junction_webhook_last_received_timestamp_seconds';

/** Outcomes that mean the request's signature could not be trusted (src/shared/errors.ts, family webhook). */
export const SIGNATURE_OUTCOMES = new Set([
  'missing_signature',
  'invalid_signature',
  'timestamp_out_of_range',
  'malformed_headers',
]);
const ACCEPTED_OUTCOMES = new Set(['accepted', 'duplicate', 'challenge']);

function sourceWindow(delta: WindowDelta, sourceId: string): SourceWindow {
  const window: SourceWindow = {
    minutes: Math.round(delta.windowMs / 60_000),
    coveredMinutes: Math.round((delta.coveredMs / 60_000) * 10) / 10,
    accepted: 0,
    signatureFailures: 0,
    unavailable: 0,
    otherErrors: 0,
  };
  for (const [key, value] of delta.increase) {
    const { name, labels } = parseSeriesKey(key);
    if (name !== WEBHOOKS_RECEIVED || labels.source !== sourceId) continue;
    const outcome = labels.outcome ?? '';
    if (ACCEPTED_OUTCOMES.has(outcome)) window.accepted += value;
    else if (SIGNATURE_OUTCOMES.has(outcome)) window.signatureFailures += value;
    else if (outcome === 'temporal_unavailable' || outcome === 'temporal_overloaded')
      window.unavailable += value;
    else window.otherErrors += value;
  }
  return window;
}

async function lastReceived(registry: Registry): Promise<Map<string, number>> {
  const gauge = registry.getSingleMetric(WEBHOOK_LAST_RECEIVED);
  const out = new Map<string, number>();
  if (!gauge) return out;
  for (const value of (await gauge.get()).values) out.set(String(value.labels.source), value.value);
  return out;
}

/**
 * Webhook sources: every configured source, its dead letters waiting (a visibility count: the same in every
 * process), and from this process's counters the last webhook accepted and requests over the last 5 and 60
 * minutes (accepted, signature failures, 503s).
 */
export function webhookFactSource(deps: {
  sources: () => readonly SourceConfig[];
  ring: CounterRing;
  registry: Registry;
  countDeadLetters: (sourceId: string) => Promise<number>;
}): HealthFactSource {
  return {
    name: 'webhooks',
    async collect() {
      const current = await deps.ring.current();
      const last5m = await deps.ring.window(5 * 60_000, current);
      const last60m = await deps.ring.window(60 * 60_000, current);
      const received = await lastReceived(deps.registry);
      const sources = await Promise.all(
        deps.sources().map(async (source): Promise<SourceFacts> => {
          const seconds = received.get(source.id);
          return {
            sourceId: source.id,
            deadLetters: await deps.countDeadLetters(source.id),
            lastReceivedAt: seconds ? new Date(seconds * 1000).toISOString() : undefined,
            requests: { last5m: sourceWindow(last5m, source.id), last60m: sourceWindow(last60m, source.id) },
          };
        }),
      );
      return { sources };
    },
  };
}
