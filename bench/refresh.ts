/**
 * Refresh benchmark: N concurrent callers on an expired token through Junction (credential caches in two
 * "processes" plus raw getFreshToken updates) beside a naive refresh-per-caller baseline, against the same real
 * OAuth server (oidc-provider) in the same run; then the cost of a cached lookup beside a bare Map lookup.
 *
 *   npm run bench -- refresh      (JUNCTION_BENCH_CALLERS, default 200; JUNCTION_BENCH_LOOKUPS, default 200000)
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { ConnectionsClient } from '../src/client/connections';
import { AesGcmPayloadCodec, junctionDataConverter } from '../src/codec';
import { parseConfig } from '../src/config/load';
import { createCredentialCache, headerShape, refreshTiming } from '../src/connections';
import { createLogger } from '../src/logging/logger';
import { loadOAuth } from '../src/oauth/lib';
import { ProviderCatalogue } from '../src/providers/catalogue';
import { installRuntime } from '../src/temporal/runtime';
import { createJunctionWorker } from '../src/workers/worker';
import { startOAuthServer } from '../test/helpers/oauthServer';
import { benchTemporal, numberFromEnv } from './lib/env';
import { junctionActivities } from '../src/app/activities';

const CALLERS = numberFromEnv('JUNCTION_BENCH_CALLERS', 200);
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
  const codec = new AesGcmPayloadCodec([{ id: 'bench', key: randomBytes(32) }]);
  const dataConverter = junctionDataConverter(codec);
  const logger = createLogger({ level: 'warn', pretty: false });
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, dataConverter });
  await installRuntime(logger, { metrics: false });
  const startWorker = async (): Promise<{ worker: Worker; run: Promise<void>; native: NativeConnection }> => {
    const native = await NativeConnection.connect({ address: temporal.address });
    const worker = await createJunctionWorker({
      connection: native,
      namespace: 'default',
      taskQueue,
      shutdownGraceMs: 0,
      dataConverter,
      activities: await junctionActivities({ config, logger, connection, namespace: 'default', client }),
    });
    return { worker, run: worker.run(), native };
  };
  const stop = async (w: { worker: Worker; run: Promise<void>; native: NativeConnection }) => {
    w.worker.shutdown();
    await w.run;
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

  // Junction: stop the worker so the token expires unrefreshed, then N callers at once.
  await stop(worker);
  await new Promise((resolve) => setTimeout(resolve, (TTL_SECONDS + 1) * 1000));
  worker = await startWorker();
  const caches = [createCredentialCache({ client }), createCredentialCache({ client })];
  const before = await oauth.stats();
  let started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CALLERS }, (_, i) =>
      i % 10 === 9
        ? connections.getFreshToken(connectionId, { minValidityMs: 1_000 })
        : caches[i % 2]!.authHeaders(connectionId),
    ),
  );
  const junctionMs = Number(process.hrtime.bigint() - started) / 1e6;
  const junctionRequests = (await oauth.stats()).tokenRequests - before.tokenRequests;

  // Baseline: every caller refreshes for itself (oauth4webapi, straight to the token endpoint).
  const lib = await loadOAuth();
  const as = { issuer: oauth.issuer, token_endpoint: `${oauth.issuer}/token` };
  const mid = await oauth.stats();
  started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      const response = await lib.clientCredentialsGrantRequest(
        as,
        { client_id: 'bench' },
        lib.ClientSecretBasic(secret),
        {},
        { [lib.allowInsecureRequests]: true },
      );
      return lib.processClientCredentialsResponse(as, { client_id: 'bench' }, response);
    }),
  );
  const naiveMs = Number(process.hrtime.bigint() - started) / 1e6;
  const naiveRequests = (await oauth.stats()).tokenRequests - mid.tokenRequests;

  table(
    `refresh: ${CALLERS} concurrent callers on an expired token`,
    ['scenario', 'token requests', 'wall ms'],
    [
      ['junction (2 caches + raw updates)', String(junctionRequests), junctionMs.toFixed(1)],
      ['naive refresh per caller', String(naiveRequests), naiveMs.toFixed(1)],
    ],
  );

  // Cached lookups: a warm cache against a bare Map.get of the same entry.
  const warm = createCredentialCache({ client, minValidityMs: 0 });
  await warm.authHeaders(connectionId);
  started = process.hrtime.bigint();
  for (let i = 0; i < LOOKUPS; i++) await warm.authHeaders(connectionId);
  const cachedNs = Number(process.hrtime.bigint() - started) / LOOKUPS;
  const map = new Map([[connectionId, { headers: {} }]]);
  started = process.hrtime.bigint();
  for (let i = 0; i < LOOKUPS; i++) await Promise.resolve(map.get(connectionId));
  const mapNs = Number(process.hrtime.bigint() - started) / LOOKUPS;
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
