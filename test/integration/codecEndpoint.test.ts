import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { temporal } from '@temporalio/proto';
import { connectionWorkflowId } from '../../src/shared/connectionContract';
import { startTestJunction, type TestJunction } from '../helpers/junction';
import { testTemporalAddress, uniqueName } from '../helpers/temporal';

const UI_ORIGIN = 'http://127.0.0.1:8999';
const operatorToken = `op-${randomBytes(18).toString('base64url')}`;
const adminKey = `admin-${randomBytes(16).toString('hex')}`;
let junction: TestJunction;
/** The server's clock, moved by the tests that need a session to expire. */
let clock = Date.now();

beforeAll(async () => {
  junction = await startTestJunction(
    { codec: { operatorTokens: [operatorToken], uiOrigin: UI_ORIGIN }, admin: { apiKeys: [adminKey] } },
    { now: () => clock },
  );
});
afterAll(async () => junction?.stop());

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');
type JsonPayload = { metadata?: Record<string, string>; data?: string };

/** A payload as the Temporal UI sends it: proto3 JSON, metadata values and data in base64. */
const uiPayload = (value: unknown): JsonPayload => ({
  metadata: { encoding: b64('json/plain') },
  data: b64(JSON.stringify(value)),
});

async function codec(
  action: 'encode' | 'decode',
  body: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${operatorToken}` },
) {
  const response = await fetch(`${junction.url}/codec/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    json: (text ? JSON.parse(text) : undefined) as {
      payloads: JsonPayload[];
      code?: string;
      message?: string;
    },
  };
}

