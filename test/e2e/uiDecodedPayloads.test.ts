import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { BrowserContext, Page } from 'playwright-core';
import { stringify } from 'yaml';
import { launchChromium } from '../helpers/browser';
import { exited, spawnCli, waitForOutput } from '../helpers/cli';
import { onFreshPorts, type DevPorts } from '../helpers/freshPorts';
import { uniqueName } from '../helpers/temporal';

/** `binary/encrypted` in base64: what the UI shows of a payload it could not decode. */
const ENCRYPTED = Buffer.from('binary/encrypted').toString('base64');
const WAIT = { timeout: 30_000 };

let dev: ChildProcess | undefined;
let browser: BrowserContext | undefined;
let apiUrl: string;
let uiUrl: string;
let dataDir: string;
let temporalAddress: string;
let banner: string;
const adminKey = `admin-${randomBytes(16).toString('hex')}`;

/** Starts `junction dev` on the given ports, as a person runs it. */
async function startDev(ports: DevPorts): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'junction-ui-'));
  dataDir = join(dir, 'data');
  writeFileSync(
    join(dir, 'junction.config.yaml'),
    stringify({ dev: { port: ports.temporal, uiPort: ports.ui }, admin: { apiKeys: [adminKey] } }),
  );
  // `junction dev` as a person runs it: dev server with UI, worker, API; no operator token configured, so it
  // keeps one in its data directory.
  dev = spawnCli(
    ['dev'],
    {
      PORT: String(ports.api),
      JUNCTION_DATA_DIR: dataDir,
      TEMPORAL_CLI_PATH: process.env.JUNCTION_TEST_TEMPORAL_CLI,
      TEMPORAL_ADDRESS: '',
    },
    dir,
  );
  banner = await waitForOutput(dev, /Junction is running[\s\S]*Temporal:/);
  apiUrl = `http://127.0.0.1:${ports.api}`;
  uiUrl = `http://127.0.0.1:${ports.ui}`;
  temporalAddress = `127.0.0.1:${ports.temporal}`;
}

beforeAll(async () => {
  await onFreshPorts(startDev);
  // Tall enough that the UI's codec settings panel is not under its sticky top bar.
  browser = await launchChromium({ viewport: { width: 1400, height: 1600 } });
});
afterAll(async () => {
  await browser?.close();
  if (dev) {
    dev.kill('SIGTERM');
    await exited(dev);
  }
});

/**
 * Opens (or reloads) a workflow's page and waits for the UI's codec request for the workflow input (found by
 * the input's ciphertext in its body); answers its status and the Input code block as then shown.
 */
async function openWorkflowInput(
  page: Page,
  workflowId: string,
  inputCiphertext: string,
  reload = false,
): Promise<{ status: number; shown: () => Promise<string> }> {
  const answered = page.waitForResponse(
    (response) =>
      response.url() === `${apiUrl}/codec/decode` &&
      (response.request().postData() ?? '').includes(inputCiphertext),
    WAIT,
  );
  if (reload) await page.reload();
  else await page.goto(`${uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
  const response = await answered;
  const shown = async () => {
    const input = page.locator('.cm-content', { hasText: /"(metadata|connectionId)"/ }).first();
    await input.waitFor(WAIT);
    return (await input.textContent()) ?? '';
  };
  return { status: response.status(), shown };
}

/** Creates an api_key connection through the API; answers its workflow id and the input's ciphertext. */
async function createConnection(): Promise<{
  connectionId: string;
  workflowId: string;
  inputCiphertext: string;
  stored: { metadata: Record<string, string>; data: string };
}> {
  const connectionId = uniqueName('ui');
  const created = await fetch(`${apiUrl}/connections`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      connectionId,
      providerId: 'stripe',
      credentials: { apiKey: 'sk_test_ui_0123456789' },
    }),
  });
  expect(created.status).toBe(201);
  const workflowId = `connection:${connectionId}`;
  // The input as stored: ciphertext, whose base64 the UI sends to the codec.
  const connection = await Connection.connect({ address: temporalAddress });
  const history = await new Client({ connection }).workflow.getHandle(workflowId).fetchHistory();
  await connection.close();
  const stored = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  expect(Buffer.from(stored?.metadata?.encoding ?? []).toString()).toBe('binary/encrypted');
  const inputCiphertext = Buffer.from(stored?.data ?? []).toString('base64');
  const metadata = Object.fromEntries(
    Object.entries(stored?.metadata ?? {}).map(([key, value]) => [
      key,
      Buffer.from(value).toString('base64'),
    ]),
  );
  return { connectionId, workflowId, inputCiphertext, stored: { metadata, data: inputCiphertext } };
}

test('the dev UI, opened fresh with no settings touched, shows a connection workflow input decoded', async () => {
  expect(banner).toContain(`Codec:    ${apiUrl}/codec (the UI decodes payloads, no sign-in on loopback`);
  const { connectionId, workflowId, inputCiphertext } = await createConnection();
  const decoded = `"connectionId": "${connectionId}"`;

  // A fresh browser profile: no cookie, no codec settings in local storage.
  const page = await (browser as BrowserContext).newPage();
  const opened = await openWorkflowInput(page, workflowId, inputCiphertext);
  expect(opened.status).toBe(200);
  await page.locator('.cm-content', { hasText: decoded }).first().waitFor(WAIT);
  const input = await opened.shown();
  expect(input).toContain(decoded);
  expect(input).toContain('"providerId": "stripe"');
  expect(input).toContain('"mode": "api_key"');
  expect(input).not.toContain(ENCRYPTED);
  expect(await page.getByText('Codec Server could not connect').filter({ visible: true }).count()).toBe(0);
  // Nobody signed in: no codec session cookie (the UI's own `_csrf` cookie aside).
  const cookies = await (browser as BrowserContext).cookies();
  expect(cookies.map((c) => c.name)).not.toContain('junction_codec');
  await page.close();
});

test('open on loopback is for the UI only: another browser origin is refused, a wrong bearer token too', async () => {
  const { stored } = await createConnection();
  const decode = (headers: Record<string, string>) =>
    fetch(`${apiUrl}/codec/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ payloads: [stored] }),
    });
  const fromElsewhere = await decode({ origin: 'http://evil.example' });
  expect(fromElsewhere.status).toBe(403);
  expect(fromElsewhere.headers.get('access-control-allow-origin')).toBeNull();
  expect(await decode({ authorization: 'Bearer not-the-operator-token' })).toMatchObject({ status: 401 });
  const token = readFileSync(join(dataDir, 'operator-token'), 'utf8').trim();
  expect(await decode({ authorization: `Bearer ${token}` })).toMatchObject({ status: 200 });
});
