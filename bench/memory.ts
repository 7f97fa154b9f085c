/**
 * Worker memory benchmark: a `junction worker` and a `junction server` process hold 1,000 webhook deliveries
 * parked in dead letters and 1,000 API-key connections (2,000 open workflows), and the worker's RSS is
 * sampled after a settle: once with `temporal.maxCachedWorkflows` at what the SDK would pick on its own (every
 * parked workflow stays cached), at Junction's default, 250, without and with `temporal.optimizeForSize`, and
 * once more at 250 with the environment the Docker image sets (MALLOC_ARENA_MAX=2), on which the goal is
 * judged. Each scenario has fresh processes and a task queue of its own on the same dev server; all traffic is
 * on loopback.
 *
 *   npm run bench -- memory   (JUNCTION_BENCH_DEAD_LETTERS, JUNCTION_BENCH_CONNECTIONS, JUNCTION_BENCH_SETTLE_MS,
 *                              JUNCTION_BENCH_SCENARIOS, JUNCTION_BENCH_CACHE_SIZES)
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { Client, Connection } from '@temporalio/client';
import { Webhook } from 'standardwebhooks';
import { signedWebhook } from './lib/signedWebhook';
import { Pool } from 'undici';
import { parseConfig } from '../src/config/load';
import { JUNCTION_STATE } from '../src/shared/searchAttributes';
import { benchTemporal, numberFromEnv } from './lib/env';
import { runLoad } from './lib/load';
import { startJunctionProcess } from './lib/processes';

const DEAD_LETTERS = numberFromEnv('JUNCTION_BENCH_DEAD_LETTERS', 1_000);
const CONNECTIONS = numberFromEnv('JUNCTION_BENCH_CONNECTIONS', 1_000);
const SETTLE_MS = numberFromEnv('JUNCTION_BENCH_SETTLE_MS', 15_000);
const CONCURRENCY = 16;
/** The goal for the worker under this load. */
const GOAL_MB = 300;
const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const ADMIN_KEY = randomBytes(24).toString('hex');

/** What the SDK picks when `maxCachedWorkflows` is not given (worker-options.js, reused V8 context). */
function sdkDefaultMaxCachedWorkflows(): number {
  const heapMiB = getHeapStatistics().heap_size_limit / 1024 / 1024;
  return Math.max(Math.floor((Math.max(heapMiB - 200, 0) * 600) / 1024), 10);
}

/** The environment the Docker image gives the worker beyond what a bare `junction worker` has (Dockerfile). */
const IMAGE_ENV = { MALLOC_ARENA_MAX: '2' };
const IMAGE_ENV_NAME = 'MALLOC_ARENA_MAX=2';
/** The worker without `temporal.optimizeForSize` (V8's defaults: faster, larger). */
const SPEED_ENV = { JUNCTION_OPTIMIZE_FOR_SIZE: '0' };
const SPEED_ENV_NAME = 'JUNCTION_OPTIMIZE_FOR_SIZE=0';

/** A field of /proc/<pid>/status (kB fields in MB). */
function procStatus(pid: number, field: string): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  const value = Number(line?.split(/\s+/)[1]);
  return line?.endsWith('kB') ? value / 1024 : value;
}

/** Resident set size of a process, in MB, from /proc. */
function rssMb(pid: number): number {
  return procStatus(pid, 'VmRSS');
}

/** The worker's main-thread V8 heap in use, in MB, from its own metrics (workflows run in a thread of their own). */
async function heapUsedMb(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('junction_nodejs_heap_size_used_bytes '));
  return Number(line?.split(' ')[1]) / 1024 / 1024;
}

