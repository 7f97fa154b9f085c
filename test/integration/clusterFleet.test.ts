import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { stringify } from 'yaml';
import { LOOPBACK_CIDRS } from '../../src/network/destinations';
import { exited, spawnCli, waitForOutput } from '../helpers/cli';
import { startOAuthServer, type OAuthServer } from '../helpers/oauthServer';
import { newStandardSecret, signStandardWebhook } from '../helpers/sign';
import { startTarget, type Target } from '../helpers/target';
import { testTemporalAddress, uniqueName } from '../helpers/temporal';

/**
 * Junction as compose runs it: two `junction server` and two `junction worker` processes, one set of codec
 * keys (the run's JUNCTION_CODEC_KEYS), sharing only Temporal (the cluster under `npm run test:cluster`).
 */
const secret = newStandardSecret();
const adminKey = `admin-${randomBytes(16).toString('hex')}`;
let oauth: OAuthServer;
let target: Target;
const processes: ChildProcess[] = [];
const servers: string[] = [];
const providerId = uniqueName('fleet-cc');
/** Codes of 503 answers seen (Temporal unavailable or busy), printed for the record. */
const unavailable: string[] = [];

/** The application's copy of the secret Junction signs deliveries with. */
const deliverySecret = newStandardSecret();

async function startRole(role: 'server' | 'worker', configFile: string): Promise<string> {
  const child = spawnCli([role], {
    JUNCTION_CONFIG: configFile,
    TEMPORAL_ADDRESS: testTemporalAddress(),
    PORT: '0',
  });
  processes.push(child);
  const banner = await waitForOutput(child, /Junction is running[\s\S]*Temporal:/, 240_000);
  return /API:\s+(\S+)/.exec(banner)?.[1] ?? '';
}

beforeAll(async () => {
  const ccSecret = `cc-${randomBytes(12).toString('hex')}`;
  oauth = await startOAuthServer({
    port: 0,
    clients: [
      {
        client_id: 'cc',
        client_secret: ccSecret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        x_access_token_ttl: 300,
      },
    ],
  });
  target = await startTarget();
  const dir = mkdtempSync(join(tmpdir(), 'junction-cluster-fleet-'));
  const configFile = join(dir, 'junction.config.yaml');
  writeFileSync(
    configFile,
    stringify({
      temporal: { taskQueue: uniqueName('fleet'), shutdownGraceMs: 5_000 },
      admin: { apiKeys: [adminKey] },
      // The peers of this test are on loopback: `server` and `worker` refuse it unless allowed.
      network: { allowPrivate: [...LOOPBACK_CIDRS] },
      connections: { stateSecret: randomBytes(24).toString('hex') },
      delivery: { signingSecrets: [deliverySecret] },
      sources: [
        {
          id: 'fleet',
          scheme: 'standard-webhooks',
          secrets: [secret],
          routes: [{ events: ['*'], forward: { url: `${target.url}/hooks` } }],
        },
      ],
      providers: [
        {
          id: providerId,
          auth: { mode: 'client_credentials', tokenUrl: `${oauth.issuer}/token`, scopes: ['api:read'] },
          apiBaseUrl: `${oauth.issuer}/api`,
          client: { clientId: 'cc', clientSecret: ccSecret },
        },
      ],
    }),
  );
  // Two of each, started together: each process has its own Temporal connections, caches and codec.
  const urls = await Promise.all([
    startRole('server', configFile),
    startRole('server', configFile),
    startRole('worker', configFile),
    startRole('worker', configFile),
  ]);
  servers.push(urls[0], urls[1]);
}, 300_000);

afterAll(async () => {
  for (const child of processes)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const codes = await Promise.all(processes.map((child) => exited(child)));
  await oauth?.close();
  await target?.close();
  // Every process drained and exited cleanly on SIGTERM.
  expect(codes).toEqual([0, 0, 0, 0]);
});

test('webhooks ingested through both servers, each also redelivered through the other, are delivered exactly once', async () => {
  const count = 24;
  const signed = Array.from({ length: count }, (_, i) =>
    signStandardWebhook({ secret, type: 'order.created', data: { n: i } }),
  );
  const post = (server: string, request: (typeof signed)[number]) =>
    fetch(`${server}/webhooks/fleet`, { method: 'POST', headers: request.headers, body: request.body });

  const first = await Promise.all(signed.map((request, i) => post(servers[i % 2]!, request)));
  expect(first.map((answer) => answer.status)).toEqual(Array(count).fill(202));
  // The provider redelivers each one through the other server: the same delivery id, no second execution.
  // A 503 (Temporal busy) is what a provider retries after Retry-After; the retry must then be a duplicate.
  const again = await Promise.all(
    signed.map(async (request, i) => {
      for (let attempt = 1; ; attempt++) {
        const answer = await post(servers[(i + 1) % 2]!, request);
        const body = (await answer.json()) as { status?: string; code?: string };
        if (answer.status !== 503 || attempt === 5) return { http: answer.status, ...body };
        unavailable.push(body.code ?? '');
        await new Promise((resolve) =>
          setTimeout(resolve, 1_000 * Number(answer.headers.get('retry-after') ?? 1)),
        );
      }
    }),
  );
  expect(again).toEqual(Array(count).fill(expect.objectContaining({ http: 202, status: 'duplicate' })));

  await target.waitForRequests(count, 60_000);
  // Give a stray second delivery time to show up before counting.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const delivered = target.requests.map((request) => String(request.headers['junction-delivery-id']));
  expect(delivered.sort()).toEqual(signed.map((request) => request.id).sort());
  // Each delivery verifies as the application would check it (the official Standard Webhooks library).
  for (const request of target.requests) {
    expect(() =>
      new Webhook(deliverySecret).verify(
        request.body.toString('utf8'),
        request.headers as Record<string, string>,
      ),
    ).not.toThrow();
  }
  if (unavailable.length)
    process.stderr.write(`redeliveries answered 503 first: ${unavailable.join(', ')}\n`);
});

async function admin(server: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${server}${path}`, {
    method,
    headers: { authorization: `Bearer ${adminKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

test('a connection created through one server is refreshed through either, one token request each', async () => {
  const connectionId = uniqueName('fleet-conn');
  const before = (await oauth.stats()).tokenRequests;
  const created = await admin(servers[0]!, 'POST', '/connections', { connectionId, providerId });
  expect(created.status).toBe(201);
  expect(created.json).toMatchObject({ state: 'active', mode: 'client_credentials', refreshCount: 1 });

  let expiresAt = created.json.expiresAt as string;
  for (const [n, server] of [servers[1]!, servers[0]!, servers[1]!].entries()) {
    const refreshed = await admin(server, 'POST', `/connections/${connectionId}/refresh`);
    expect(refreshed.status).toBe(200);
    expect(refreshed.json).toMatchObject({ state: 'active', refreshCount: n + 2 });
    expect(Date.parse(refreshed.json.expiresAt as string)).toBeGreaterThanOrEqual(Date.parse(expiresAt));
    expiresAt = refreshed.json.expiresAt as string;
    // Both servers read the same state from the connection's workflow.
    const seen = await Promise.all(servers.map((s) => admin(s, 'GET', `/connections/${connectionId}`)));
    expect(seen.map((answer) => answer.json.refreshCount)).toEqual([n + 2, n + 2]);
  }
  expect((await oauth.stats()).tokenRequests - before).toBe(4);
});
