/**
 * Provider-call benchmark. (1) callProvider activities per second against the fake provider, beside an
 * empty activity of the same shape on the same server, worker process and concurrency, rounds alternating.
 * (2) Requests the provider receives during an outage, with the circuit breaker and without it.
 * (3) A strict rate limit across two worker processes: utilisation and the worst 1-second window at the
 * provider with the task queue alone and with the shared limiter, and what one limiter turn costs.
 *
 *   npm run bench -- calls    (JUNCTION_BENCH_CALLS, JUNCTION_BENCH_CONCURRENCY, JUNCTION_BENCH_ROUNDS,
 *                              JUNCTION_BENCH_RATE, JUNCTION_BENCH_RATE_CALLS, JUNCTION_BENCH_TURNS)
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';
import pino from 'pino';
import { CallBudgets } from '../src/calls/budget';
import { ProviderBreakers } from '../src/calls/breaker';
import { callSettingsSchema, type CallProvider } from '../src/calls/settings';
import { createPayloadCodec, junctionDataConverter } from '../src/codec';
import { parseConfig } from '../src/config/load';
import { startFakeProvider } from '../src/demo/fakeProvider';
import { loggerOptions } from '../src/logging/logger';
import { LOOPBACK_CIDRS } from '../src/network/destinations';
import { createOutbound } from '../src/network/outbound';
import type { ProviderRequest, ProviderResponse } from '../src/shared/calls';
import { installRuntime } from '../src/temporal/runtime';
import { createProviderWorkers } from '../src/workers/providerWorkers';
import { benchTemporal, numberFromEnv } from './lib/env';
import { BENCH_CODEC_KEYS } from './lib/processes';
import { postgresTurnCost, strictRun, workflowTurnCost, type StrictRun } from './lib/strictRate';

const CALLS = numberFromEnv('JUNCTION_BENCH_CALLS', 600);
const CONCURRENCY = numberFromEnv('JUNCTION_BENCH_CONCURRENCY', 32);
const ROUNDS = numberFromEnv('JUNCTION_BENCH_ROUNDS', 3);
const OUTAGE_MS = numberFromEnv('JUNCTION_BENCH_OUTAGE_MS', 10_000);
const RATE = numberFromEnv('JUNCTION_BENCH_RATE', 10);
const RATE_CALLS = numberFromEnv('JUNCTION_BENCH_RATE_CALLS', 200);
const TURNS = numberFromEnv('JUNCTION_BENCH_TURNS', 1_000);
/** `rateLimits.share` values the shared limiter runs with (the first is the default). */
const SHARES = (process.env.JUNCTION_BENCH_SHARES ?? '0.95,0.9').split(',').map(Number);

function table(title: string, header: string[], rows: string[][]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  process.stdout.write(`\n${title}\n${line(header)}\n${rows.map(line).join('\n')}\n`);
}

