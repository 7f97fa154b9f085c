/**
 * Sync benchmark, on the PostgreSQL server the tests use (JUNCTION_BENCH_DATABASE_URL), a schema of its own:
 *
 *  1. records/s of a real sync (Junction's worker and server processes, the fake CRM, PostgreSQL) beside a
 *     raw loop that fetches the same pages from the same CRM and upserts them into the same store with plain
 *     SQL, in the same run: first SMALL records, then BIG - SMALL more (an incremental run);
 *  2. the worker's resident memory once SMALL and once BIG records are synced (it should stay flat);
 *  3. p50/p95 of a 100-record `GET /records` page at random cursors of a stream of ROWS change rows (seeded
 *     by SQL), beside the same request on a 1,000-row stream and the store's read alone (no HTTP).
 *
 *   npm run bench -- sync   (JUNCTION_BENCH_SYNC_SMALL, _BIG, _PAGE_SIZE, _ROWS, _READS)
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { ContactsProvider, contactsProviderDeclaration } from '../src/demo/syncProvider';
import { LOOPBACK_CIDRS } from '../src/network/destinations';
import { encodeCursor } from '../src/sync/cursor';
import { openRecordStore } from '../src/sync/store/open';
import { streamIdOf, type RecordStore } from '../src/sync/store/recordStore';
import { benchTemporal, numberFromEnv } from './lib/env';
import { startJunctionProcess, type BenchProcess } from './lib/processes';
import { pageTimes } from './lib/pageTimes';
import { rawFetchAndUpsert, rssMb, seedStream } from './lib/syncBaseline';

const SMALL = numberFromEnv('JUNCTION_BENCH_SYNC_SMALL', 10_000);
const BIG = numberFromEnv('JUNCTION_BENCH_SYNC_BIG', 100_000);
const PAGE_SIZE = numberFromEnv('JUNCTION_BENCH_SYNC_PAGE_SIZE', 500);
const ROWS = numberFromEnv('JUNCTION_BENCH_SYNC_ROWS', 1_000_000);
const READS = numberFromEnv('JUNCTION_BENCH_SYNC_READS', 300);
const DATABASE_URL =
  process.env.JUNCTION_BENCH_DATABASE_URL ??
  process.env.JUNCTION_TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/test';

const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;

function table(title: string, header: string[], rows: string[][]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  process.stdout.write(`\n${title}\n${line(header)}\n${rows.map(line).join('\n')}\n`);
}

interface Bench {
  crm: ContactsProvider;
  store: RecordStore;
  server: BenchProcess;
  worker: BenchProcess;
  api(method: string, path: string, body?: unknown): Promise<Record<string, unknown>>;
  providerId: string;
  apiKey: string;
  client: Client;
}

/**
 * Asks for a run (or enables the stream) and times it until the store shows it finished: its records
 * committed and its checkpoint moved (`finishRun`). The store is watched, not the status query: every query
 * is a workflow task on the worker being measured (20 a second when polled every 50 ms).
 * Then waits for the status query to count run `runs` (untimed); seconds and peak worker RSS.
 */
