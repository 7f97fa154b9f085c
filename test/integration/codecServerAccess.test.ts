import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../src/temporal/runtime';
import { exited, spawnCli, waitForOutput } from '../helpers/cli';
import { testTemporalAddress } from '../helpers/temporal';

/**
 * `junction server` (any process but `junction dev` on loopback) keeps the codec closed: the UI origin alone
 * opens nothing, an operator token or sign-in is needed.
 */
const operatorToken = `op-${randomBytes(16).toString('hex')}`;
const uiOrigin = 'http://127.0.0.1:8080';
let server: ChildProcess | undefined;
let apiUrl: string;

beforeAll(async () => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'junction-codec-server-'));
  const config = join(dir, 'junction.config.yaml');
  writeFileSync(config, stringify({ codec: { operatorTokens: [operatorToken], uiOrigin } }));
  server = spawnCli(['server'], {
    JUNCTION_CONFIG: config,
    TEMPORAL_ADDRESS: testTemporalAddress(),
    PORT: String(port),
  });
  await waitForOutput(server, /Junction is running/);
  apiUrl = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  if (server) {
    server.kill('SIGTERM');
    await exited(server);
  }
});

const plain = {
  metadata: { encoding: Buffer.from('json/plain').toString('base64') },
  data: Buffer.from('{"hello":"operator"}').toString('base64'),
};

const codec = (action: 'encode' | 'decode', body: unknown, headers: Record<string, string>) =>
  fetch(`${apiUrl}/codec/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: uiOrigin, ...headers },
    body: JSON.stringify(body),
  });

test('junction server answers the UI origin without credentials 401, with the operator token 200', async () => {
  const refused = await codec('encode', { payloads: [plain] }, {});
  expect(refused.status).toBe(401);
  expect(await refused.json()).toMatchObject({ code: 'unauthorized' });

  const encoded = await codec('encode', { payloads: [plain] }, { authorization: `Bearer ${operatorToken}` });
  expect(encoded.status).toBe(200);
  const ciphertext = (await encoded.json()) as { payloads: unknown[] };
  expect(await (await codec('decode', ciphertext, {})).json()).toMatchObject({ code: 'unauthorized' });
  const decoded = await codec('decode', ciphertext, { authorization: `Bearer ${operatorToken}` });
  expect(decoded.status).toBe(200);
  expect(await decoded.json()).toEqual({ payloads: [plain] });
});