/** The median of a few samples a second apart (one sample catches a GC mid-way). */
async function sampleRss(pid: number, samples = 5): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < samples; i++) {
    values.push(rssMb(pid));
    if (i < samples - 1) await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return values.sort((a, b) => a - b)[Math.floor(samples / 2)]!;
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** One worker set-up to measure: its cache size, and environment or Node options of the worker process. */
interface ScenarioSpec {
  name: string;
  maxCachedWorkflows: number;
  /** What the scenario sets beyond its cache size, as listed (`MALLOC_ARENA_MAX=2 --flag`); '' for none. */
  extras?: string;
  workerEnv?: Record<string, string>;
  workerNodeArgs?: string[];
}

interface ScenarioResult {
  name: string;
  maxCachedWorkflows: number;
  extras: string;
  idleMb: number;
  loadedMb: number;
  /** The loaded worker's anonymous (heap, stacks, arenas) resident memory, and its thread count. */
  loadedAnonMb: number;
  threads: number;
  loadedHeapMb: number;
  serverMb: number;
  loadSeconds: number;
}

async function scenario(
  { name, maxCachedWorkflows, extras = '', workerEnv = {}, workerNodeArgs = [] }: ScenarioSpec,
  temporalAddress: string,
  client: Client,
  failingTargetUrl: string,
): Promise<ScenarioResult> {
  const taskQueue = `bench-mem-${randomUUID().slice(0, 8)}`;
  const rawConfig = {
    temporal: { taskQueue, maxCachedWorkflows },
    admin: { apiKeys: [ADMIN_KEY] },
    // One attempt, 1 ms apart: a delivery reaches its dead letter as soon as the target has refused it.
    delivery: {
      retry: { initialIntervalMs: 1, backoffCoefficient: 1, maximumIntervalMs: 1, maximumAttempts: 1 },
    },
    sources: [
      {
        id: 'bench',
        scheme: 'standard-webhooks',
        secrets: [SECRET],
        routes: [{ events: ['*'], forward: { url: failingTargetUrl, timeoutMs: 2_000 } }],
      },
    ],
    network: { allowPrivate: ['127.0.0.1/32'] },
  };
  parseConfig(rawConfig, {}); // a bad scenario config fails here, not as a child's exit code
  const env = { TEMPORAL_ADDRESS: temporalAddress };
  // The worker bundles the workflow code itself (no JUNCTION_WORKFLOW_BUNDLE), as it would in production.
  const [worker, server] = await Promise.all([
    startJunctionProcess('worker', rawConfig, { ...env, ...workerEnv }, workerNodeArgs),
    startJunctionProcess('server', rawConfig, env),
  ]);
  const workerPid = worker.child.pid!;
  const pool = new Pool(server.url, { connections: CONCURRENCY });
  try {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const idleMb = await sampleRss(workerPid);

    const started = Date.now();
    const webhook = new Webhook(SECRET);
    const ingest = await runLoad('dead letters', DEAD_LETTERS, CONCURRENCY, async () => {
      const request = signedWebhook(webhook);
      const response = await pool.request({ method: 'POST', path: '/webhooks/bench', ...request });
      await response.body.dump();
      return response.statusCode === 202;
    });
    const parked = `TaskQueue = '${taskQueue}' AND ${JUNCTION_STATE.name} = 'dead_lettered' AND ExecutionStatus = 'Running'`;
    const connections = await runLoad('connections', CONNECTIONS, CONCURRENCY, async (i) => {
      const response = await pool.request({
        method: 'POST',
        path: '/connections',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          connectionId: `${taskQueue}-${i}`,
          providerId: 'stripe',
          credentials: { apiKey: `sk_test_${randomBytes(12).toString('hex')}` },
        }),
      });
      await response.body.dump();
      return response.statusCode === 201;
    });
    if (ingest.errors > 0 || connections.errors > 0)
      throw new Error(`${name}: ${ingest.errors} webhooks and ${connections.errors} connections refused`);
    await until(
      `${DEAD_LETTERS} dead letters`,
      async () => (await client.workflow.count(parked)).count >= DEAD_LETTERS,
      180_000,
    );
    const loadSeconds = (Date.now() - started) / 1_000;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const loadedMb = await sampleRss(workerPid);
    const loadedAnonMb = procStatus(workerPid, 'RssAnon');
    const threads = procStatus(workerPid, 'Threads');
    const loadedHeapMb = await heapUsedMb(worker.url);
    const serverMb = rssMb(server.child.pid!);
    return {
      name,
      maxCachedWorkflows,
      extras,
      idleMb,
      loadedMb,
      loadedAnonMb,
      threads,
      loadedHeapMb,
      serverMb,
      loadSeconds,
    };
  } finally {
    await pool.close();
    await Promise.all([server.stop(), worker.stop()]);
  }
}

/**
 * The scenarios to compare. JUNCTION_BENCH_SCENARIOS lists them, `;` apart: a cache size, then any
 * `NAME=value` (worker environment) and `--flag` (worker Node option), e.g. `250;250 MALLOC_ARENA_MAX=2`.
 * Else JUNCTION_BENCH_CACHE_SIZES (`2310,250,10`), or the SDK's default beside 250.
 */
