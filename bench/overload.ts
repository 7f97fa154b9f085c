/**
 * Ingest under overload: signed webhooks to a `junction server` process whose connection to Temporal goes
 * through a proxy that makes Temporal answer normally, slowly, or not at all, at a concurrency above
 * `server.maxPendingStarts`. The server should shed what it cannot hand over with 503 + Retry-After, each
 * answer within `server.temporalTimeoutMs`, instead of queueing without bound: p99 stays bounded whatever
 * Temporal does. The baseline is the same load with Temporal answering normally, in the same run.
 *
 *   npm run bench -- overload   (JUNCTION_BENCH_OVERLOAD_REQUESTS, _CONCURRENCY, _PENDING, _TIMEOUT_MS, _DELAY_MS)
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { signedWebhook } from './lib/signedWebhook';
import { Pool } from 'undici';
import { formatTable } from '../src/cli/table';
import { benchTemporal, numberFromEnv } from './lib/env';
import { startJunctionProcess } from './lib/processes';
import { startTcpProxy, type TcpProxy } from '../test/helpers/tcpProxy';

const REQUESTS = numberFromEnv('JUNCTION_BENCH_OVERLOAD_REQUESTS', 800);
const CONCURRENCY = numberFromEnv('JUNCTION_BENCH_OVERLOAD_CONCURRENCY', 96);
const MAX_PENDING = numberFromEnv('JUNCTION_BENCH_OVERLOAD_PENDING', 32);
const TIMEOUT_MS = numberFromEnv('JUNCTION_BENCH_OVERLOAD_TIMEOUT_MS', 2_000);
const DELAY_MS = numberFromEnv('JUNCTION_BENCH_OVERLOAD_DELAY_MS', 250);
const SECRET = `whsec_${Buffer.from(randomUUID()).toString('base64')}`;

interface Outcome {
  status: number;
  ms: number;
  retryAfter: boolean;
  /** The error code of a refusal (`temporal_overloaded`, `temporal_unavailable`, …). */
  code?: string;
}

interface Scenario {
  name: string;
  outcomes: Outcome[];
  seconds: number;
}

