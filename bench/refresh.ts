/**
 * Refresh benchmark. A fleet of callers on an expired token through Junction (credential caches in two caller
 * processes, the workflow on its worker) beside a naive baseline in which every caller asks the token
 * endpoint itself, against the same real OAuth server (oidc-provider) in the same run. The token endpoint
 * answers after JUNCTION_BENCH_TOKEN_DELAY_MS, as a real provider would; the goal is a wall time of at most
 * 1.5 × one token-endpoint round trip plus one second. Then the cost of a cached lookup beside a Map lookup.
 *
 *   npm run bench -- refresh   (JUNCTION_BENCH_CACHES 200, JUNCTION_BENCH_CALLERS_PER_CACHE 5,
 *                               JUNCTION_BENCH_TOKEN_DELAY_MS 300, JUNCTION_BENCH_LOOKUPS 200000)
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { assembleJunction } from '../src/app/assemble';
import { createMetrics } from '../src/metrics/registry';
import { ConnectionsClient } from '../src/client/connectionsClient';
import { AesGcmPayloadCodec, junctionDataConverter } from '../src/codec';
import { parseConfig } from '../src/config/load';
import { createCredentialCache, headerShape, refreshTiming } from '../src/connections';
import { createLogger } from '../src/logging/logger';
import { loadOAuth } from '../src/oauth/lib';
import { ProviderCatalogue } from '../src/providers/catalogue';
import { bundleJunctionWorkflows } from '../src/workers/worker';
import { startFleetCaller } from '../test/helpers/fleet';
import { startOAuthServer } from '../test/helpers/oauthServer';
import { benchTemporal, numberFromEnv } from './lib/env';

const CACHES = numberFromEnv('JUNCTION_BENCH_CACHES', 200);
const CALLERS_PER_CACHE = numberFromEnv('JUNCTION_BENCH_CALLERS_PER_CACHE', 5);
const TOKEN_DELAY_MS = numberFromEnv('JUNCTION_BENCH_TOKEN_DELAY_MS', 300);
const LOOKUPS = numberFromEnv('JUNCTION_BENCH_LOOKUPS', 200_000);
const TTL_SECONDS = 10;

function table(title: string, header: string[], rows: string[][]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  process.stdout.write(`\n${title}\n${line(header)}\n${rows.map(line).join('\n')}\n`);
}

export async function benchRefresh(): Promise<void> {
  const temporal = await benchTemporal();
  const secret = randomBytes(16).toString('hex');
  const oauth = await startOAuthServer({
    clients: [
      {
        client_id: 'bench',
        client_secret: secret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        x_access_token_ttl: TTL_SECONDS,
      },
    ],
  });
  const taskQueue = `bench-refresh-${randomBytes(4).toString('hex')}`;
  const config = parseConfig(
    {
      temporal: { taskQueue },
      providers: [
        {
          id: 'bench',
          auth: { mode: 'client_credentials', tokenUrl: `${oauth.issuer}/token`, refreshMarginSeconds: 0 },
          apiBaseUrl: oauth.issuer,
          client: { clientId: 'bench', clientSecret: secret },
        },
      ],
    },
    {},
  );
  const key = randomBytes(32);
  const codec = new AesGcmPayloadCodec([{ id: 'bench', key }]);
  const codecEnv = { ...process.env, JUNCTION_CODEC_KEYS: `bench:${key.toString('base64')}` };
  const dataConverter = junctionDataConverter(codec);
  const logger = createLogger({ level: 'warn', pretty: false });
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, dataConverter });
  const bundle = await bundleJunctionWorkflows(logger);
  // Junction's worker, assembled as `junction worker` assembles it (no provider-call workers needed here).
  const startWorker = async () => {
    const native = await NativeConnection.connect({ address: temporal.address });
    const assembled = await assembleJunction({
      config,
      logger,
      metrics: createMetrics({ defaultMetrics: false }),
      codec,
      connection,
      namespace: 'default',
      worker: { connection: native, workflowBundle: { code: bundle.code }, providers: [] },
      api: false,
    });
    const running = assembled.run();
    return { assembled, running, native };
  };
  const stop = async (w: Awaited<ReturnType<typeof startWorker>>) => {
    await w.assembled.stopWorkers();
    await w.running.catch(() => undefined);
    await w.native.close();
  };

  let worker = await startWorker();
  const connections = new ConnectionsClient(client, taskQueue);
  const provider = new ProviderCatalogue(config.providers).get('bench')!;
  const connectionId = `bench-${randomBytes(4).toString('hex')}`;
  await connections.create({
    connectionId,
    providerId: 'bench',
    mode: 'client_credentials',
    scopes: [],
    secrets: {},
    timing: refreshTiming(provider, config.connections),
    headerShape: headerShape(provider),
  });

  // One token-endpoint round trip, as a caller sees it (median of five).
  await oauth.delayTokenRequests(TOKEN_DELAY_MS);
  const lib = await loadOAuth();
  const as = { issuer: oauth.issuer, token_endpoint: `${oauth.issuer}/token` };
  const tokenRequest = async () => {
    const response = await lib.clientCredentialsGrantRequest(
      as,
      { client_id: 'bench' },
      lib.ClientSecretBasic(secret),
      {},
      { [lib.allowInsecureRequests]: true },
    );
    return lib.processClientCredentialsResponse(as, { client_id: 'bench' }, response);
  };
  const trips: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await tokenRequest();
    trips.push(performance.now() - started);
  }
  const roundTripMs = trips.sort((a, b) => a - b)[2]!;

  // Junction: two caller processes with CACHES / 2 caches each, warmed on the current token; then the worker
  // stops so the token expires unrefreshed, comes back, and every caller asks at once.
  const fleet = await Promise.all(
    [0, 1].map(() =>
      startFleetCaller(
        {
          address: temporal.address,
          connectionId,
          caches: Math.ceil(CACHES / 2),
          callersPerCache: CALLERS_PER_CACHE,
        },
        codecEnv,
      ),
    ),
  );
  await Promise.all(fleet.map((caller) => caller.burst('stale')));
  await stop(worker);
  await new Promise((resolve) => setTimeout(resolve, (TTL_SECONDS + 1) * 1000));
  worker = await startWorker();
  const before = await oauth.stats();
  let started = performance.now();
  const results = await Promise.all(fleet.map((caller) => caller.burst('stale')));
  const junctionMs = performance.now() - started;
  const junctionRequests = (await oauth.stats()).tokenRequests - before.tokenRequests;
  const callers = results.reduce((sum, r) => sum + r.ok + r.errors.length, 0);
  const errors = results.reduce((sum, r) => sum + r.errors.length, 0);
  await Promise.all(fleet.map((caller) => caller.stop()));

  // Baseline: every caller refreshes for itself, straight to the token endpoint.
  const mid = await oauth.stats();
  started = performance.now();
  await Promise.all(Array.from({ length: callers }, tokenRequest));
  const naiveMs = performance.now() - started;
  const naiveRequests = (await oauth.stats()).tokenRequests - mid.tokenRequests;
  await oauth.delayTokenRequests(0);

  const goalMs = 1.5 * roundTripMs + 1_000;
  table(
    `refresh: ${callers} callers in ${CACHES} caches (2 processes) on an expired token; token endpoint ${roundTripMs.toFixed(0)} ms`,
    ['scenario', 'token requests', 'caller errors', 'wall ms', 'ratio to naive'],
    [
      [
        'junction (caches → renewCredentials)',
        String(junctionRequests),
        String(errors),
        junctionMs.toFixed(0),
        (junctionMs / naiveMs).toFixed(2),
      ],
      ['naive: refresh per caller', String(naiveRequests), '0', naiveMs.toFixed(0), '1.00'],
    ],
  );
  process.stdout.write(
    `goal: wall ≤ 1.5 × round trip + 1 s = ${goalMs.toFixed(0)} ms → ${junctionMs <= goalMs ? 'met' : 'MISSED'} (${(junctionMs / goalMs).toFixed(2)} of the bound)\n`,
  );

  // Cached lookups: a warm cache against a bare Map.get of the same entry.
  const warm = createCredentialCache({ client, minValidityMs: 0 });
  await warm.authHeaders(connectionId);
  started = performance.now();
  for (let i = 0; i < LOOKUPS; i++) await warm.authHeaders(connectionId);
  const cachedNs = ((performance.now() - started) * 1e6) / LOOKUPS;
  const map = new Map([[connectionId, { headers: {} }]]);
  started = performance.now();
  for (let i = 0; i < LOOKUPS; i++) await Promise.resolve(map.get(connectionId));
  const mapNs = ((performance.now() - started) * 1e6) / LOOKUPS;
  table(
    `cached lookup cost (${LOOKUPS} calls)`,
    ['scenario', 'ns/call', 'ratio'],
    [
      ['credentials cache authHeaders', cachedNs.toFixed(0), (cachedNs / mapNs).toFixed(2)],
      ['baseline: await Map.get', mapNs.toFixed(0), '1.00'],
    ],
  );

  await stop(worker);
  await connection.close();
  await oauth.close();
  await temporal.stop();
}
