import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface JunctionMetrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  webhooksReceived: Counter<'source' | 'outcome'>;
  webhookIngestDuration: Histogram<'source' | 'outcome'>;
  /** Verified webhooks waiting on Temporal right now (capped by `server.maxPendingStarts`). */
  webhookPendingStarts: Gauge;
  /** Requests that found a connection's workflow stuck (its workflow task failing on every attempt). */
  connectionsStuck: Counter;
  /** When each source last had a request accepted (or answered duplicate), epoch seconds. */
  webhookLastReceived: Gauge<'source'>;
  /** Token endpoint requests (refresh, client credentials, JWT bearer) by provider, grant and outcome. */
  tokenRequests: Counter<'provider' | 'grant' | 'outcome'>;
  /** Extra Prometheus text appended to `/metrics`, e.g. the Temporal SDK's worker metrics. */
  extraSources: Array<() => Promise<string>>;
}

/** A registry of Junction's own metrics (one per process; tests make as many as they like). */
export function createMetrics(options: { defaultMetrics?: boolean } = {}): JunctionMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'junction_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'junction_http_requests_total',
      help: 'HTTP requests answered, by method, route template and status code.',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'junction_http_request_duration_seconds',
      help: 'Time to answer an HTTP request.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    webhooksReceived: new Counter({
      name: 'junction_webhooks_received_total',
      help: 'Webhook requests by source and outcome (accepted, duplicate, or the error code).',
      labelNames: ['source', 'outcome'],
      registers: [registry],
    }),
    webhookIngestDuration: new Histogram({
      name: 'junction_webhook_ingest_duration_seconds',
      help: 'Time from request to answer for webhook ingest, including the durable hand-off to Temporal.',
      labelNames: ['source', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    webhookPendingStarts: new Gauge({
      name: 'junction_webhook_pending_starts',
      help: 'Verified webhooks waiting on Temporal right now; at server.maxPendingStarts more are shed with 503.',
      registers: [registry],
    }),
    connectionsStuck: new Counter({
      name: 'junction_connection_stuck_total',
      help: 'Requests that found a connection workflow stuck: its workflow task fails on every attempt.',
      registers: [registry],
    }),
    webhookLastReceived: new Gauge({
      name: 'junction_webhook_last_received_timestamp_seconds',
      help: 'When a source last had a webhook accepted or answered duplicate (Unix time, seconds).',
      labelNames: ['source'],
      registers: [registry],
    }),
    tokenRequests: new Counter({
      name: 'junction_token_requests_total',
      help: 'Token endpoint requests by provider, grant and outcome (ok, or the failure code: invalid_grant, …).',
      labelNames: ['provider', 'grant', 'outcome'],
      registers: [registry],
    }),
    extraSources: [],
  };
}

/** Reads the Temporal SDK's own Prometheus endpoint so its worker metrics appear in Junction's `/metrics`. */
export function sdkMetricsSource(url: string): () => Promise<string> {
  return async () => {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (!response.ok) return `# Temporal SDK metrics unavailable: HTTP ${response.status}\n`;
      return await response.text();
    } catch (error) {
      return `# Temporal SDK metrics unavailable: ${error instanceof Error ? error.message : String(error)}\n`;
    }
  };
}