async function signIn(token: string) {
  return fetch(`${junction.url}/codec/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
  });
}

test('encode → decode round trip in the remote codec JSON the Temporal UI speaks', async () => {
  const values = [{ hello: 'wörld', n: 1 }, 'just a string', null];
  const encoded = await codec('encode', { payloads: values.map(uiPayload) });
  expect(encoded.status).toBe(200);
  expect(encoded.json.payloads).toHaveLength(3);
  for (const payload of encoded.json.payloads) {
    expect(unb64(payload.metadata?.encoding ?? '')).toBe('binary/encrypted');
    expect(unb64(payload.metadata?.['encryption-key-id'] ?? '')).toBe(junction.codec.currentKeyId);
    expect(unb64(payload.data ?? '')).not.toContain('wörld');
  }
  const decoded = await codec('decode', encoded.json);
  expect(decoded.status).toBe(200);
  expect(decoded.json).toEqual({ payloads: values.map(uiPayload) });

  // Payloads the workers' codec wrote decode the same way, and plain ones pass through untouched.
  const [sealed] = await junction.codec.encode([
    { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"from a worker"') },
  ]);
  const fromWorker = temporal.api.common.v1.Payload.toObject(temporal.api.common.v1.Payload.create(sealed), {
    bytes: String,
  });
  const mixed = await codec('decode', { payloads: [fromWorker, uiPayload('plain')] });
  expect(mixed.json.payloads.map((p) => unb64(p.data ?? ''))).toEqual(['"from a worker"', '"plain"']);

  // Proto3 JSON omits an empty list: `{}` is no payloads (the Go SDK sends exactly that).
  expect(await codec('decode', {})).toMatchObject({ status: 200, json: { payloads: [] } });
});

test('bad bodies and undecryptable payloads get 400 with a code, never the payload', async () => {
  expect(await codec('decode', { payloads: 'nope' })).toMatchObject({
    status: 400,
    json: { code: 'malformed_body' },
  });
  expect(await codec('decode', '[1, 2]')).toMatchObject({ status: 400, json: { code: 'malformed_body' } });
  expect(await codec('decode', 'not json')).toMatchObject({ status: 400, json: { code: 'malformed_body' } });
  const unknownKey = {
    metadata: { encoding: b64('binary/encrypted'), 'encryption-key-id': b64('retired-key') },
    data: b64('x'.repeat(40)),
  };
  const refused = await codec('decode', { payloads: [unknownKey] });
  expect(refused).toMatchObject({ status: 400, json: { code: 'codec_key_unknown' } });
  expect(refused.json.message).toContain('retired-key');
});

test('without an operator token or session cookie the codec answers 401 and decodes nothing', async () => {
  const [sealed] = await junction.codec.encode([
    { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"secret-ish"') },
  ]);
  const body = {
    payloads: [
      temporal.api.common.v1.Payload.toObject(temporal.api.common.v1.Payload.create(sealed), {
        bytes: String,
      }),
    ],
  };
  const attempts: Array<Record<string, string>> = [
    {},
    { authorization: 'Bearer not-the-operator-token-0000' },
    { authorization: `Basic ${b64(`operator:${operatorToken}`)}` },
    { cookie: `junction_codec=${Math.floor(clock / 1000) + 3600}.forged-mac` },
    // An admin API key is not an operator token.
    { authorization: `Bearer ${adminKey}` },
  ];
  for (const headers of attempts) {
    for (const action of ['encode', 'decode'] as const) {
      const answer = await codec(action, body, headers);
      expect(answer.status).toBe(401);
      expect(Object.keys(answer.json).sort()).toEqual(['code', 'message']);
      expect(answer.json.code).toBe('unauthorized');
      expect(JSON.stringify(answer.json)).not.toContain('secret-ish');
    }
  }
});

test('/codec/login: a form, a refused wrong token, and an HttpOnly session cookie that expires', async () => {
  const form = await fetch(`${junction.url}/codec/login`);
  expect(form.status).toBe(200);
  expect(form.headers.get('content-type')).toContain('text/html');
  const page = await form.text();
  expect(page).toContain('<form method="post" action="/codec/login">');
  expect(page).toContain('type="password" name="token"');

  const wrong = await signIn('not-the-operator-token-0000');
  expect(wrong.status).toBe(401);
  expect(await wrong.json()).toMatchObject({ code: 'unauthorized' });
  expect(wrong.headers.get('set-cookie')).toBeNull();

  const signedIn = await signIn(operatorToken);
  expect(signedIn.status).toBe(200);
  const cookie = signedIn.headers.get('set-cookie') ?? '';
  // `<expiry>.<signature>` (@fastify/cookie's HMAC, URL-encoded).
  expect(cookie).toMatch(/^junction_codec=\d+\.[\w%-]+; /);
  expect(cookie).toContain('HttpOnly');
  expect(cookie).toContain('SameSite=Strict');
  expect(cookie).toContain('Path=/codec');
  expect(cookie).toContain(`Max-Age=${8 * 3600}`);
  expect(cookie).not.toContain(operatorToken);
  const session = cookie.split(';')[0] as string;

  const payloads = { payloads: [uiPayload({ via: 'cookie' })] };
  const withCookie = await codec('encode', payloads, { cookie: `other=1; ${session}` });
  expect(withCookie.status).toBe(200);
  expect((await codec('decode', withCookie.json, { cookie: session })).json).toEqual(payloads);

  // Altered (another expiry under the same MAC) or expired, the cookie is worth nothing.
  const [, mac] = session.split('.');
  const extended = `junction_codec=${Math.floor(clock / 1000) + 30 * 24 * 3600}.${mac}`;
  expect((await codec('encode', payloads, { cookie: extended })).status).toBe(401);
  const start = clock;
  clock = start + 8 * 3600 * 1000 + 1_000;
  try {
    expect((await codec('encode', payloads, { cookie: session })).status).toBe(401);
  } finally {
    clock = start;
  }
  expect((await codec('encode', payloads, { cookie: session })).status).toBe(200);
});

test('CORS: only the configured UI origin gets CORS headers, for the preflight and the request', async () => {
  const preflight = (origin: string) =>
    fetch(`${junction.url}/codec/decode`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace',
      },
    });
  const allowed = await preflight(UI_ORIGIN);
  expect(allowed.status).toBe(204);
  expect(allowed.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
  expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
  expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
  expect(allowed.headers.get('access-control-allow-headers')).toEqual(
    expect.stringMatching(/content-type.*x-namespace|x-namespace.*content-type/),
  );
  expect(allowed.headers.get('vary')).toContain('Origin');

  for (const origin of ['http://127.0.0.1:8998', 'https://evil.example', 'null']) {
    const refused = await preflight(origin);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    expect(refused.headers.get('access-control-allow-credentials')).toBeNull();
    expect(refused.headers.get('access-control-allow-methods')).toBeNull();
  }

  const payloads = { payloads: [uiPayload('cors')] };
  const fromUi = await codec('encode', payloads, {
    origin: UI_ORIGIN,
    authorization: `Bearer ${operatorToken}`,
  });
  expect(fromUi.status).toBe(200);
  expect(fromUi.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
  expect(fromUi.headers.get('access-control-allow-credentials')).toBe('true');
  // From the UI but not signed in: refused, and the browser may read why.
  const anonymous = await codec('encode', payloads, { origin: UI_ORIGIN });
  expect(anonymous.status).toBe(401);
  expect(anonymous.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);

  // Another origin is refused even with a valid token: a page elsewhere cannot use an operator's session.
  const elsewhere = await codec('encode', payloads, {
    origin: 'https://evil.example',
    authorization: `Bearer ${operatorToken}`,
  });
  expect(elsewhere.status).toBe(403);
  expect(elsewhere.json).toMatchObject({ code: 'unauthorized' });
  expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull();
  // Without an Origin (the temporal CLI, curl) there is no CORS at all.
  const cli = await codec('encode', payloads);
  expect(cli.status).toBe(200);
  expect(cli.headers.get('access-control-allow-origin')).toBeNull();
});

test('the temporal CLI shows a history decoded through the endpoint (--codec-endpoint, --codec-auth)', async () => {
  const connectionId = uniqueName('cli-codec');
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${junction.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${adminKey}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
  const created = await admin('POST', '/connections', {
    connectionId,
    providerId: 'stripe',
    credentials: { apiKey: 'sk_test_codec_cli_0123456789' },
  });
  expect(created.status).toBe(201);
  expect((await admin('DELETE', `/connections/${connectionId}`)).status).toBe(200);

  const cli = process.env.JUNCTION_TEST_TEMPORAL_CLI ?? 'temporal';
  const show = (extra: string[]) =>
    promisify(execFile)(
      cli,
      [
        'workflow',
        'show',
        '-w',
        connectionWorkflowId(connectionId),
        '--address',
        testTemporalAddress(),
        ...extra,
      ],
      { timeout: 30_000 },
    );
  const encrypted = await show([]);
  expect(encrypted.stdout).toContain('binary/encrypted');
  expect(encrypted.stdout).not.toContain(`"connectionId":"${connectionId}"`);

  const decoded = await show([
    '--codec-endpoint',
    `${junction.url}/codec`,
    '--codec-auth',
    `Bearer ${operatorToken}`,
  ]);
  expect(decoded.stdout).toContain('json/plain');
  expect(decoded.stdout).toContain(`"connectionId":"${connectionId}"`);
  expect(decoded.stdout).toContain('"state":"deleted"');
  expect(decoded.stdout).not.toContain('binary/encrypted');
});