/** `REQUESTS` webhooks, `CONCURRENCY` at a time; every answer's status, latency and Retry-After. */
async function load(name: string, pool: Pool, webhook: Webhook, lanes = CONCURRENCY): Promise<Scenario> {
  const outcomes: Outcome[] = [];
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next++ < REQUESTS) {
      const request = signedWebhook(webhook);
      const t0 = performance.now();
      let status = 0;
      let retryAfter = false;
      let code: string | undefined;
      try {
        const response = await pool.request({ method: 'POST', path: '/webhooks/bench', ...request });
        status = response.statusCode;
        retryAfter = response.headers['retry-after'] !== undefined;
        if (status !== 202) code = ((await response.body.json()) as { code?: string }).code;
        else await response.body.dump();
      } catch {
        status = 0; // connection error
      }
      outcomes.push({ status, ms: performance.now() - t0, retryAfter, ...(code ? { code } : {}) });
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return { name, outcomes, seconds: (performance.now() - started) / 1000 };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;

function row(scenario: Scenario, baselineP99: number): string[] {
  const { outcomes } = scenario;
  const ms = outcomes.map((o) => o.ms).sort((a, b) => a - b);
  const count = (test: (o: Outcome) => boolean) => String(outcomes.filter(test).length);
  const p99 = percentile(ms, 99);
  return [
    scenario.name,
    String(outcomes.length),
    count((o) => o.status === 202),
    count((o) => o.status === 503),
    count((o) => o.status === 503 && o.retryAfter),
    count((o) => o.status !== 202 && o.status !== 503),
    (outcomes.length / scenario.seconds).toFixed(0),
    (outcomes.filter((o) => o.status === 202).length / scenario.seconds).toFixed(0),
    percentile(ms, 50).toFixed(0),
    p99.toFixed(0),
    (ms.at(-1) ?? NaN).toFixed(0),
    `${(p99 / baselineP99).toFixed(1)}×`,
    codes(outcomes),
  ];
}

/** The refusals' codes and how many of each: `temporal_overloaded 120, temporal_unavailable 3`. */
function codes(outcomes: Outcome[]): string {
  const counts = new Map<string, number>();
  for (const { code } of outcomes) if (code) counts.set(code, (counts.get(code) ?? 0) + 1);
  return [...counts].map(([code, n]) => `${code} ${n}`).join(', ') || '-';
}

export async function benchOverload(): Promise<void> {
  const temporal = await benchTemporal();
  const target = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  const rawConfig = {
    temporal: { taskQueue: `bench-${randomUUID().slice(0, 8)}` },
    server: { temporalTimeoutMs: TIMEOUT_MS, maxPendingStarts: MAX_PENDING },
    network: { allowPrivate: ['127.0.0.0/8'] },
    sources: [
      {
        id: 'bench',
        scheme: 'standard-webhooks',
        secrets: [SECRET],
        routes: [{ events: ['*'], forward: { url: targetUrl } }],
      },
    ],
  };
  // Only the server's connection to Temporal goes through the proxy; the worker delivers as usual.
  const proxy: TcpProxy = await startTcpProxy(temporal.address);
  const [worker, server] = await Promise.all([
    startJunctionProcess('worker', rawConfig, { TEMPORAL_ADDRESS: temporal.address }),
    startJunctionProcess('server', rawConfig, { TEMPORAL_ADDRESS: proxy.address }),
  ]);
  const pool = new Pool(server.url, { connections: CONCURRENCY });
  const webhook = new Webhook(SECRET);
  process.stderr.write(
    `overload benchmark: ${REQUESTS} webhooks per scenario at concurrency ${CONCURRENCY}; ` +
      `server.maxPendingStarts ${MAX_PENDING}, server.temporalTimeoutMs ${TIMEOUT_MS}; Temporal ${temporal.address}\n`,
  );
  try {
    await load('warm-up', pool, webhook);
    const scenarios: Scenario[] = [];
    scenarios.push(
      await load(`Temporal normal, ${MAX_PENDING} senders (within the limit)`, pool, webhook, MAX_PENDING),
    );
    scenarios.push(await load('Temporal answering normally (baseline)', pool, webhook));
    proxy.setDelay(DELAY_MS);
    scenarios.push(await load(`Temporal slow (+${DELAY_MS} ms each way)`, pool, webhook));
    proxy.setDelay(DELAY_MS * 4);
    scenarios.push(await load(`Temporal slower (+${DELAY_MS * 4} ms each way)`, pool, webhook));
    proxy.hold();
    scenarios.push(await load('Temporal not answering at all', pool, webhook));
    proxy.setDelay(0);
    proxy.release();
    scenarios.push(await load('Temporal back to normal', pool, webhook));

    const baselineP99 = percentile(
      scenarios[1]!.outcomes.map((o) => o.ms).sort((a, b) => a - b),
      99,
    );
    process.stdout.write(
      `\nIngest under overload, concurrency ${CONCURRENCY} (server.maxPendingStarts ${MAX_PENDING}, ` +
        `server.temporalTimeoutMs ${TIMEOUT_MS})\n` +
        formatTable(
          [
            'scenario',
            'requests',
            '202',
            '503',
            '503 with Retry-After',
            'other',
            'answers/s',
            '202/s',
            'p50 ms',
            'p99 ms',
            'max ms',
            'p99 / baseline',
            'refusal codes',
          ],
          scenarios.map((scenario) => row(scenario, baselineP99)),
        ) +
        '\n',
    );
    const worst = Math.max(...scenarios.flatMap((s) => s.outcomes.map((o) => o.ms)));
    process.stdout.write(
      `slowest answer of any scenario: ${worst.toFixed(0)} ms (server.temporalTimeoutMs ${TIMEOUT_MS} ms plus ` +
        `the server's own time: bounded, not queued)\n`,
    );
  } finally {
    proxy.setDelay(0);
    proxy.release();
    await pool.close();
    await Promise.all([server.stop(), worker.stop()]);
    await proxy.close();
    target.close();
    await temporal.stop();
  }
}
