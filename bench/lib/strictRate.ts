/**
 * Strict rate limits across two `junction worker` processes: what the provider receives (arrival times
 * recorded by the fake provider) with the task queue alone and with the shared limiter in PostgreSQL, and
 * what one turn costs with the PostgreSQL limiter and with a limiter workflow (Temporal updates).
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { openPostgresLimiter } from '../../src/calls/postgresLimiter';
import { LOOPBACK_CIDRS } from '../../src/network/destinations';
import { arrivalFigures, startProviderProcess } from '../../test/helpers/providerProcess';
import { startJunctionProcess } from './processes';

export const BENCH_DATABASE_URL =
  process.env.JUNCTION_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type StrictLimiter = 'task-queue' | 'database';

export interface StrictRun {
  limiter: StrictLimiter;
  /** `rateLimits.share` (the shared limiter only). */
  share?: number;
  calls: number;
  /** Calls per second at the provider, first arrival to last. */
  sustained: number;
  worstWindow: number;
  worstAtMs: number;
}

/**
 * One provider declared strict at `perSecond`, served by two worker processes, called `count` times by the
 * driver workflow (`concurrency` at a time, more than the rate: demand never runs out). The provider is a
 * process of its own, so the arrival times it records are not held up by this one's work.
 */
export async function strictRun(options: {
  limiter: StrictLimiter;
  share?: number;
  perSecond: number;
  count: number;
  concurrency: number;
  temporalAddress: string;
  drive: (providerId: string, count: number, concurrency: number) => Promise<number>;
}): Promise<StrictRun> {
  const { limiter } = options;
  const provider = await startProviderProcess({ itemCount: 1_000 });
  const suffix = randomUUID().slice(0, 8);
  const providerId = `strict-${limiter}-${suffix}`;
  const schema = `bench_limiter_${suffix}`;
  const config = {
    temporal: { taskQueue: `bench-strict-${suffix}`, shutdownGraceMs: 1_000 },
    network: { allowPrivate: [...LOOPBACK_CIDRS] },
    rateLimits: { limiter, ...(options.share ? { share: options.share } : {}) },
    ...(limiter === 'database' ? { syncs: { database: { url: BENCH_DATABASE_URL, schema } } } : {}),
    providers: [
      {
        id: providerId,
        auth: { mode: 'api_key' },
        apiBaseUrl: provider.url,
        calls: { rateLimit: { perSecond: options.perSecond, mode: 'strict' } },
      },
    ],
  };
  const env = { TEMPORAL_ADDRESS: options.temporalAddress };
  const workers = await Promise.all([
    startJunctionProcess('worker', config, env),
    startJunctionProcess('worker', config, env),
  ]);
  try {
    const ok = await options.drive(providerId, options.count, options.concurrency);
    if (ok !== options.count) throw new Error(`${limiter}: only ${ok} of ${options.count} calls succeeded`);
    const times = (await provider.arrivals()).map((arrival) => arrival.at);
    if (process.env.JUNCTION_BENCH_ARRIVALS) {
      const first = Math.min(...times);
      process.stderr.write(`${limiter} arrivals (ms): ${times.map((t) => t - first).join(' ')}\n`);
    }
    return { limiter, share: options.share, calls: ok, ...arrivalFigures(times) };
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
    await provider.stop();
    if (limiter === 'database') await dropSchema(schema);
  }
}

async function dropSchema(schema: string) {
  const admin = new PgClient({ connectionString: BENCH_DATABASE_URL });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

export interface TurnCost {
  limiter: string;
  turns: number;
  p50Ms: number;
  p99Ms: number;
  perSecond: number;
  /** What each turn leaves behind (workflow history events; 0 for a row update). */
  historyEventsPerTurn: number;
}

/** Runs `take` `turns` times, `concurrency` at a time, and reports the latency of one take. */
async function timeTurns(turns: number, concurrency: number, take: () => Promise<unknown>) {
  const latencies: number[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  const lane = async () => {
    while (next++ < turns) {
      const t0 = process.hrtime.bigint();
      await take();
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  return {
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    perSecond: turns / seconds,
  };
}

/** One turn from the PostgreSQL limiter: a function call locking the provider's row. */
export async function postgresTurnCost(turns: number, concurrency: number): Promise<TurnCost> {
  const schema = `bench_limiter_cost_${randomUUID().slice(0, 8)}`;
  const limiter = await openPostgresLimiter(BENCH_DATABASE_URL, { schema });
  try {
    // A tiny interval: every take reserves a turn at once, so only the round trip is measured.
    const timed = await timeTurns(turns, concurrency, () => limiter.take('cost', 0.001, 1_000));
    return { limiter: 'PostgreSQL row (junction_rate_limit_take)', turns, ...timed, historyEventsPerTurn: 0 };
  } finally {
    await limiter.close();
    await dropSchema(schema);
  }
}

/** One turn from a limiter workflow (bench/workflows/calls.ts `turnLimiter`): a Temporal update. */
export async function workflowTurnCost(
  client: Client,
  taskQueue: string,
  turns: number,
  concurrency: number,
): Promise<TurnCost> {
  const handle = await client.workflow.start('turnLimiter', {
    taskQueue,
    workflowId: `bench-turn-limiter-${randomUUID()}`,
  });
  try {
    const timed = await timeTurns(turns, concurrency, () =>
      handle.executeUpdate<number, [number]>('takeTurn', { args: [0.001] }),
    );
    const history = await handle.fetchHistory();
    const events = history.events?.length ?? 0;
    return {
      limiter: 'limiter workflow (update per turn)',
      turns,
      ...timed,
      historyEventsPerTurn: events / turns,
    };
  } finally {
    await handle.terminate('benchmark done').catch(() => undefined);
  }
}
