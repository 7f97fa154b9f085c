import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { startDevServer, type DevServer } from '../../src/temporal/devServer';
import { freePort } from '../../src/temporal/runtime';
import { startTestJunction, type TestJunction } from '../helpers/junction';
import { newStandardSecret, signStandardWebhook } from '../helpers/sign';

const secret = newStandardSecret();
const cli = {
  kind: 'binary' as const,
  path: process.env.JUNCTION_TEST_TEMPORAL_CLI ?? 'temporal',
  origin: 'PATH' as const,
};
let port: number;
let dataDir: string;
let server: DevServer | undefined;
let junction: TestJunction;

beforeAll(async () => {
  port = await freePort();
  dataDir = mkdtempSync(join(tmpdir(), 'junction-down-'));
  server = await startDevServer({ cli, port, dataDir });
  junction = await startTestJunction(
    {
      server: { temporalTimeoutMs: 2_000 },
      sources: [{ id: 'acme', scheme: 'standard-webhooks', secrets: [secret] }],
    },
    { temporalAddress: server.address, worker: false },
  );
});

afterAll(async () => {
  await junction?.stop();
  await server?.stop();
});

test('Temporal stopped → 503 with Retry-After, nothing acknowledged that is not stored; redelivery works after', async () => {
  const stored = signStandardWebhook({ secret });
  const first = await junction.post('/webhooks/acme', { headers: stored.headers, body: stored.body });
  expect(first.status).toBe(202);

  await server?.stop();
  server = undefined;

  const lost = signStandardWebhook({ secret });
  const down = await junction.post('/webhooks/acme', { headers: lost.headers, body: lost.body });
  expect(down.status).toBe(503);
  expect(down.headers.get('retry-after')).toBe('10');
  expect(await down.json()).toEqual({
    code: 'temporal_unavailable',
    message: 'the event could not be stored; retry later',
  });

  const ready = await fetch(`${junction.url}/readyz`);
  expect(ready.status).toBe(503);
  expect(await ready.json()).toMatchObject({ status: 'not_ready', checks: { temporal: { ok: false } } });

  // Bad input is still answered as bad input while Temporal is down.
  const forged = signStandardWebhook({ secret: newStandardSecret() });
  expect((await junction.post('/webhooks/acme', { headers: forged.headers, body: forged.body })).status).toBe(
    401,
  );

  server = await startDevServer({ cli, port, dataDir });
  const client = junction.client;
  await expect(client.workflow.getHandle(`webhook:acme:${stored.id}`).describe()).resolves.toBeDefined();
  await expect(client.workflow.getHandle(`webhook:acme:${lost.id}`).describe()).rejects.toBeInstanceOf(
    WorkflowNotFoundError,
  );

  // The sender redelivers, as 503 + Retry-After asked it to, and this time the event is stored.
  const redelivered = await junction.post('/webhooks/acme', { headers: lost.headers, body: lost.body });
  expect(redelivered.status).toBe(202);
  expect(await redelivered.json()).toMatchObject({ status: 'accepted' });
});
