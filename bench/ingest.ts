/**
 * Ingest benchmark: signed webhooks through Junction's HTTP server beside a raw `client.workflow.start`
 * loop and a bare Fastify endpoint, at the same concurrency, on the same dev server with the same running
 * worker. Rounds alternate between scenarios so machine noise hits all of them alike.
 *
 *   npm run bench -- ingest        (JUNCTION_BENCH_REQUESTS, JUNCTION_BENCH_CONCURRENCY, JUNCTION_BENCH_ROUNDS)
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { Webhook } from 'standardwebhooks';
import { signedWebhook } from './lib/signedWebhook';
import { Pool } from 'undici';
import { createPayloadCodec, junctionDataConverter } from '../src/codec';
import { parseConfig } from '../src/config/load';
import { JUNCTION_SOURCE, JUNCTION_STATE } from '../src/shared/searchAttributes';
import { WEBHOOK_DELIVERY_WORKFLOW, type WebhookDeliveryInput } from '../src/shared/webhooks';
import { benchTemporal, numberFromEnv } from './lib/env';
import { addCpu, cpuMeter, findPid, printCpu } from './lib/cpu';
import { combine, printTable, runLoad, type LoadResult } from './lib/load';
import { BENCH_CODEC_KEYS, startBareServer, startJunctionProcess } from './lib/processes';

const REQUESTS = numberFromEnv('JUNCTION_BENCH_REQUESTS', 400);
const CONCURRENCY = numberFromEnv('JUNCTION_BENCH_CONCURRENCY', 16);
const ROUNDS = numberFromEnv('JUNCTION_BENCH_ROUNDS', 4);
const SECRET = `whsec_${Buffer.from(randomUUID()).toString('base64')}`;

function payload(id: string): string {
  return JSON.stringify({
    type: 'order.created',
    timestamp: new Date().toISOString(),
    data: { id, customer: 'cus_123', amount: 4200, currency: 'eur', items: [{ sku: 'sku_1', quantity: 2 }] },
  });
}

function signedRequests(count: number) {
  const webhook = new Webhook(SECRET);
  return Array.from({ length: count }, () => signedWebhook(webhook, payload));
}

async function post(pool: Pool, path: string, request: { body: string; headers: Record<string, string> }) {
  const response = await pool.request({ method: 'POST', path, headers: request.headers, body: request.body });
  await response.body.dump();
  return response.statusCode === 202;
}

export async function benchIngest(): Promise<void> {
  const temporal = await benchTemporal();
  const target = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;

  const taskQueue = `bench-${randomUUID().slice(0, 8)}`;
  const rawConfig = {
    temporal: { taskQueue },
    // The sink is on loopback: `server` and `worker` refuse it unless allowed.
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
  const config = parseConfig(rawConfig, {});
  // Each part in its own process, as deployed: the worker, Junction's HTTP server, the bare baseline.
  // This process only generates load (and runs the raw start loop, as an application service would).
  // The server and worker encrypt every payload; the raw start loop uses the same codec, so both pay for it.
  const env = { TEMPORAL_ADDRESS: temporal.address };
  const [worker, server, bare] = await Promise.all([
    startJunctionProcess('worker', rawConfig, env),
    startJunctionProcess('server', rawConfig, env),
    startBareServer(),
  ]);

  const connection = await Connection.connect({ address: temporal.address });
  const codec = createPayloadCodec(parseConfig({}, { JUNCTION_CODEC_KEYS: BENCH_CODEC_KEYS }));
  const client = new Client({ connection, dataConverter: junctionDataConverter(codec) });
  const junctionPool = new Pool(server.url, { connections: CONCURRENCY });
  const barePool = new Pool(bare.url, { connections: CONCURRENCY });

  const rawStart = async () => {
    const id = `msg_${randomUUID()}`;
    const input: WebhookDeliveryInput = {
      event: {
        sourceId: 'bench',
        deliveryId: id,
        eventType: 'order.created',
        receivedAt: new Date().toISOString(),
        contentType: 'application/json',
        body: { encoding: 'utf8', data: payload(id) },
      },
      targets: [{ route: 'route-0', kind: 'forward', timeoutMs: 10_000 }],
      retry: config.delivery.retry,
    };
    await client.workflow.start(WEBHOOK_DELIVERY_WORKFLOW, {
      workflowId: `webhook:bench:${id}`,
      taskQueue,
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
      typedSearchAttributes: [
        { key: JUNCTION_SOURCE, value: 'bench' },
        { key: JUNCTION_STATE, value: 'delivering' },
      ],
    });
    return true;
  };

  process.stderr.write(
    `ingest benchmark: ${ROUNDS} rounds × ${REQUESTS} requests per scenario, concurrency ${CONCURRENCY}, Temporal ${temporal.address}\n`,
  );
  // Warm-up: connections, JIT, the worker's workflow cache.
  const warm = signedRequests(50);
  await runLoad('warm', 50, CONCURRENCY, (i) => post(junctionPool, '/webhooks/bench', warm[i]!));
  await runLoad('warm', 50, CONCURRENCY, rawStart);

  // Every started workflow goes on to run on the worker; a scenario must not pay for the previous one's
  // backlog, so each starts only once the worker has caught up.
  const idle = async () => {
    const query = `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`;
    while ((await client.workflow.count(query)).count > 0)
      await new Promise((resolve) => setTimeout(resolve, 250));
  };

  const rounds: Record<'bare' | 'raw' | 'ingest', LoadResult[]> = { bare: [], raw: [], ingest: [] };
  const cpu: Record<'raw' | 'ingest', Record<string, number>> = { raw: {}, ingest: {} };
  const pids = {
    'load generator': process.pid,
    server: server.child.pid,
    worker: worker.child.pid,
    'temporal dev server': findPid('temporal', 'start-dev'),
  };
  for (let round = 0; round < ROUNDS; round++) {
    const requests = signedRequests(REQUESTS);
    const raw = async () => {
      await idle();
      const stop = cpuMeter(pids);
      rounds.raw.push(await runLoad('raw', REQUESTS, CONCURRENCY, rawStart));
      await idle(); // CPU is counted until the worker has run every workflow this scenario started
      addCpu(cpu.raw, stop());
    };
    const ingest = async () => {
      await idle();
      const stop = cpuMeter(pids);
      rounds.ingest.push(
        await runLoad('ingest', REQUESTS, CONCURRENCY, (i) =>
          post(junctionPool, '/webhooks/bench', requests[i]!),
        ),
      );
      await idle();
      addCpu(cpu.ingest, stop());
    };
    rounds.bare.push(
      await runLoad('bare', REQUESTS, CONCURRENCY, (i) => post(barePool, '/webhooks/bench', requests[i]!)),
    );
    // Alternate which goes first, so drift over the run favours neither.
    if (round % 2 === 0) {
      await raw();
      await ingest();
    } else {
      await ingest();
      await raw();
    }
  }
  const bareResult = combine('bare Fastify endpoint (no Temporal)', rounds.bare);
  const rawResult = combine('raw client.workflow.start', rounds.raw);
  const ingestResult = combine('signed webhook ingest (Junction)', rounds.ingest);
  printTable(`Webhook ingest, concurrency ${CONCURRENCY}`, [bareResult, rawResult, ingestResult]);
  const rateRatio = ingestResult.perSecond / rawResult.perSecond;
  const p99Ratio = ingestResult.p99Ms / rawResult.p99Ms;
  process.stdout.write(
    `ingest / raw start rate: ${rateRatio.toFixed(2)}× (target ≥ 0.90×)\n` +
      `ingest / raw start p99:  ${p99Ratio.toFixed(2)}× (target ≤ 1.25×)\n` +
      `bare Fastify / ingest rate: ${(bareResult.perSecond / ingestResult.perSecond).toFixed(1)}×\n`,
  );

  printCpu(
    'CPU per request, by process, until every started workflow has run (all processes share 2 cores)',
    [
      { name: 'raw client.workflow.start', requests: rawResult.requests, cpu: cpu.raw },
      { name: 'signed webhook ingest (Junction)', requests: ingestResult.requests, cpu: cpu.ingest },
    ],
  );

  await junctionPool.close();
  await barePool.close();
  await connection.close();
  await Promise.all([server.stop(), worker.stop(), bare.stop()]);
  target.close();
  await temporal.stop();
}