function scenarioSpecs(sdkDefault: number, capped: number): ScenarioSpec[] {
  const named = (size: number) =>
    size === sdkDefault ? 'SDK default cache' : size === capped ? 'Junction default cache' : 'cache';
  const listed = (process.env.JUNCTION_BENCH_SCENARIOS ?? '')
    .split(';')
    .map((entry) => entry.trim().split(/\s+/))
    .filter(([size]) => size !== undefined && size !== '' && Number.isInteger(Number(size)));
  if (listed.length > 0)
    return listed.map(([size, ...rest]) => {
      const workerNodeArgs = rest.filter((arg) => arg.startsWith('--'));
      const workerEnv = Object.fromEntries(
        rest.filter((arg) => !arg.startsWith('--') && arg.includes('=')).map((arg) => arg.split(/=(.*)/s, 2)),
      ) as Record<string, string>;
      const extras = rest.length > 0 ? ` + ${rest.join(' ')}` : '';
      return {
        name: `${named(Number(size))}${extras}`,
        maxCachedWorkflows: Number(size),
        extras: rest.join(' '),
        workerEnv,
        workerNodeArgs,
      };
    });
  const sizes = (process.env.JUNCTION_BENCH_CACHE_SIZES ?? '')
    .split(',')
    .filter((v) => v.trim() !== '')
    .map(Number)
    .filter((v) => Number.isInteger(v) && v >= 0);
  if (sizes.length > 0) return sizes.map((size) => ({ name: named(size), maxCachedWorkflows: size }));
  return [
    { name: named(sdkDefault), maxCachedWorkflows: sdkDefault },
    // V8 as it comes, beside Junction's default `temporal.optimizeForSize`.
    {
      name: `${named(capped)} + ${SPEED_ENV_NAME}`,
      maxCachedWorkflows: capped,
      extras: SPEED_ENV_NAME,
      workerEnv: SPEED_ENV,
    },
    { name: named(capped), maxCachedWorkflows: capped },
    // As the Docker image runs the worker (its ENV), beside the same cache without it.
    {
      name: `${named(capped)} + ${IMAGE_ENV_NAME}`,
      maxCachedWorkflows: capped,
      extras: IMAGE_ENV_NAME,
      workerEnv: IMAGE_ENV,
    },
  ];
}

export async function benchMemory(): Promise<void> {
  const temporal = await benchTemporal();
  // The forward target refuses every delivery at once.
  const target = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/hooks`;
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  const sdkDefault = sdkDefaultMaxCachedWorkflows();
  const capped = parseConfig({}, {}).temporal.maxCachedWorkflows;
  process.stderr.write(
    `memory benchmark: ${DEAD_LETTERS} dead letters + ${CONNECTIONS} API-key connections, settle ${SETTLE_MS} ms, Temporal ${temporal.address}\n`,
  );
  try {
    const results: ScenarioResult[] = [];
    for (const spec of scenarioSpecs(sdkDefault, capped)) {
      results.push(await scenario(spec, temporal.address, client, targetUrl));
    }
    const rows = results.map((r) => [
      r.name,
      String(r.maxCachedWorkflows),
      r.idleMb.toFixed(0),
      r.loadedMb.toFixed(0),
      r.loadedAnonMb.toFixed(0),
      String(r.threads),
      r.loadedHeapMb.toFixed(0),
      r.serverMb.toFixed(0),
      r.loadSeconds.toFixed(1),
    ]);
    const header = [
      'scenario',
      'maxCachedWorkflows',
      'worker idle MB',
      'worker loaded MB',
      'anon MB',
      'threads',
      'main heap MB',
      'server MB',
      'load s',
    ];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
    // The first scenario is the baseline; the cache cost compares it with the first at Junction's default.
    const baseline = results[0]!;
    const junction =
      results.find((r) => r.maxCachedWorkflows === capped && r.extras === baseline.extras) ?? results.at(-1)!;
    // What `temporal.optimizeForSize` saves: the same cache with and without it, nothing else set.
    const speed = results.find((r) => r.maxCachedWorkflows === capped && r.extras === SPEED_ENV_NAME);
    const lean = results.find((r) => r.maxCachedWorkflows === capped && r.extras === '');
    // The goal is judged on the last scenario at Junction's default (the image's environment, by default).
    const judged = results.findLast((r) => r.maxCachedWorkflows === capped) ?? results.at(-1)!;
    // Workflows each scenario could hold in its cache: its size, at most the workflows open.
    const cachedIn = (r: ScenarioResult) => Math.min(r.maxCachedWorkflows, DEAD_LETTERS + CONNECTIONS);
    const perWorkflow = (baseline.loadedMb - junction.loadedMb) / (cachedIn(baseline) - cachedIn(junction));
    process.stdout.write(
      `\nWorker RSS, ${DEAD_LETTERS + CONNECTIONS} open workflows (${DEAD_LETTERS} dead letters, ${CONNECTIONS} connections)\n` +
        `${line(header)}\n${rows.map(line).join('\n')}\n` +
        (junction === baseline
          ? ''
          : `loaded worker RSS, ${junction.maxCachedWorkflows} / ${baseline.maxCachedWorkflows}: ${(junction.loadedMb / baseline.loadedMb).toFixed(2)}×\n` +
            (Number.isFinite(perWorkflow)
              ? `cache cost: ${perWorkflow.toFixed(2)} MB per cached workflow\n`
              : '')) +
        (speed && lean
          ? `loaded worker RSS, optimizeForSize on / off (cache ${capped}): ${(lean.loadedMb / speed.loadedMb).toFixed(2)}×\n`
          : '') +
        `goal: worker RSS ≤ ${GOAL_MB} MB under this load (${judged.name}): ${judged.loadedMb <= GOAL_MB ? 'met' : 'NOT met'} (${judged.loadedMb.toFixed(0)} MB)\n`,
    );
  } finally {
    await connection.close();
    await new Promise((resolve) => target.close(resolve));
    await temporal.stop();
  }
}
