import { Counter, Registry } from 'prom-client';
import { CounterRing, parseSeriesKey, registryCounters, seriesKey } from '../../src/health/counterRing';
import { combineReports } from '../../src/health/combine';
import { connectionHealth, providerHealth, sourceHealth, syncHealth } from '../../src/health/rules';
import { HealthService } from '../../src/health/service';
import type { HealthReport, ProviderFacts, SourceWindow, WindowCounts } from '../../src/health/types';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const iso = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();
const window = (minutes: number, counts: Partial<WindowCounts>): WindowCounts => ({
  minutes,
  coveredMinutes: minutes,
  total: 0,
  errors: 0,
  throttled: 0,
  ...counts,
});
const sourceWindow = (counts: Partial<SourceWindow>): SourceWindow => ({
  minutes: 5,
  coveredMinutes: 5,
  accepted: 0,
  signatureFailures: 0,
  unavailable: 0,
  otherErrors: 0,
  ...counts,
});

describe('connections', () => {
  const base = { connectionId: 'c1', providerId: 'github', detail: 'query' as const };

  test('active with a token in the future and no failure: healthy', () => {
    expect(connectionHealth({ ...base, state: 'active', expiresAt: iso(3_600_000) }, NOW)).toMatchObject({
      status: 'healthy',
      reasons: [],
    });
  });

  test('needs_reauth: failing, naming the reason and the fix', () => {
    const health = connectionHealth({ ...base, state: 'needs_reauth', reauthReason: 'invalid_grant' }, NOW);
    expect(health.status).toBe('failing');
    expect(health.reasons[0]).toMatch(/^needs re-authorization \(invalid_grant\).*connect link/);
  });

  test('a failed refresh while the token is still valid: degraded, with the horizon', () => {
    const health = connectionHealth(
      {
        ...base,
        state: 'active',
        expiresAt: iso(10 * 60_000),
        lastError: { code: 'token_endpoint_unavailable', message: 'HTTP 503' },
      },
      NOW,
    );
    expect(health.status).toBe('degraded');
    expect(health.reasons[0]).toBe(
      'the last refresh failed (token_endpoint_unavailable: HTTP 503); it is retried; the token is valid for 10 min',
    );
  });

  test('an expired token that was not renewed: failing', () => {
    const health = connectionHealth({ ...base, state: 'active', expiresAt: iso(-5 * 60_000) }, NOW);
    expect(health.status).toBe('failing');
    expect(health.reasons[0]).toMatch(/expired 5 min ago.*is a worker running/);
  });

  test('pending: degraded', () => {
    expect(connectionHealth({ ...base, state: 'pending' }, NOW).status).toBe('degraded');
  });
});

