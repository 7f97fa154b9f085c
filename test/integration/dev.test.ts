import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Webhook } from 'standardwebhooks';
import { stringify } from 'yaml';
import { exited, spawnCli, waitForOutput } from '../helpers/cli';
import { onFreshPorts } from '../helpers/freshPorts';
import { newStandardSecret, signStandardWebhook } from '../helpers/sign';
import { startTarget, type Target } from '../helpers/target';
import { eventually } from '../helpers/temporal';

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

let target: Target;
afterAll(async () => target?.close());

test('`junction dev` starts Temporal with its UI, the worker and the API, persists, and shuts down cleanly', async () => {
  target = await startTarget();
  const secret = newStandardSecret();
  const dir = mkdtempSync(join(tmpdir(), 'junction-dev-'));
  const started = await onFreshPorts(async (ports) => {
    writeFileSync(
      join(dir, 'junction.config.yaml'),
      stringify({
        dev: { port: ports.temporal, uiPort: ports.ui },
        sources: [
          {
            id: 'demo',
            scheme: 'standard-webhooks',
            secrets: ['${DEMO_SECRET}'],
            routes: [{ events: ['*'], forward: { url: target.url } }],
          },
        ],
      }),
    );
    const env = {
      DEMO_SECRET: secret,
      PORT: String(ports.api),
      JUNCTION_DATA_DIR: join(dir, 'data'),
      TEMPORAL_CLI_PATH: process.env.JUNCTION_TEST_TEMPORAL_CLI,
      TEMPORAL_ADDRESS: '',
    };
    const dev = spawnCli(['dev'], env, dir);
    const banner = await waitForOutput(dev, /Junction is running[\s\S]*Temporal:/);
    return { ports, env, dev, banner };
  });
  const { env, dev, banner } = started;
  const { api: apiPort, temporal: temporalPort, ui: uiPort } = started.ports;
  expect(banner).toContain(`API:      http://127.0.0.1:${apiPort}`);
  expect(banner).toContain(`UI:       http://127.0.0.1:${uiPort}`);
  expect(banner).toContain(`Metrics:  http://127.0.0.1:${apiPort}/metrics`);
  expect(banner).toContain(
    `Codec:    http://127.0.0.1:${apiPort}/codec (the UI decodes payloads, no sign-in on loopback; temporal CLI operator token in ${join(dir, 'data', 'operator-token')})`,
  );

  // No signing secret is configured: dev made one, kept readable by its owner only, and names its file.
  const signingFile = join(dir, 'data', 'delivery-signing-secret');
  expect(banner).toContain(
    `Signing:  deliveries to your application are signed with the whsec_ secret in ${signingFile}`,
  );
  expect(statSync(signingFile).mode & 0o777).toBe(0o600);
  const signingSecret = readFileSync(signingFile, 'utf8').trim();
  expect(banner).not.toContain(signingSecret);

  await eventually(async () => (await fetch(`http://127.0.0.1:${apiPort}/readyz`)).status === 200, {
    what: 'readyz',
  });
  expect((await fetch(`http://127.0.0.1:${uiPort}/`)).status).toBe(200);
  // The UI was started with Junction's codec endpoint (`--ui-codec-endpoint`), and the endpoint admits the
  // UI's origin; the local operator's token is in the data directory, readable by its owner only.
  const settings = (await (await fetch(`http://127.0.0.1:${uiPort}/api/v1/settings`)).json()) as {
    Codec?: { Endpoint?: string };
  };
  expect(settings.Codec?.Endpoint).toBe(`http://127.0.0.1:${apiPort}/codec`);
  const preflight = await fetch(`http://127.0.0.1:${apiPort}/codec/decode`, {
    method: 'OPTIONS',
    headers: { origin: `http://127.0.0.1:${uiPort}`, 'access-control-request-method': 'POST' },
  });
  expect(preflight.headers.get('access-control-allow-origin')).toBe(`http://127.0.0.1:${uiPort}`);
  const tokenFile = join(dir, 'data', 'operator-token');
  expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
  const decode = (authorization: string) =>
    fetch(`http://127.0.0.1:${apiPort}/codec/decode`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/json' },
      body: '{"payloads":[]}',
    });
  expect((await decode(`Bearer ${readFileSync(tokenFile, 'utf8').trim()}`)).status).toBe(200);
  expect((await decode('Bearer not-the-operator-token')).status).toBe(401);
  // On loopback the dev codec needs no credentials (the UI opens decoded; see the browser test).
  expect(
    (
      await fetch(`http://127.0.0.1:${apiPort}/codec/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: `http://127.0.0.1:${uiPort}` },
        body: '{"payloads":[]}',
      })
    ).status,
  ).toBe(200);
  const metrics = await (await fetch(`http://127.0.0.1:${apiPort}/metrics`)).text();
  expect(metrics).toContain('junction_http_requests_total');
  expect(metrics).toMatch(/^temporal_/m); // the SDK's worker metrics, merged in

  const signed = signStandardWebhook({ secret });
  const answer = await fetch(`http://127.0.0.1:${apiPort}/webhooks/demo`, {
    method: 'POST',
    headers: signed.headers,
    body: signed.body,
  });
  expect(answer.status).toBe(202);
  await target.waitForRequests(1);
  // The forward is signed with the dev secret: the application verifies it with the official library.
  const forwarded = target.requests[0]!;
  expect(() =>
    new Webhook(signingSecret).verify(
      forwarded.body.toString('utf8'),
      forwarded.headers as Record<string, string>,
    ),
  ).not.toThrow();

  // The dev server was started with Junction's search attributes and a seven-day retention.
  const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
  const attributes = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
  expect(Object.keys(attributes.customAttributes ?? {})).toEqual(
    expect.arrayContaining(['JunctionSource', 'JunctionState', 'JunctionConnectionId']),
  );
  const namespace = await connection.workflowService.describeNamespace({ namespace: 'default' });
  expect(Number(namespace.config?.workflowExecutionRetentionTtl?.seconds)).toBe(7 * 24 * 3600);
  await connection.close();

  dev.kill('SIGTERM');
  expect(await exited(dev)).toBe(0);
  expect(await portOpen(temporalPort)).toBe(false);
  expect(await portOpen(apiPort)).toBe(false);

  // Started again on the same data directory, the event is still there; killed hard, nothing lingers.
  const again = spawnCli(['dev'], env, dir);
  await waitForOutput(again, /Junction is running/);
  const reconnection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
  const client = new Client({ connection: reconnection });
  const description = await client.workflow.getHandle(`webhook:demo:${signed.id}`).describe();
  expect(description.status.name).toBe('COMPLETED');
  await reconnection.close();
  // The same signing secret as before the restart: the application's copy stays valid.
  expect(readFileSync(signingFile, 'utf8').trim()).toBe(signingSecret);
  again.kill('SIGKILL');
  await exited(again);
  await eventually(async () => !(await portOpen(temporalPort)), {
    what: 'the dev server to go away with its parent',
  });
});
