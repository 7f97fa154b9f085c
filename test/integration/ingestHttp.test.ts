import { WorkflowNotFoundError } from '@temporalio/client';
import { startTestJunction, type TestJunction } from '../helpers/junction';
import { newStandardSecret, signStandardWebhook } from '../helpers/sign';
import { startTarget, type Target } from '../helpers/target';

const secret = newStandardSecret();
let target: Target;
let junction: TestJunction;

beforeAll(async () => {
  target = await startTarget();
  junction = await startTestJunction({
    server: { bodyLimitBytes: 64 * 1024 },
    sources: [
      {
        id: 'acme',
        scheme: 'standard-webhooks',
        secrets: [secret],
        routes: [
          {
            events: ['*'],
            forward: { url: `${target.url}/in`, headers: { authorization: 'Bearer forward-secret-xyz' } },
          },
        ],
      },
      { id: 'small', scheme: 'standard-webhooks', secrets: [secret], maxBodyBytes: 1024 },
    ],
  });
});

afterAll(async () => {
  await junction?.stop();
  await target?.close();
});

async function expectNotStarted(id: string, source = 'acme') {
  await expect(
    junction.client.workflow.getHandle(`webhook:${source}:${id}`).describe(),
  ).rejects.toBeInstanceOf(WorkflowNotFoundError);
}

async function errorOf(response: Response) {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return (await response.json()) as { code: string; message: string };
}

test('unknown source → 404 unknown_source', async () => {
  const signed = signStandardWebhook({ secret });
  const response = await junction.post('/webhooks/nope', { headers: signed.headers, body: signed.body });
  expect(response.status).toBe(404);
  expect(await errorOf(response)).toEqual({
    code: 'unknown_source',
    message: 'no webhook source "nope" is configured',
  });
  await expectNotStarted(signed.id, 'nope');
});

test('missing and bad signatures → 401; nothing started', async () => {
  const signed = signStandardWebhook({ secret });
  const { ['webhook-signature']: _omit, ...unsigned } = signed.headers;
  const missing = await junction.post('/webhooks/acme', { headers: unsigned, body: signed.body });
  expect(missing.status).toBe(401);
  expect((await errorOf(missing)).code).toBe('missing_signature');

  const forged = signStandardWebhook({ secret: newStandardSecret(), id: signed.id });
  const bad = await junction.post('/webhooks/acme', { headers: forged.headers, body: forged.body });
  expect(bad.status).toBe(401);
  expect((await errorOf(bad)).code).toBe('invalid_signature');
  await expectNotStarted(signed.id);
});

test('stale timestamp → 400 timestamp_out_of_range; malformed body → 400 malformed_body', async () => {
  const stale = signStandardWebhook({ secret, at: new Date(Date.now() - 10 * 60_000) });
  const staleAnswer = await junction.post('/webhooks/acme', { headers: stale.headers, body: stale.body });
  expect(staleAnswer.status).toBe(400);
  expect((await errorOf(staleAnswer)).code).toBe('timestamp_out_of_range');
  await expectNotStarted(stale.id);

  const garbage = signStandardWebhook({ secret, body: '{"type": "order.created",' });
  const garbageAnswer = await junction.post('/webhooks/acme', {
    headers: garbage.headers,
    body: garbage.body,
  });
  expect(garbageAnswer.status).toBe(400);
  expect((await errorOf(garbageAnswer)).code).toBe('malformed_body');
  await expectNotStarted(garbage.id);
});

test('bodies over the limit → 413, globally and per source', async () => {
  const big = signStandardWebhook({
    secret,
    body: JSON.stringify({ type: 'x', pad: 'a'.repeat(70 * 1024) }),
  });
  const tooBig = await junction.post('/webhooks/acme', { headers: big.headers, body: big.body });
  expect(tooBig.status).toBe(413);
  expect((await errorOf(tooBig)).code).toBe('payload_too_large');
  await expectNotStarted(big.id);

  const medium = signStandardWebhook({ secret, body: JSON.stringify({ type: 'x', pad: 'a'.repeat(2048) }) });
  const overSource = await junction.post('/webhooks/small', { headers: medium.headers, body: medium.body });
  expect(overSource.status).toBe(413);
  expect((await errorOf(overSource)).code).toBe('payload_too_large');
});