describe('providers', () => {
  const calls = (last5m: Partial<WindowCounts>, perMinute = 1, last60m: Partial<WindowCounts> = {}) => ({
    last5m: window(5, last5m),
    last60m: window(60, last60m),
    perMinute,
  });
  const provider = (facts: Partial<ProviderFacts>) => providerHealth({ providerId: 'p', ...facts });

  test('quiet and closed: healthy', () => {
    expect(provider({ breaker: { state: 'closed' }, calls: calls({ total: 100 }) }).status).toBe('healthy');
  });

  test('breaker open: failing; half-open: degraded', () => {
    expect(provider({ breaker: { state: 'open', openSince: iso(-60_000) } })).toMatchObject({
      status: 'failing',
      reasons: [expect.stringMatching(/^circuit breaker open since .*fail fast/)],
    });
    expect(provider({ breaker: { state: 'half_open' } }).status).toBe('degraded');
  });

  test('error ratio: 10% degraded, 50% failing, too few calls say nothing', () => {
    expect(provider({ calls: calls({ total: 10, errors: 1 }) }).status).toBe('degraded');
    expect(provider({ calls: calls({ total: 10, errors: 5 }) })).toMatchObject({
      status: 'failing',
      reasons: ['5 of 10 calls failed in the last 5 minutes (50%)'],
    });
    expect(provider({ calls: calls({ total: 4, errors: 4 }) }).status).toBe('healthy');
  });

  test('a bad last hour but a calm last 5 minutes: degraded, never failing', () => {
    const health = provider({ calls: calls({ total: 50 }, 1, { total: 100, errors: 60 }) });
    expect(health).toMatchObject({ status: 'degraded', reasons: [expect.stringMatching(/last 60 minutes/)] });
  });

  test('429s and calls near the declared limit: degraded', () => {
    expect(provider({ calls: calls({ total: 20, throttled: 5 }) }).reasons[0]).toMatch(/answered 429/);
    const near = provider({ calls: calls({ total: 5 }, 58), rateLimitPerMinute: 60 });
    expect(near).toMatchObject({
      status: 'degraded',
      reasons: ['58 calls per minute against a limit of 60: calls are being paced'],
    });
    expect(provider({ calls: calls({ total: 5 }, 30), rateLimitPerMinute: 60 }).status).toBe('healthy');
  });

  test('token requests: some failing degraded, all failing failing', () => {
    const tokens = (total: number, failed: number) => ({
      last60m: {
        total,
        failed,
        failures: failed ? { invalid_grant: failed } : ({} as Record<string, number>),
      },
    });
    expect(provider({ tokenRequests: tokens(10, 1) }).status).toBe('degraded');
    expect(provider({ tokenRequests: tokens(3, 3) })).toMatchObject({
      status: 'failing',
      reasons: ['3 of 3 token requests failed in the last 60 minutes (invalid_grant ×3)'],
    });
    expect(provider({ tokenRequests: tokens(10, 0) }).status).toBe('healthy');
  });
});

describe('webhook sources', () => {
  test('signature failures: degraded; many and nothing accepted: failing', () => {
    const few = sourceHealth({
      sourceId: 's',
      requests: { last5m: sourceWindow({ accepted: 9, signatureFailures: 2 }), last60m: sourceWindow({}) },
    });
    expect(few.status).toBe('degraded');
    const all = sourceHealth({
      sourceId: 's',
      requests: { last5m: sourceWindow({ signatureFailures: 12 }), last60m: sourceWindow({}) },
    });
    expect(all).toMatchObject({
      status: 'failing',
      reasons: [expect.stringMatching(/^12 signature failure\(s\).*nothing accepted.*rotated secret/)],
    });
  });

  test('503s: failing; dead letters: degraded with the command', () => {
    expect(
      sourceHealth({
        sourceId: 's',
        requests: { last5m: sourceWindow({ unavailable: 1 }), last60m: sourceWindow({}) },
      }).status,
    ).toBe('failing');
    expect(sourceHealth({ sourceId: 'billing', deadLetters: 3 })).toMatchObject({
      status: 'degraded',
      reasons: ['3 dead letter(s) waiting: junction dlq list --source billing'],
    });
    expect(sourceHealth({ sourceId: 's', deadLetters: 0 }).status).toBe('healthy');
  });
});

describe('syncs (the seam a sync module fills)', () => {
  test('lag in intervals: 3 degraded, 10 failing; paused says nothing about lag', () => {
    const sync = { connectionId: 'c', syncName: 'contacts', intervalSeconds: 600 };
    expect(syncHealth({ ...sync, lagSeconds: 600 }).status).toBe('healthy');
    expect(syncHealth({ ...sync, lagSeconds: 1800 }).status).toBe('degraded');
    expect(syncHealth({ ...sync, lagSeconds: 6000 })).toMatchObject({ status: 'failing', id: 'c/contacts' });
    expect(syncHealth({ ...sync, lagSeconds: 6000, paused: true }).status).toBe('healthy');
  });

  test('a fact source added later shows up in the report, merged and judged', async () => {
    const ring = new CounterRing(async () => new Map(), {
      intervalMs: 1_000,
      horizonMs: 60_000,
      now: () => NOW,
    });
    const service = new HealthService({ ring, now: () => NOW, instance: 'test', sourceTimeoutMs: 200 });
    service.addSource({
      name: 'syncs',
      collect: async () => ({
        syncs: [{ connectionId: 'c', syncName: 'issues', lagSeconds: 9_000, intervalSeconds: 300 }],
      }),
    });
    service.addSource({ name: 'broken', collect: async () => Promise.reject(new Error('visibility down')) });
    service.addSource({ name: 'hung', collect: () => new Promise(() => undefined) });
    const report = await service.report();
    expect(report.syncs).toMatchObject([{ id: 'c/issues', status: 'failing' }]);
    expect(report.summary.syncs).toEqual({ healthy: 0, degraded: 0, failing: 1 });
    expect(report.scope.unavailable).toEqual([
      { source: 'broken', message: 'visibility down' },
      { source: 'hung', message: 'the hung facts did not answer within 200 ms' },
    ]);
    expect(report.status).toBe('failing');
  });
});