export async function benchCalls(): Promise<void> {
  const temporal = await benchTemporal();
  const logger = pino(
    loggerOptions({ level: 'info' }),
    pino.destination({ dest: process.env.JUNCTION_BENCH_LOG ?? '/dev/null', sync: false }),
  );
  await installRuntime(logger, { metrics: false });
  const fake = await startFakeProvider({ itemCount: 1_000 });
  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  const suffix = randomUUID().slice(0, 8);

  const declare = (id: string, calls: Record<string, unknown>): CallProvider => ({
    id: `${id}-${suffix}`,
    apiBaseUrl: fake.url,
    calls: callSettingsSchema.parse(calls),
  });
  const steady = declare('steady', {});
  const guarded = declare('guarded', { breaker: { consecutiveFailures: 5, halfOpenAfterMs: 2_000 } });
  // The baseline: a breaker that never opens.
  const unguarded = declare('unguarded', {
    breaker: { consecutiveFailures: 1_000_000, failureRatio: 0.999, minimumRps: 1_000_000 },
  });
  const providers = [steady, guarded, unguarded];
  const workers = await createProviderWorkers({
    connection: nativeConnection,
    namespace: 'default',
    providers,
    shutdownGraceMs: 1_000,
    deps: {
      findProvider: (id) => providers.find((p) => p.id === id),
      breakers: new ProviderBreakers(logger),
      budgets: new CallBudgets(),
      logger,
      // The fake providers listen on loopback.
      outbound: createOutbound({ allowPrivate: LOOPBACK_CIDRS }),
    },
  });
  const emptyQueue = `bench-empty-${suffix}`;
  workers.push(
    await Worker.create({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue: emptyQueue,
      activities: {
        // Same input and answer shape as callProvider, no I/O: what the Temporal round trip alone costs.
        emptyActivity: async (request: ProviderRequest): Promise<ProviderResponse> => ({
          status: 200,
          headers: {},
          body: { path: request.path },
          attempt: 1,
        }),
      },
    }),
  );
  const driverQueue = `bench-driver-${suffix}`;
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./workflows/calls'),
    logger: undefined,
  });
  workers.push(
    await Worker.create({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue: driverQueue,
      workflowBundle,
    }),
  );
  const runs = workers.map((worker) => worker.run());
  if (process.env.JUNCTION_BENCH_STRICT_ONLY) {
    await benchStrictRates(temporal.address, nativeConnection, connection, workflowBundle);
    for (const worker of workers) worker.shutdown();
    await Promise.allSettled(runs);
    await Promise.all([nativeConnection.close(), connection.close(), fake.close()]);
    return temporal.stop();
  }
  const drive = async (workflow: 'fanOutCalls' | 'fanOutEmpty', target: string, count: number) => {
    const started = process.hrtime.bigint();
    const ok = await client.workflow.execute<(a: string, b: number, c: number) => Promise<number>>(workflow, {
      taskQueue: driverQueue,
      workflowId: `bench-${workflow}-${randomUUID()}`,
      args: [target, count, CONCURRENCY],
    });
    return { ok, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  };

  process.stderr.write(
    `calls benchmark: ${ROUNDS} rounds × ${CALLS} activities, concurrency ${CONCURRENCY}\n`,
  );
  await drive('fanOutEmpty', emptyQueue, 100);
  await drive('fanOutCalls', steady.id, 100);
  const totals = { empty: { n: 0, s: 0 }, call: { n: 0, s: 0 } };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['empty', 'call'] as const) : (['call', 'empty'] as const);
    for (const which of order) {
      const result =
        which === 'empty'
          ? await drive('fanOutEmpty', emptyQueue, CALLS)
          : await drive('fanOutCalls', steady.id, CALLS);
      if (result.ok !== CALLS) throw new Error(`${which}: only ${result.ok} of ${CALLS} succeeded`);
      totals[which].n += result.ok;
      totals[which].s += result.seconds;
    }
  }
  const emptyRate = totals.empty.n / totals.empty.s;
  const callRate = totals.call.n / totals.call.s;
  table(
    `Activity throughput, concurrency ${CONCURRENCY}`,
    ['activity', 'activities', 'per second'],
    [
      ['empty activity (Temporal round trip only)', String(totals.empty.n), emptyRate.toFixed(1)],
      ['callProvider → fake provider', String(totals.call.n), callRate.toFixed(1)],
    ],
  );
  process.stdout.write(`callProvider / empty: ${(callRate / emptyRate).toFixed(2)}× (target ≥ 0.80×)\n`);

  // Outage: 20 callers retrying every 200 ms against a provider that is down for OUTAGE_MS.
  const outage = async (provider: CallProvider) => {
    fake.requests.length = 0;
    fake.misbehave({ outage: { mode: 'status' } });
    const pending = drive('fanOutCalls', provider.id, 20).catch(() => ({ ok: 0, seconds: 0 }));
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    const during = fake.requests.length;
    fake.recover();
    const result = await pending;
    return { during, recovered: result.ok };
  };
  const withBreaker = await outage(guarded);
  const withoutBreaker = await outage(unguarded);
  table(
    `Requests the provider receives during a ${OUTAGE_MS / 1000} s outage (20 callers, retry every 200 ms)`,
    ['breaker', 'requests during outage', 'calls completed after recovery'],
    [
      [
        'with breaker (opens after 5, half-open after 2 s)',
        String(withBreaker.during),
        `${withBreaker.recovered}/20`,
      ],
      ['without breaker', String(withoutBreaker.during), `${withoutBreaker.recovered}/20`],
    ],
  );
  process.stdout.write(
    `requests during outage, with / without breaker: ${(withBreaker.during / withoutBreaker.during).toFixed(3)}×\n`,
  );
  await benchStrictRates(temporal.address, nativeConnection, connection, workflowBundle);

  for (const worker of workers) worker.shutdown();
  await Promise.allSettled(runs);
  await nativeConnection.close();
  await connection.close();
  await fake.close();
  await temporal.stop();
}

