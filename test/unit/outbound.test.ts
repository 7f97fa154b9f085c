import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { request } from 'undici';
import { createNotifyConnectionEventActivity } from '../../src/activities/connectionEvents';
import { createRequestTokenActivity } from '../../src/activities/tokenActivities';
import { parseConfig } from '../../src/config/load';
import { createLogger } from '../../src/logging/logger';
import { LOOPBACK_CIDRS, destinationRefusal } from '../../src/network/destinations';
import { createOutbound, systemResolver, type Outbound, type Resolver } from '../../src/network/outbound';
import { ProviderCatalogue } from '../../src/providers/catalogue';
import { DestinationError } from '../../src/shared/errors';

/** A loopback HTTP peer that counts the connections it accepted and the requests it answered. */
interface Peer {
  port: number;
  connections: number;
  requests: string[];
  answer: (req: IncomingMessage, res: ServerResponse) => void;
  server: Server;
}

let peer: Peer;
const outbounds: Outbound[] = [];
const logger = createLogger({ level: 'silent' });

beforeEach(async () => {
  const state = { connections: 0, requests: [] as string[] };
  const server = createServer((req, res) => {
    state.requests.push(`${req.method} ${req.url}`);
    peer.answer(req, res);
  });
  server.on('connection', () => state.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  peer = {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return state.connections;
    },
    requests: state.requests,
    answer: (_req, res) => res.end('ok'),
    server,
  };
});

afterEach(async () => {
  await Promise.all(outbounds.splice(0).map((outbound) => outbound.close()));
  peer.server.closeAllConnections();
  await new Promise((resolve) => peer.server.close(resolve));
});

function outbound(allowPrivate: readonly string[], resolve?: Resolver): Outbound {
  const created = createOutbound({ allowPrivate, resolve });
  outbounds.push(created);
  return created;
}

/** A resolver with names of its own (what a hostile DNS answer would say), the system's for the rest. */
function namesResolver(names: Record<string, string[]>, calls: string[] = []): Resolver {
  return async (hostname) => {
    calls.push(hostname);
    const addresses = names[hostname];
    if (!addresses) return systemResolver(hostname);
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

async function refusalOf(promise: Promise<unknown>): Promise<DestinationError | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => destinationRefusal(error),
  );
}

test('loopback literals (IPv4, IPv6, IPv4-mapped) are refused before anything is dialed', async () => {
  const closed = outbound([]);
  for (const host of ['127.0.0.1', '[::ffff:127.0.0.1]', '[::1]']) {
    const refusal = await refusalOf(
      request(`http://${host}:${peer.port}/x?token=secret`, { dispatcher: closed.dispatcher }),
    );
    expect(refusal).toMatchObject({ code: 'destination_not_allowed', details: { range: 'loopback' } });
    expect(refusal?.message).not.toMatch(/secret|\/x/);
  }
  expect(peer.connections).toBe(0);
});

test('a name that resolves into a refused range is refused at the dial, and nothing is connected', async () => {
  const calls: string[] = [];
  const closed = outbound(
    [],
    namesResolver(
      {
        'app.internal.test': ['127.0.0.1'],
        'metadata.internal.test': ['169.254.169.254'],
        'v6.internal.test': ['fd00:ec2::254'],
        // One refused answer among public ones is enough to refuse the name.
        'mixed.internal.test': ['93.184.215.14', '10.0.0.7'],
      },
      calls,
    ),
  );
  const expectations: Array<[string, string]> = [
    ['app.internal.test', 'loopback'],
    ['metadata.internal.test', 'linkLocal'],
    ['v6.internal.test', 'uniqueLocal'],
    ['mixed.internal.test', 'private'],
  ];
  for (const [host, range] of expectations) {
    const refusal = await refusalOf(
      request(`http://${host}:${peer.port}/`, { dispatcher: closed.dispatcher }),
    );
    expect(refusal?.details).toMatchObject({ host, range });
    expect(refusal?.message).toContain(host);
  }
  // `localhost`, through the system resolver.
  const local = await refusalOf(request(`http://localhost:${peer.port}/`, { dispatcher: closed.dispatcher }));
  expect(local?.details).toMatchObject({ host: 'localhost', range: 'loopback' });
  expect(peer.connections).toBe(0);
  expect(calls).toEqual(expect.arrayContaining(expectations.map(([host]) => host)));
});

test('allowlisted, the same requests go through; a name is resolved once and its checked address dialed', async () => {
  const calls: string[] = [];
  const open = outbound(LOOPBACK_CIDRS, namesResolver({ 'app.internal.test': ['127.0.0.1'] }, calls));
  for (const url of [
    `http://127.0.0.1:${peer.port}/a`,
    `http://[::ffff:127.0.0.1]:${peer.port}/b`,
    `http://app.internal.test:${peer.port}/c`,
    `http://localhost:${peer.port}/d`,
  ]) {
    const response = await request(url, { dispatcher: open.dispatcher });
    expect(response.statusCode).toBe(200);
    expect(await response.body.text()).toBe('ok');
  }
  expect(peer.requests).toEqual(['GET /a', 'GET /b', 'GET /c', 'GET /d']);
  // No second lookup between the check and the connection: one resolution for the one connection.
  expect(calls.filter((host) => host === 'app.internal.test')).toHaveLength(1);
  // A narrower list: 127.0.0.1 only, so localhost's other loopback addresses are not a way round it.
  const narrow = outbound(['127.0.0.2/32']);
  expect(
    (await refusalOf(request(`http://127.0.0.1:${peer.port}/`, { dispatcher: narrow.dispatcher })))?.code,
  ).toBe('destination_not_allowed');
});