describe('the counter ring', () => {
  test('increases over 5 and 60 minutes from samples; a young process counts from its first sample', async () => {
    const registry = new Registry();
    const counter = new Counter({
      name: 'junction_test_total',
      help: 'h',
      labelNames: ['source'],
      registers: [registry],
    });
    let now = NOW;
    const ring = new CounterRing(
      registryCounters(registry, ['junction_test_total', 'junction_absent_total']),
      {
        intervalMs: 60_000,
        horizonMs: 60 * 60_000,
        now: () => now,
      },
    );
    await ring.start();
    ring.stop();
    const key = seriesKey('junction_test_total', { source: 'a' });
    for (let minute = 1; minute <= 70; minute++) {
      now = NOW + minute * 60_000;
      counter.inc({ source: 'a' }, 1);
      await ring.sample();
    }
    counter.inc({ source: 'a' }, 3);
    const last5 = await ring.window(5 * 60_000);
    expect(last5.increase.get(key)).toBe(8);
    expect(last5.coveredMs).toBe(5 * 60_000);
    const last60 = await ring.window(60 * 60_000);
    expect(last60.increase.get(key)).toBe(63);
    expect(ring.since).toBeLessThanOrEqual(now - 60 * 60_000);
    expect(parseSeriesKey(key)).toEqual({ name: 'junction_test_total', labels: { source: 'a' } });

    const young = new CounterRing(registryCounters(registry, ['junction_test_total']), {
      intervalMs: 60_000,
      horizonMs: 60 * 60_000,
      now: () => now,
    });
    await young.sample();
    counter.inc({ source: 'a' }, 2);
    now += 90_000;
    expect(await young.window(5 * 60_000)).toMatchObject({
      coveredMs: 90_000,
      increase: new Map([[key, 2]]),
    });
  });
});

test('several processes combine: the worst verdict per entity, reasons marked by process', () => {
  const report = (instance: string, status: 'healthy' | 'failing', reasons: string[]): HealthReport => ({
    status,
    checkedAt: iso(0),
    scope: { instance, countersSince: iso(-60_000), unavailable: [] },
    summary: {
      connections: { healthy: 0, degraded: 0, failing: 0 },
      providers: { healthy: 0, degraded: 0, failing: 0 },
      sources: { healthy: 0, degraded: 0, failing: 0 },
      syncs: { healthy: 0, degraded: 0, failing: 0 },
    },
    connections: [],
    providers: [{ id: 'stripe', status, reasons, facts: { providerId: 'stripe' } }],
    sources: [],
    syncs: [],
  });
  const combined = combineReports([
    report('server:1', 'healthy', []),
    report('worker:2', 'failing', ['circuit breaker open']),
  ]);
  expect(combined.status).toBe('failing');
  expect(combined.providers).toEqual([
    {
      id: 'stripe',
      status: 'failing',
      reasons: ['circuit breaker open [worker:2]'],
      facts: { providerId: 'stripe' },
    },
  ]);
  expect(combined.summary.providers).toEqual({ healthy: 0, degraded: 0, failing: 1 });
  expect(combined.scope.instance).toBe('server:1, worker:2');
});
