import { startTestJunction, type TestJunction } from '../helpers/junction';
import { sendRaw } from '../helpers/rawHttp';

/**
 * Requests refused before any route runs (by Node's HTTP parser or Fastify's router) are answered in
 * Junction's vocabulary too: JSON `{code, message}`, found by the fuzz suite (test/fuzz) where Fastify's own
 * bodies (`{"error":"Bad Request","message":"Client Error"}`, `FST_ERR_BAD_URL`) came back.
 */
let junction: TestJunction;
let port: number;

beforeAll(async () => {
  junction = await startTestJunction({}, { worker: false });
  port = Number(new URL(junction.url).port);
});

afterAll(async () => {
  await junction?.stop();
});

const request = (lines: string[], body = '') =>
  sendRaw(port, Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'latin1'));

async function expectError(answer: Awaited<ReturnType<typeof sendRaw>>, status: number) {
  expect(answer.status).toBe(status);
  expect(answer.contentType).toMatch(/^application\/json/);
  const body = JSON.parse(answer.body.toString('utf8')) as { code: string; message: string };
  expect(body.code).toBe('bad_request');
  expect(body.message.length).toBeGreaterThan(10);
}

test.each([
  [
    'a header injected with a bare CR',
    ['POST /webhooks/x HTTP/1.1', 'host: a', 'x-test: a\rb', 'content-length: 0'],
  ],
  ['a header name with a space', ['GET /healthz HTTP/1.1', 'host: a', 'Bad Header: x']],
  ['bad chunked framing', ['POST /webhooks/x HTTP/1.1', 'host: a', 'transfer-encoding: chunked']],
  [
    'content-length and chunked together',
    ['POST /connections HTTP/1.1', 'host: a', 'content-length: 3', 'transfer-encoding: chunked'],
  ],
])('malformed HTTP (%s) → 400 bad_request as JSON', async (_name, lines) => {
  await expectError(await request(lines, 'zz\r\nabc\r\n'), 400);
});

test('headers over the limit → 431 bad_request as JSON', async () => {
  await expectError(await request(['GET /healthz HTTP/1.1', 'host: a', `x-big: ${'a'.repeat(20_000)}`]), 431);
});

test('a URL Fastify cannot decode → 400 bad_request; a path segment over the limit → 414', async () => {
  await expectError(await request(['GET /connections/%zz%c0 HTTP/1.1', 'host: a']), 400);
  await expectError(await request([`GET /actions/runs/${'a'.repeat(500)} HTTP/1.1`, 'host: a']), 414);
});
