import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { parse } from 'yaml';
import { createCallMetrics } from '../../src/calls/metrics';
import { JunctionClient } from '../../src/client';
import { parseConfig } from '../../src/config/load';
import { createHealthService } from '../../src/health';
import { createMetrics } from '../../src/metrics/registry';

const root = join(__dirname, '..', '..');
const prometheusDir = join(root, 'deploy', 'prometheus');
const rules = parse(readFileSync(join(prometheusDir, 'alerts.yml'), 'utf8')) as {
  groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
};
const dashboard = JSON.parse(
  readFileSync(join(root, 'deploy', 'grafana', 'dashboards', 'junction.json'), 'utf8'),
) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }> };

/**
 * Every metric Junction exports, from the same code that registers them in a running process: its own
 * registry, the provider-call metrics and the health service's Temporal-backed gauges (registered, not
 * collected: nothing here talks to Temporal).
 */
function exportedMetricNames(): Set<string> {
  const metrics = createMetrics({ defaultMetrics: true });
  createCallMetrics(metrics.registry);
  const config = parseConfig({}, {});
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  createHealthService({
    config,
    metrics,
    junction: new JunctionClient({ client, taskQueue: 'unused', config }),
  });
  return new Set(metrics.registry.getMetricsAsArray().map((metric) => metric.name));
}

/** The metric names an expression reads: Junction's, with a histogram's `_bucket` / `_sum` / `_count` dropped. */
function metricNamesIn(expr: string, exported: Set<string>): string[] {
  return [...expr.matchAll(/\bjunction_[a-z0-9_]+/g)].map(([name]) => {
    const base = name.replace(/_(bucket|sum|count)$/, '');
    return exported.has(name) ? name : base;
  });
}

const exported = exportedMetricNames();
const alertExprs = rules.groups.flatMap((group) =>
  group.rules.map((rule) => [rule.alert, rule.expr] as const),
);
const panelExprs = dashboard.panels.flatMap((panel) =>
  (panel.targets ?? []).map((target) => [panel.title, target.expr] as const),
);

test('the exported metrics include the health ones the rules rely on', () => {
  for (const name of [
    'junction_connections',
    'junction_dead_letters',
    'junction_token_requests_total',
    'junction_webhook_last_received_timestamp_seconds',
    'junction_provider_breaker_state',
  ]) {
    expect(exported).toContain(name);
  }
});

test.each(alertExprs)('alert %s reads only metrics Junction exports', (_alert, expr) => {
  const names = metricNamesIn(expr, exported);
  expect(names.length).toBeGreaterThan(0);
  expect(names.filter((name) => !exported.has(name))).toEqual([]);
});

test.each(panelExprs)('dashboard panel "%s" queries only metrics Junction exports', (_title, expr) => {
  const names = metricNamesIn(expr, exported);
  expect(names.length).toBeGreaterThan(0);
  expect(names.filter((name) => !exported.has(name))).toEqual([]);
});

test('the alerts the runbook promises are all there', () => {
  expect(alertExprs.map(([alert]) => alert).sort()).toEqual(
    [
      'JunctionBreakerOpen',
      'JunctionConnectionsNeedReauth',
      'JunctionDeadLettersGrowing',
      'JunctionIngestUnavailable',
      'JunctionTokenRefreshesFailing',
      'JunctionWebhookSignatureFailuresSpiking',
    ].sort(),
  );
});

// promtool comes with Debian's `prometheus` package (`npm test` installs it where it can): without it these
// two fail, saying so.
function requirePromtool(): void {
  if (spawnSync('promtool', ['--version']).status !== 0) {
    throw new Error(
      "promtool is not installed: install Debian's prometheus package (apt-get install prometheus)",
    );
  }
}

test('promtool check rules: the rules file is valid', () => {
  requirePromtool();
  const result = spawnSync('promtool', ['check', 'rules', 'alerts.yml'], {
    cwd: prometheusDir,
    encoding: 'utf8',
  });
  expect(result.stdout + result.stderr).toContain('SUCCESS: 6 rules found');
  expect(result.status).toBe(0);
});

test('promtool test rules: each alert fires on its story and not on the calm series', () => {
  requirePromtool();
  const result = spawnSync('promtool', ['test', 'rules', 'alerts.test.yml'], {
    cwd: prometheusDir,
    encoding: 'utf8',
  });
  expect(result.stdout + result.stderr).toContain('SUCCESS');
  expect(result.status).toBe(0);
});

test('promtool check config: the Prometheus configuration compose mounts is valid', () => {
  requirePromtool();
  const result = spawnSync('promtool', ['check', 'config', '--syntax-only', 'prometheus.yml'], {
    cwd: prometheusDir,
    encoding: 'utf8',
  });
  expect(result.status).toBe(0);
});