/**
 * (3) A provider declared strict at RATE/s, two `junction worker` processes, RATE_CALLS calls: today's task
 * queue alone beside the shared limiter in PostgreSQL, measured at the provider; then what one turn costs.
 */
async function benchStrictRates(
  address: string,
  nativeConnection: NativeConnection,
  connection: Connection,
  workflowBundle: WorkflowBundle,
): Promise<void> {
  // The worker processes encrypt payloads: the driver uses the same keys.
  const codec = createPayloadCodec(parseConfig({}, { JUNCTION_CODEC_KEYS: BENCH_CODEC_KEYS }));
  const dataConverter = junctionDataConverter(codec);
  const client = new Client({ connection, dataConverter });
  const taskQueue = `bench-strict-driver-${randomUUID().slice(0, 8)}`;
  const worker = await Worker.create({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    workflowBundle,
    dataConverter,
  });
  const running = worker.run();
  const drive = (providerId: string, count: number, concurrency: number) =>
    client.workflow.execute<(a: string, b: number, c: number) => Promise<number>>('fanOutCalls', {
      taskQueue,
      workflowId: `bench-strict-${randomUUID()}`,
      args: [providerId, count, concurrency],
    });
  try {
    process.stderr.write(`strict rate limit: ${RATE_CALLS} calls at ${RATE}/s, two worker processes\n`);
    // The machine's 1-minute load average before and after: jitter, and so the windows, depend on it.
    const loadDuring = [loadavg()[0]!];
    const runs: StrictRun[] = [];
    const variants = [
      { limiter: 'task-queue' as const },
      ...SHARES.map((share) => ({ limiter: 'database' as const, share })),
    ];
    for (const variant of variants) {
      runs.push(
        await strictRun({
          ...variant,
          perSecond: RATE,
          count: RATE_CALLS,
          concurrency: CONCURRENCY,
          temporalAddress: address,
          drive,
        }),
      );
    }
    const label = (run: StrictRun) =>
      run.limiter === 'task-queue'
        ? 'task queue alone (45 %)'
        : `shared limiter (PostgreSQL), share ${run.share}`;
    table(
      `Strict ${RATE}/s across two worker processes, ${RATE_CALLS} calls, measured at the provider`,
      ['limiter', 'calls', 'sustained /s', 'utilisation', 'worst 1 s window'],
      runs.map((run) => [
        label(run),
        String(run.calls),
        run.sustained.toFixed(2),
        `${(run.sustained / RATE).toFixed(2)}×`,
        `${run.worstWindow} (limit ${RATE}) at +${(run.worstAtMs / 1_000).toFixed(1)} s`,
      ]),
    );
    loadDuring.push(loadavg()[0]!);
    const [alone, shared] = runs as [StrictRun, StrictRun];
    process.stdout.write(
      `utilisation, shared limiter (share ${shared.share}) / task queue alone: ` +
        `${(shared.sustained / alone.sustained).toFixed(2)}× (goal: shared ≥ 0.90× of the declared rate, ` +
        `worst window ≤ ${RATE}); load average during the runs: ${loadDuring.map((l) => l.toFixed(1)).join(' → ')}\n`,
    );
    const costs = [await postgresTurnCost(TURNS, 8), await workflowTurnCost(client, taskQueue, TURNS, 8)];
    table(
      `What one limiter turn costs (${TURNS} turns, 8 at a time)`,
      ['limiter', 'p50 ms', 'p99 ms', 'turns /s', 'history events per turn'],
      costs.map((cost) => [
        cost.limiter,
        cost.p50Ms.toFixed(2),
        cost.p99Ms.toFixed(2),
        cost.perSecond.toFixed(0),
        cost.historyEventsPerTurn.toFixed(1),
      ]),
    );
    process.stdout.write(
      `turn latency p50, workflow / PostgreSQL: ${(costs[1]!.p50Ms / costs[0]!.p50Ms).toFixed(1)}×\n`,
    );
  } finally {
    worker.shutdown();
    await running;
  }
}