test('any content type is verified over the raw bytes', async () => {
  const body = '{"type":"raw.event",  "spaces":   "kept"}';
  const signed = signStandardWebhook({ secret, body });
  const response = await junction.post('/webhooks/acme', {
    headers: { ...signed.headers, 'content-type': 'text/plain; charset=latin1' },
    body,
  });
  expect(response.status).toBe(202);
  const requests = await target.waitForRequests(1);
  expect(requests.at(-1)?.body.toString('utf8')).toBe(body);
  expect(requests.at(-1)?.headers['content-type']).toBe('text/plain; charset=latin1');
});

test('unknown routes and methods answer JSON with a code', async () => {
  const response = await fetch(`${junction.url}/nothing-here`);
  expect(response.status).toBe(404);
  expect((await errorOf(response)).code).toBe('not_found');
  const get = await fetch(`${junction.url}/webhooks/acme`);
  expect(get.status).toBe(404);
});

test('security headers on every response and no CORS', async () => {
  for (const response of [
    await fetch(`${junction.url}/healthz`, { headers: { origin: 'https://evil.example' } }),
    await fetch(`${junction.url}/nothing`, { headers: { origin: 'https://evil.example' } }),
    await junction.post('/webhooks/acme', { headers: { origin: 'https://evil.example' }, body: '{}' }),
  ]) {
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('strict-transport-security')).toContain('max-age=');
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  }
  const preflight = await fetch(`${junction.url}/webhooks/acme`, {
    method: 'OPTIONS',
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
  });
  expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
});

test('healthz, readyz and metrics', async () => {
  expect(await (await fetch(`${junction.url}/healthz`)).json()).toEqual({ status: 'ok' });
  const ready = await fetch(`${junction.url}/readyz`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toMatchObject({ status: 'ready', checks: { temporal: { ok: true } } });

  const signed = signStandardWebhook({ secret });
  await junction.post('/webhooks/acme', { headers: signed.headers, body: signed.body });
  const metrics = await (await fetch(`${junction.url}/metrics`)).text();
  expect(metrics).toMatch(/junction_webhooks_received_total\{source="acme",outcome="accepted"\} [1-9]/);
  expect(metrics).toMatch(
    /junction_webhooks_received_total\{source="acme",outcome="invalid_signature"\} [1-9]/,
  );
  expect(metrics).toMatch(
    /junction_http_requests_total\{method="POST",route="\/webhooks\/:source",status="202"\} [1-9]/,
  );
  expect(metrics).toContain('junction_webhook_ingest_duration_seconds_bucket');
  expect(metrics).toContain('junction_http_request_duration_seconds_bucket');
});

test('logs carry the workflow and delivery ids, and never a secret or signature', async () => {
  const signed = signStandardWebhook({ secret });
  await junction.post('/webhooks/acme', {
    headers: { ...signed.headers, authorization: 'Bearer caller-token' },
    body: signed.body,
  });
  await target.waitForRequests(1);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const lines = junction.logs.filter((line) => line.includes(signed.id));
  expect(
    lines.some(
      (line) =>
        /"workflowId":"webhook:acme:msg_/.test(line) &&
        line.includes('"outcome":"accepted"') &&
        line.includes('"msg":"request completed"'),
    ),
  ).toBe(true);
  expect(
    lines.some(
      (line) => line.includes('"msg":"event forwarded"') && line.includes(`"deliveryId":"${signed.id}"`),
    ),
  ).toBe(true);
  const everything = junction.logs.join('\n');
  const signature = signed.headers['webhook-signature']!.split(',')[1]!;
  expect(everything).not.toContain(secret);
  expect(everything).not.toContain(secret.slice('whsec_'.length));
  expect(everything).not.toContain(signature);
  expect(everything).not.toContain('forward-secret-xyz');
  expect(everything).not.toContain('caller-token');
});