async function timedRun(
  bench: Bench,
  path: string,
  streamId: string,
  runs: number,
  start: () => Promise<unknown>,
) {
  const wall = new Date();
  const began = process.hrtime.bigint();
  await start();
  let peak = 0;
  let elapsed: number | undefined;
  for (;;) {
    peak = Math.max(peak, rssMb(bench.worker.child.pid!).rss);
    const { rows } = await bench.store.db.query<{ run_id: string | null; last_success_at: Date | null }>(
      'SELECT run_id, last_success_at FROM sync_streams WHERE stream_id = $1',
      [streamId],
    );
    const row = rows[0];
    if (row && row.run_id === null && row.last_success_at !== null && row.last_success_at >= wall) {
      elapsed = seconds(began);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  for (;;) {
    const status = await bench.api('GET', path);
    if (Number(status.runs) >= runs && status.state !== 'syncing') {
      if (status.state !== 'idle') throw new Error(`the sync ended ${JSON.stringify(status)}`);
      return { seconds: elapsed, peak, lastRun: status.lastRun as Record<string, number> };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function rawRun(bench: Bench, streamId: string, since: number) {
  const began = process.hrtime.bigint();
  const done = await rawFetchAndUpsert({
    db: bench.store.db,
    streamId,
    crmUrl: bench.crm.url,
    apiKey: bench.apiKey,
    pageSize: PAGE_SIZE,
    since,
  });
  return { ...done, seconds: seconds(began) };
}

/** Part 1 and 2: sync vs raw loop, SMALL then BIG records; the worker's memory at each. */
async function throughput(bench: Bench) {
  const connectionId = `bench-${randomUUID().slice(0, 8)}`;
  const path = `/connections/${connectionId}/syncs/contacts`;
  await bench.api('POST', '/connections', {
    providerId: bench.providerId,
    connectionId,
    credentials: { apiKey: bench.apiKey },
  });
  const rawStream = await bench.store.ensureStream(`raw-${connectionId}`, 'contacts', bench.providerId);
  const rows: string[][] = [];
  const ratios: string[] = [];
  const memory: string[][] = [];
  const phase = async (label: string, records: number, since: number, run: () => Promise<unknown>) => {
    const raw = await rawRun(bench, rawStream, since);
    const synced = await timedRun(
      bench,
      path,
      streamIdOf(connectionId, 'contacts'),
      label === 'first' ? 1 : 2,
      run,
    );
    // An incremental listing includes its checkpoint's own record (`updated_since` is inclusive): both fetch it.
    if (synced.lastRun.added !== records || raw.records - records > 1 || raw.records < records) {
      throw new Error(`expected ${records} records: sync ${synced.lastRun.added}, raw ${raw.records}`);
    }
    const rawRate = records / raw.seconds;
    const syncRate = records / synced.seconds;
    rows.push([
      `raw fetch + SQL upsert (${label} run)`,
      String(records),
      raw.seconds.toFixed(1),
      rawRate.toFixed(0),
    ]);
    rows.push([
      `Junction sync (${label} run)`,
      String(records),
      synced.seconds.toFixed(1),
      syncRate.toFixed(0),
    ]);
    ratios.push(`${label} run: sync / raw ${(syncRate / rawRate).toFixed(2)}× (goal ≥ 0.70×)`);
    const now = rssMb(bench.worker.child.pid!);
    return { raw, synced, now };
  };
  const first = await phase('first', SMALL, 0, () => bench.api('PUT', path));
  memory.push([
    `${SMALL} synced`,
    first.now.rss.toFixed(0),
    first.synced.peak.toFixed(0),
    first.now.peak.toFixed(0),
  ]);
  bench.crm.create(BIG - SMALL);
  const second = await phase('incremental', BIG - SMALL, first.raw.maxUpdatedAt, () =>
    bench.api('POST', `${path}/run`, {}),
  );
  memory.push([
    `${BIG} synced`,
    second.now.rss.toFixed(0),
    second.synced.peak.toFixed(0),
    second.now.peak.toFixed(0),
  ]);
  table(`Sync throughput, ${PAGE_SIZE} records a page`, ['scenario', 'records', 's', 'records/s'], rows);
  process.stdout.write(`${ratios.join('\n')}\n`);
  table('Worker resident memory (MB)', ['after', 'RSS', 'peak RSS during run', 'process peak'], memory);
  process.stdout.write(
    `RSS at ${BIG} / at ${SMALL}: ${(second.now.rss / first.now.rss).toFixed(2)}× (flat: about 1×)\n`,
  );
  // Where a page's time goes (the workflow run that holds the incremental run's pages).
  const times = await pageTimes(bench.client, `sync:${connectionId}:contacts`);
  const rawPageMs = (second.raw.seconds * 1_000) / Math.ceil(second.raw.records / PAGE_SIZE);
  const pages = second.synced.lastRun.pages ?? NaN;
  process.stdout.write(
    `page activities in the stream's latest workflow run: ${times.activities}, each ` +
      `${times.activityMs.toFixed(0)} ms (fetching, mapping, validating and writing pages for up to 2 s), ` +
      `queued ${times.queuedMs.toFixed(0)} ms, workflow turn between two of them ` +
      `${times.workflowTurnMs.toFixed(0)} ms\nper page, incremental run (${pages} pages): sync ` +
      `${((second.synced.seconds * 1_000) / pages).toFixed(0)} ms end to end, raw loop ${rawPageMs.toFixed(0)} ms\n`,
  );
}

/** Part 3: `GET /records` at ROWS change rows beside 1,000 rows and the store's read alone. */
async function readLatency(bench: Bench) {
  const big = `million-${randomUUID().slice(0, 8)}`;
  const small = `thousand-${randomUUID().slice(0, 8)}`;
  const seeding = process.hrtime.bigint();
  await seedStream(bench.store.db, big, bench.providerId, ROWS);
  await seedStream(bench.store.db, small, bench.providerId, 1_000);
  process.stderr.write(`seeded ${ROWS} change rows in ${seconds(seeding).toFixed(1)} s\n`);
  const get = async (connectionId: string, rows: number) => {
    const cursor = encodeCursor(randomInt(0, rows - 100));
    const t0 = process.hrtime.bigint();
    const page = await bench.api('GET', `/records/${connectionId}/contacts?limit=100&cursor=${cursor}`);
    if ((page.records as unknown[]).length !== 100) throw new Error('a page of fewer than 100 records');
    return seconds(t0) * 1_000;
  };
  const direct = async () => {
    const t0 = process.hrtime.bigint();
    await bench.store.changes(`${big}:contacts`, randomInt(0, ROWS - 100), 101);
    return seconds(t0) * 1_000;
  };
  for (let i = 0; i < 30; i++) await Promise.all([get(big, ROWS), get(small, 1_000), direct()]);
  const samples: Record<'big' | 'small' | 'direct', number[]> = { big: [], small: [], direct: [] };
  // Interleaved, one request at a time: the machine's noise hits all three alike.
  for (let i = 0; i < READS; i++) {
    samples.small.push(await get(small, 1_000));
    samples.big.push(await get(big, ROWS));
    samples.direct.push(await direct());
  }
  const row = (name: string, values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return [
      name,
      String(values.length),
      percentile(sorted, 50).toFixed(2),
      percentile(sorted, 95).toFixed(2),
    ];
  };
  table(
    'GET /records, 100 records a page at a random cursor, one request at a time',
    ['scenario', 'requests', 'p50 ms', 'p95 ms'],
    [
      row('GET /records, stream of 1,000 change rows', samples.small),
      row(`GET /records, stream of ${ROWS} change rows`, samples.big),
      row(`store read alone (SQL, no HTTP), ${ROWS} rows`, samples.direct),
    ],
  );
  const p95 = (values: number[]) =>
    percentile(
      [...values].sort((a, b) => a - b),
      95,
    );
  process.stdout.write(
    `p95 at ${ROWS} rows / at 1,000 rows: ${(p95(samples.big) / p95(samples.small)).toFixed(2)}× (flat: about 1×)\n`,
  );
}

export async function benchSync(): Promise<void> {
  const temporal = await benchTemporal();
  const apiKey = `sk_bench_${randomBytes(12).toString('hex')}`;
  const adminKey = `admin-${randomBytes(16).toString('hex')}`;
  const schema = `bench_sync_${randomUUID().slice(0, 8)}`;
  const crm = await new ContactsProvider({ apiKey, initial: SMALL }).start();
  const providerId = `crm-${randomUUID().slice(0, 8)}`;
  const declaration = contactsProviderDeclaration(providerId, crm.url, { frequencySeconds: 86_400 });
  declaration.syncs.contacts.endpoint = {
    ...declaration.syncs.contacts.endpoint,
    query: { limit: PAGE_SIZE },
  };
  const rawConfig = {
    temporal: { taskQueue: `bench-${randomUUID().slice(0, 8)}` },
    network: { allowPrivate: [...LOOPBACK_CIDRS] },
    admin: { apiKeys: [adminKey] },
    providers: [declaration],
    syncs: { database: { url: DATABASE_URL, schema } },
  };
  // The store's schema first (migrated once), then the worker and the server, as deployed.
  const store = await openRecordStore({ url: DATABASE_URL, schema, poolSize: 4 });
  const env = { TEMPORAL_ADDRESS: temporal.address };
  const worker = await startJunctionProcess('worker', rawConfig, env);
  const server = await startJunctionProcess('server', rawConfig, env);
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${adminKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as Record<string, unknown>;
    if (response.status >= 300)
      throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  const bench: Bench = { crm, store, server, worker, api, providerId, apiKey, client };
  process.stderr.write(
    `sync benchmark: ${SMALL} then ${BIG} records, pages of ${PAGE_SIZE}; reads at ${ROWS} rows; Temporal ${temporal.address}\n`,
  );
  try {
    await throughput(bench);
    await readLatency(bench);
  } finally {
    await Promise.all([server.stop(), worker.stop(), connection.close()]);
    await store.db.close();
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
    await crm.stop();
    await temporal.stop();
  }
}
