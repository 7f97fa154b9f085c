/**
 * Ordered vs unordered throughput: the same signed events through Junction's server and worker (each its
 * own process, as deployed) to an application that takes a few milliseconds per event, once on a route with
 * an `orderingKey` (one at a time per key, through a sequencer) and once on a route without. Prints ingest
 * rate and latency (until the 202) and end-to-end delivery rate (until the application has every event).
 * Rounds alternate between the two so machine noise hits both alike.
 *
 *   npm run bench -- ordering   (JUNCTION_BENCH_EVENTS, JUNCTION_BENCH_KEYS, JUNCTION_BENCH_CONCURRENCY,
 *                                JUNCTION_BENCH_ROUNDS, JUNCTION_BENCH_APP_MS)
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { parseConfig } from '../src/config/load';
import { SCHEMES } from '../src/webhooks/schemes';
import { benchTemporal, numberFromEnv } from './lib/env';
import { runLoad, type LoadResult } from './lib/load';
import { startJunctionProcess } from './lib/processes';

const EVENTS = numberFromEnv('JUNCTION_BENCH_EVENTS', 200);
const KEYS = numberFromEnv('JUNCTION_BENCH_KEYS', 10);
const CONCURRENCY = numberFromEnv('JUNCTION_BENCH_CONCURRENCY', 16);
const ROUNDS = numberFromEnv('JUNCTION_BENCH_ROUNDS', 2);
const APP_MS = numberFromEnv('JUNCTION_BENCH_APP_MS', 5);

interface Row {
  name: string;
  ingest: LoadResult[];
  endToEndSeconds: number[];
}

export async function benchOrdering(): Promise<void> {
  const temporal = await benchTemporal();
  let delivered = 0;
  const app = createServer((req, res) => {
    req.resume();
    req.on('end', () =>
      setTimeout(() => {
        delivered++;
        res.writeHead(204).end();
      }, APP_MS),
    );
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  const secret = `whsec_${Buffer.from(randomUUID()).toString('base64')}`;
  const rawConfig = {
    temporal: { taskQueue: `bench-ordering-${randomUUID().slice(0, 8)}` },
    // The application is on loopback: `server` and `worker` refuse it unless allowed.
    network: { allowPrivate: ['127.0.0.0/8'] },
    sources: [
      {
        id: 'bench',
        scheme: 'standard-webhooks',
        secrets: [secret],
        routes: [
          {
            name: 'ordered',
            events: ['ordered.*'],
            orderingKey: 'data.customer',
            forward: { url: `${appUrl}/o` },
          },
          { name: 'parallel', events: ['parallel.*'], forward: { url: `${appUrl}/p` } },
        ],
      },
    ],
  };
  const source = parseConfig(rawConfig, {}).sources[0]!;
  const env = { TEMPORAL_ADDRESS: temporal.address };
  const [worker, server] = await Promise.all([
    startJunctionProcess('worker', rawConfig, env),
    startJunctionProcess('server', rawConfig, env),
  ]);
  const pool = new Pool(server.url, { connections: CONCURRENCY });

  const requests = (type: string, count: number) =>
    Array.from({ length: count }, (_, i) =>
      SCHEMES['standard-webhooks'].sign(source, {
        body: JSON.stringify({ type, data: { customer: `cus_${i % KEYS}`, seq: i } }),
      }),
    );
  const run = async (name: string, type: string): Promise<{ ingest: LoadResult; seconds: number }> => {
    const signed = requests(type, EVENTS);
    const before = delivered;
    const started = process.hrtime.bigint();
    const ingest = await runLoad(name, EVENTS, CONCURRENCY, async (i) => {
      const request = signed[i]!;
      const response = await pool.request({
        method: 'POST',
        path: '/webhooks/bench',
        headers: request.headers,
        body: request.body,
      });
      await response.body.dump();
      return response.statusCode === 202;
    });
    const deadline = Date.now() + 300_000;
    while (delivered - before < EVENTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (delivered - before < EVENTS)
      throw new Error(`${name}: only ${delivered - before} of ${EVENTS} delivered`);
    return { ingest, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  };

  process.stderr.write(
    `ordering benchmark: ${ROUNDS} rounds × ${EVENTS} events, ${KEYS} keys, concurrency ${CONCURRENCY}, app ${APP_MS} ms/event\n`,
  );
  await run('warm', 'parallel.warm');
  await run('warm', 'ordered.warm');
  const rows: Record<'ordered' | 'parallel', Row> = {
    parallel: { name: 'unordered route', ingest: [], endToEndSeconds: [] },
    ordered: { name: `ordered route (${KEYS} keys)`, ingest: [], endToEndSeconds: [] },
  };
  for (let round = 0; round < ROUNDS; round++) {
    const order: Array<'ordered' | 'parallel'> =
      round % 2 === 0 ? ['parallel', 'ordered'] : ['ordered', 'parallel'];
    for (const kind of order) {
      const result = await run(kind, `${kind}.event`);
      rows[kind].ingest.push(result.ingest);
      rows[kind].endToEndSeconds.push(result.seconds);
    }
  }

  const header = [
    'scenario',
    'events',
    'errors',
    'ingest/s',
    'ingest p50 ms',
    'ingest p99 ms',
    'delivered/s',
  ];
  const lines = Object.values(rows).map((row) => {
    const events = row.ingest.reduce((sum, r) => sum + r.requests, 0);
    const ingestSeconds = row.ingest.reduce((sum, r) => sum + r.seconds, 0);
    const median = (values: number[]) =>
      values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
    const e2e = row.endToEndSeconds.reduce((sum, s) => sum + s, 0);
    return [
      row.name,
      String(events),
      String(row.ingest.reduce((sum, r) => sum + r.errors, 0)),
      (events / ingestSeconds).toFixed(1),
      median(row.ingest.map((r) => r.p50Ms)).toFixed(2),
      median(row.ingest.map((r) => r.p99Ms)).toFixed(2),
      (events / e2e).toFixed(1),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const format = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  process.stdout.write(
    `\nOrdered vs unordered delivery (concurrency ${CONCURRENCY}, all processes share 2 cores)\n` +
      `${format(header)}\n${lines.map(format).join('\n')}\n`,
  );

  await pool.close();
  await Promise.all([server.stop(), worker.stop()]);
  app.close();
  await temporal.stop();
}