test('fetch (what oauth4webapi is given) is checked alike and answers a usable Response when allowed', async () => {
  const closed = outbound([]);
  const failed = await closed.fetch(`http://localhost:${peer.port}/token`).catch((error: unknown) => error);
  expect(failed).toBeInstanceOf(TypeError);
  expect(destinationRefusal(failed)?.details).toMatchObject({ host: 'localhost', range: 'loopback' });
  expect(peer.connections).toBe(0);

  peer.answer = (_req, res) => res.setHeader('content-type', 'application/json').end('{"ok":true}');
  const open = outbound(LOOPBACK_CIDRS);
  const response = await open.fetch(`http://localhost:${peer.port}/token`, { method: 'POST', body: 'a=b' });
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ ok: true });
});

test('a redirect target (returnTo) is resolved and checked; a name this host cannot resolve passes', async () => {
  const closed = outbound([], namesResolver({ 'app.internal.test': ['10.1.2.3'] }));
  await expect(closed.checkRedirectTarget('http://localhost:4000/done')).rejects.toMatchObject({
    code: 'destination_not_allowed',
    details: { host: 'localhost', range: 'loopback' },
  });
  await expect(closed.checkRedirectTarget('https://app.internal.test/done')).rejects.toMatchObject({
    details: { range: 'private', address: '10.1.2.3' },
  });
  await expect(closed.checkRedirectTarget('http://[fe80::1]/done')).rejects.toMatchObject({
    details: { range: 'linkLocal' },
  });
  await expect(closed.checkRedirectTarget('https://93.184.215.14/done')).resolves.toBeUndefined();
  await expect(closed.checkRedirectTarget('https://app.example.invalid/done')).resolves.toBeUndefined();
  await expect(
    outbound(LOOPBACK_CIDRS).checkRedirectTarget('http://localhost:4000/done'),
  ).resolves.toBeUndefined();
});

/** Runs an activity in a mock activity context and answers the ApplicationFailure it threw. */
async function activityFailure(run: () => Promise<unknown>): Promise<ApplicationFailure> {
  const error = await new MockActivityEnvironment().run(run).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

test('a connection event to a refused URL fails for good with destination_not_allowed', async () => {
  const event = {
    type: 'connection.created' as const,
    connectionId: 'c1',
    providerId: 'p',
    occurredAt: 'now',
  };
  const notify = (allowPrivate: readonly string[]) =>
    createNotifyConnectionEventActivity({
      connectionsConfig: () =>
        parseConfig({ connections: { events: { url: `http://localhost:${peer.port}/events` } } }, {})
          .connections,
      logger,
      outbound: outbound(allowPrivate),
    });
  const failure = await activityFailure(() => notify([])(event));
  expect(failure).toMatchObject({ type: 'destination_not_allowed', nonRetryable: true });
  expect(peer.connections).toBe(0);
  await expect(new MockActivityEnvironment().run(notify(LOOPBACK_CIDRS), event)).resolves.toEqual({
    delivered: true,
    status: 200,
  });
  expect(peer.requests).toEqual(['POST /events']);
});

test('a token request to a refused token endpoint fails for good; allowlisted, oauth4webapi gets its answer', async () => {
  const providers = parseConfig(
    {
      providers: [
        {
          id: 'internal-cc',
          auth: { mode: 'client_credentials', tokenUrl: `http://localhost:${peer.port}/token` },
          apiBaseUrl: `http://localhost:${peer.port}/api`,
          client: { clientId: 'junction', clientSecret: 'cc-secret-value' },
        },
      ],
    },
    {},
  ).providers;
  const catalogue = new ProviderCatalogue(providers);
  const requestToken = (allowPrivate: readonly string[]) =>
    createRequestTokenActivity({
      providers: () => catalogue,
      logger,
      now: Date.now,
      outbound: outbound(allowPrivate),
    });
  const input = {
    connectionId: 'c1',
    providerId: 'internal-cc',
    grant: 'client_credentials' as const,
    secrets: {},
    scopes: [],
  };
  const refused = await activityFailure(() => requestToken([])(input));
  expect(refused).toMatchObject({ type: 'destination_not_allowed', nonRetryable: true });
  expect(refused.message).not.toContain('cc-secret-value');
  expect(peer.connections).toBe(0);

  peer.answer = (_req, res) =>
    res
      .setHeader('content-type', 'application/json')
      .end('{"access_token":"at-1","token_type":"Bearer","expires_in":60}');
  const granted = await new MockActivityEnvironment().run(requestToken(LOOPBACK_CIDRS), input);
  expect(granted).toMatchObject({ accessToken: 'at-1', tokenType: 'bearer' });
  // A non-OAuth answer still reads as the token endpoint's status through undici's Response.
  peer.answer = (_req, res) => res.writeHead(503, { 'retry-after': '7' }).end('down');
  const unavailable = await activityFailure(() => requestToken(LOOPBACK_CIDRS)(input));
  expect(unavailable).toMatchObject({ type: 'token_endpoint_unavailable', nonRetryable: false });
});
