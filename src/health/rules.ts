import type {
  ConnectionFacts,
  EntityHealth,
  HealthStatus,
  ProviderFacts,
  SourceFacts,
  SyncFacts,
  WindowCounts,
} from './types';

/** Where the verdicts turn; see docs/health.md for what each means. */
export const THRESHOLDS = {
  /** A window needs this many calls before its error or 429 ratio says anything. */
  minCalls: 5,
  errorRatioDegraded: 0.1,
  errorRatioFailing: 0.5,
  throttledRatioDegraded: 0.1,
  /** Calls per minute at or above this share of the declared limit: degraded. */
  rateLimitShare: 0.9,
  /** Signature failures in 5 minutes, none accepted: the secret was rotated (or an attack). */
  signatureFailuresFailing: 10,
  /** A sync lagging this many intervals behind is degraded, then failing. */
  syncLagDegraded: 3,
  syncLagFailing: 10,
} as const;

/** Collects reasons and keeps the worst status they carry. */
class Verdict {
  status: HealthStatus = 'healthy';
  readonly reasons: string[] = [];

  add(status: Exclude<HealthStatus, 'healthy'>, reason: string): void {
    if (status === 'failing' || this.status === 'healthy') this.status = status;
    this.reasons.push(reason);
  }

  of<F>(id: string, facts: F): EntityHealth<F> {
    return { id, status: this.status, reasons: this.reasons, facts };
  }
}

const percent = (part: number, whole: number) => `${Math.round((part / whole) * 100)}%`;

function minutesFrom(iso: string, now: number): number {
  return Math.round((Date.parse(iso) - now) / 60_000);
}

/** The verdict on one connection: its state, token horizon and last refresh outcome. */
export function connectionHealth(facts: ConnectionFacts, now: number): EntityHealth<ConnectionFacts> {
  const verdict = new Verdict();
  const error = facts.lastError ? `${facts.lastError.code}: ${facts.lastError.message}` : undefined;
  const expired = facts.expiresAt !== undefined && Date.parse(facts.expiresAt) <= now;
  if (facts.state === 'needs_reauth') {
    const reason = facts.reauthReason ?? facts.lastError?.code ?? 'credentials rejected';
    verdict.add(
      'failing',
      `needs re-authorization (${reason}): the provider refused the grant (revoked, expired or rotated away); ` +
        `send the user a new connect link (POST /connect/sessions)`,
    );
  } else if (facts.state === 'pending') {
    verdict.add('degraded', 'waiting for its first credentials (the authorization was not completed)');
  } else if (facts.state === 'stuck') {
    verdict.add('failing', 'its workflow task keeps failing: see the worker log and the Temporal UI');
  } else if (facts.state === 'active') {
    if (expired) {
      const ago = -minutesFrom(facts.expiresAt as string, now);
      verdict.add(
        'failing',
        `the access token expired ${ago} min ago and was not renewed` +
          (error ? ` (last refresh failed: ${error})` : ' (is a worker running?)'),
      );
    } else if (error) {
      const left = facts.expiresAt ? `; the token is valid for ${minutesFrom(facts.expiresAt, now)} min` : '';
      verdict.add('degraded', `the last refresh failed (${error}); it is retried${left}`);
    }
  }
  return verdict.of(facts.connectionId, facts);
}

function callRates(verdict: Verdict, counts: WindowCounts | undefined, label: string): void {
  if (!counts || counts.total < THRESHOLDS.minCalls) return;
  const errorRatio = counts.errors / counts.total;
  if (errorRatio >= THRESHOLDS.errorRatioDegraded) {
    verdict.add(
      errorRatio >= THRESHOLDS.errorRatioFailing && counts.minutes <= 5 ? 'failing' : 'degraded',
      `${counts.errors} of ${counts.total} calls failed in the ${label} (${percent(counts.errors, counts.total)})`,
    );
  }
  if (counts.throttled / counts.total >= THRESHOLDS.throttledRatioDegraded) {
    verdict.add(
      'degraded',
      `${counts.throttled} of ${counts.total} calls were answered 429 in the ${label} ` +
        `(${percent(counts.throttled, counts.total)}): the provider's quota is being reached`,
    );
  }
}

