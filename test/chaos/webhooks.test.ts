import { randomBytes } from 'node:crypto';
import { LOOPBACK_CIDRS } from '../../src/network/destinations';
import { eventually, uniqueName } from '../helpers/temporal';
import { chaosSources, type ChaosEvent } from './events';
import { Fleet } from './fleet';
import { Sender, type CopyResult } from './sender';
import { Sink } from './sink';
import { formatTable } from '../../src/cli/table';

/**
 * Chaos at volume: signed webhooks of four schemes, a tenth of them sent twice (half of those concurrently),
 * to Junction as separate processes (one server, two workers) on a Temporal dev server of the test's own,
 * while a worker is SIGKILLed three times, the server once, and Temporal is stopped and started again. Every
 * event answered 202 must reach the application exactly once by delivery id; none may be lost.
 *
 *   JUNCTION_CHAOS_WEBHOOKS (default 5000), JUNCTION_CHAOS_CONCURRENCY (default 16)
 *
 * The bounds below are generous for a 2-core machine: a quiet one sends and delivers 2,000 in about two
 * minutes; a busy one (other test runs beside it) took 5.5 minutes for 2,000, the workers' delivery being the
 * bottleneck. They bound the run; the figures printed are what to read.
 */
const COUNT = Number(process.env.JUNCTION_CHAOS_WEBHOOKS) || 5_000;
const CONCURRENCY = Number(process.env.JUNCTION_CHAOS_CONCURRENCY) || 16;
/** The whole run is bounded: sending stops here whatever happens, and every process is stopped after. */
const SEND_BUDGET_MS = 12 * 60_000;
const DELIVERY_BUDGET_MS = 8 * 60_000;

let fleet: Fleet | undefined;
let sender: Sender | undefined;
/** The application's secret: every delivery must verify with it. */
const DELIVERY_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const sink = new Sink(DELIVERY_SECRET);

afterAll(async () => {
  await sender?.close();
  await fleet?.stop();
  await sink.close();
});

interface Fault {
  /** The share of events sent when it starts. */
  at: number;
  name: string;
  run: () => Promise<void>;
  /** Faults that must be over first (a worker killed again; Temporal stopped only once all are back). */
  after: string[];
}

/** The faults, each at a share of the events sent; a fault lasts until its repair is running. */
function faultPlan(f: Fleet): Fault[] {
  return [
    { at: 0.05, name: 'worker-a kill 1', run: () => f.killAndRestart('worker-a'), after: [] },
    { at: 0.12, name: 'worker-b kill', run: () => f.killAndRestart('worker-b'), after: [] },
    {
      at: 0.25,
      name: 'worker-a kill 2',
      run: () => f.killAndRestart('worker-a'),
      after: ['worker-a kill 1'],
    },
    { at: 0.4, name: 'server kill', run: () => f.killAndRestart('server'), after: [] },
    {
      at: 0.5,
      name: 'temporal stop+start',
      run: async () => {
        await f.stopTemporal();
        await f.startTemporal();
      },
      after: ['worker-a kill 2', 'worker-b kill', 'server kill'],
    },
  ];
}

/**
 * Runs the plan as sending progresses. Faults may overlap (a worker takes a while to come back): the sender
 * labels each request with every fault in progress.
 */
async function runFaults(f: Fleet, s: Sender, progress: () => number): Promise<string[]> {
  const running = new Map<string, Promise<void>>();
  const ran: string[] = [];
  for (const fault of faultPlan(f)) {
    while (progress() < fault.at) await new Promise((resolve) => setTimeout(resolve, 100));
    await Promise.all(fault.after.map((name) => running.get(name) ?? Promise.resolve()));
    s.active.add(fault.name);
    const done = fault.run().finally(() => s.active.delete(fault.name));
    running.set(
      fault.name,
      done.then(
        () => void ran.push(fault.name),
        (error: unknown) => void ran.push(`${fault.name} FAILED: ${String(error)}`),
      ),
    );
  }
  await Promise.all(running.values());
  return ran;
}

/** Sends every event with `CONCURRENCY` lanes; every tenth event twice (concurrently, or once answered). */
async function sendAll(s: Sender, events: ChaosEvent[], onDone: () => void): Promise<CopyResult[]> {
  const results: CopyResult[] = [];
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < events.length; i = next++) {
      const event = events[i]!;
      if (i % 20 === 0) results.push(...(await Promise.all([s.send(event), s.send(event)])));
      else {
        results.push(await s.send(event));
        if (i % 20 === 10) results.push(await s.send(event));
      }
      onDone();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return results;
}