/** The verdict on one provider: breaker, error and 429 rates, rate against the limit, token requests. */
export function providerHealth(facts: ProviderFacts): EntityHealth<ProviderFacts> {
  const verdict = new Verdict();
  if (facts.breaker?.state === 'open') {
    verdict.add(
      'failing',
      `circuit breaker open${facts.breaker.openSince ? ` since ${facts.breaker.openSince}` : ''}: ` +
        'calls fail fast while the provider keeps failing',
    );
  } else if (facts.breaker?.state === 'half_open') {
    verdict.add('degraded', 'circuit breaker half-open: a probe call is testing the provider');
  }
  callRates(verdict, facts.calls?.last5m, 'last 5 minutes');
  if (facts.calls && verdict.status === 'healthy') callRates(verdict, facts.calls.last60m, 'last 60 minutes');
  const limit = facts.rateLimitPerMinute;
  if (limit && facts.calls && facts.calls.perMinute >= limit * THRESHOLDS.rateLimitShare) {
    verdict.add(
      'degraded',
      `${facts.calls.perMinute} calls per minute against a limit of ${limit}: calls are being paced`,
    );
  }
  const tokens = facts.tokenRequests?.last60m;
  if (tokens && tokens.failed > 0) {
    const codes = Object.entries(tokens.failures)
      .map(([code, count]) => `${code} ×${count}`)
      .join(', ');
    verdict.add(
      tokens.failed === tokens.total && tokens.failed >= 3 ? 'failing' : 'degraded',
      `${tokens.failed} of ${tokens.total} token requests failed in the last 60 minutes (${codes})`,
    );
  }
  const reauth = facts.connections?.byState.needs_reauth ?? 0;
  if (reauth > 0) verdict.add('degraded', `${reauth} connection(s) need re-authorization`);
  return verdict.of(facts.providerId, facts);
}

/** The verdict on one webhook source: 503s, signature failures, dead letters. */
export function sourceHealth(facts: SourceFacts): EntityHealth<SourceFacts> {
  const verdict = new Verdict();
  const recent = facts.requests?.last5m;
  if (recent && recent.unavailable > 0) {
    verdict.add(
      'failing',
      `${recent.unavailable} request(s) answered 503 in the last 5 minutes: Temporal was unreachable ` +
        '(senders redeliver)',
    );
  }
  if (recent && recent.signatureFailures > 0) {
    const all = recent.accepted === 0 && recent.signatureFailures >= THRESHOLDS.signatureFailuresFailing;
    verdict.add(
      all ? 'failing' : 'degraded',
      `${recent.signatureFailures} signature failure(s) in the last 5 minutes` +
        (all ? ' and nothing accepted' : '') +
        ': a rotated secret, a proxy that re-serialised the body, clock skew, or forged requests',
    );
  }
  if (facts.deadLetters) {
    verdict.add(
      'degraded',
      `${facts.deadLetters} dead letter(s) waiting: junction dlq list --source ${facts.sourceId}`,
    );
  }
  return verdict.of(facts.sourceId, facts);
}

/** The verdict on one sync stream (facts come from a sync module's fact source). */
export function syncHealth(facts: SyncFacts): EntityHealth<SyncFacts> {
  const verdict = new Verdict();
  if (facts.lastError) {
    verdict.add('degraded', `the last run failed (${facts.lastError.code}: ${facts.lastError.message})`);
  }
  if (!facts.paused && facts.lagSeconds !== undefined && facts.intervalSeconds) {
    const behind = facts.lagSeconds / facts.intervalSeconds;
    if (behind >= THRESHOLDS.syncLagDegraded) {
      verdict.add(
        behind >= THRESHOLDS.syncLagFailing ? 'failing' : 'degraded',
        `${Math.round(facts.lagSeconds / 60)} min behind (runs every ${Math.round(facts.intervalSeconds / 60)} min)`,
      );
    }
  }
  if (facts.conflictsWaiting)
    verdict.add('degraded', `${facts.conflictsWaiting} conflict(s) waiting for a person`);
  if (facts.parkedDeletes) {
    verdict.add(
      'degraded',
      `${facts.parkedDeletes} deletes wait for approval (junction syncs approve-deletes|reject-deletes)`,
    );
  }
  return verdict.of(`${facts.connectionId}/${facts.syncName}`, facts);
}