test(`${COUNT} signed webhooks through worker, server and Temporal faults: none lost, none delivered twice`, async () => {
  await sink.start();
  const { sources, event } = chaosSources(sink.url);
  fleet = await Fleet.start({
    temporal: { taskQueue: uniqueName('chaos'), shutdownGraceMs: 0 },
    server: { temporalTimeoutMs: 3_000 },
    network: { allowPrivate: [...LOOPBACK_CIDRS] },
    delivery: { retry: { initialIntervalMs: 500 }, signingSecrets: [DELIVERY_SECRET] },
    sources,
  });
  const events = Array.from({ length: COUNT }, (_, i) => event(i));
  sender = new Sender(fleet.serverUrl, Date.now() + SEND_BUDGET_MS);
  let done = 0;
  const started = performance.now();
  const faults = runFaults(fleet, sender, () => done / COUNT);
  const results = await sendAll(sender, events, () => done++);
  const sendSeconds = (performance.now() - started) / 1000;
  const ran = await faults;

  const acceptedIds = new Set(results.filter((r) => r.answer).map((r) => r.event.deliveryId));
  const missing = () => [...acceptedIds].filter((id) => !sink.attempts.has(id));
  await eventually(() => missing().length === 0, { timeoutMs: DELIVERY_BUDGET_MS, intervalMs: 500 }).catch(
    () => undefined,
  );
  const allSeconds = (performance.now() - started) / 1000;

  const answered503 = results.filter((r) => r.saw503);
  const duplicates = results.filter((r) => r.answer === 'duplicate').length;
  const unexpected = results.flatMap((r) => r.unexpected);
  const figures: Array<[string, string | number]> = [
    ['webhooks (distinct events)', COUNT],
    ['requests sent incl. second copies', results.length],
    ['accepted (202, or Twilio 200: distinct events)', acceptedIds.size],
    ['duplicates answered (202 duplicate; Twilio does not say)', duplicates],
    ['copies answered 503 first', answered503.length],
    ['  of those accepted on redelivery', answered503.filter((r) => r.answer).length],
    ['delivered (distinct delivery ids at the sink)', sink.attempts.size],
    ['lost (accepted, never delivered)', missing().length],
    ['double-delivered (same id and attempt twice)', sink.doubleDelivered().length],
    ['requests whose signature did not verify', sink.unverified],
    ['retried after a kill (same id, later attempt)', sink.retried()],
    ['unexpected answers (4xx, 500)', unexpected.length],
    [
      'worker/server exits not caused by the test',
      [...fleet.members.values()].reduce((n, m) => n + m.unexpectedExits, 0),
    ],
    ['ingest throughput (accepted events / s)', (acceptedIds.size / sendSeconds).toFixed(1)],
    ['end to end (delivered events / s)', (sink.attempts.size / allSeconds).toFixed(1)],
  ];
  process.stderr.write(
    `\nchaos: ${COUNT} webhooks, concurrency ${CONCURRENCY}, faults: ${ran.join(', ')}\n` +
      formatTable(
        ['figure', 'value'],
        figures.map(([k, v]) => [k, String(v)]),
      ) +
      '\ningest latency by phase (every HTTP attempt, ms)\n' +
      formatTable(['phase', 'attempts', '202', '503', 'conn errors', 'p50', 'p99'], sender.phaseTable()) +
      (unexpected.length ? `\nunexpected: ${unexpected.slice(0, 5).join(' | ')}\n` : '\n'),
  );

  expect([...ran].sort()).toEqual(
    faultPlan(fleet)
      .map((fault) => fault.name)
      .sort(),
  );
  // Every fault happened under load: each phase saw requests.
  const phases = sender.phaseTable().map((row) => row[0]!);
  for (const fault of ran) expect(phases.some((phase) => phase.split(' + ').includes(fault))).toBe(true);
  expect(unexpected).toEqual([]);
  // Only the test's kills stop a process: none died of the faults around it (Temporal away, say).
  expect([...fleet.members.values()].map((m) => m.unexpectedExits)).toEqual([0, 0, 0]);
  expect(acceptedIds.size).toBe(COUNT);
  expect(answered503.every((r) => r.answer)).toBe(true);
  expect(missing()).toEqual([]);
  expect(sink.doubleDelivered()).toEqual([]);
  expect(sink.attempts.size).toBe(COUNT);
  expect(sink.unverified).toBe(0);
});
