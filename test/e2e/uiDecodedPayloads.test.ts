import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { BrowserContext, Page } from 'playwright-core';
import { stringify } from 'yaml';
import { freePort } from '../../src/temporal/runtime';
import { launchChromium } from '../helpers/browser';
import { exited, spawnCli, waitForOutput } from '../helpers/cli';
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
const adminKey = `admin-${randomBytes(16).toString('hex')}`;

beforeAll(async () => {
  const [apiPort, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'junction-ui-'));
  dataDir = join(dir, 'data');
  writeFileSync(
    join(dir, 'junction.config.yaml'),
    stringify({ dev: { port: temporalPort, uiPort }, admin: { apiKeys: [adminKey] } }),
  );
  // `junction dev` as a person runs it: dev server with UI, worker, API; no operator token configured, so it
  // keeps one in its data directory.
  dev = spawnCli(
    ['dev'],
    {
      PORT: String(apiPort),
      JUNCTION_DATA_DIR: dataDir,
      TEMPORAL_CLI_PATH: process.env.JUNCTION_TEST_TEMPORAL_CLI,
      TEMPORAL_ADDRESS: '',
    },
    dir,
  );
  await waitForOutput(dev, /Junction is running[\s\S]*Temporal:/);
  apiUrl = `http://127.0.0.1:${apiPort}`;
  uiUrl = `http://127.0.0.1:${uiPort}`;
  temporalAddress = `127.0.0.1:${temporalPort}`;
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

test('an operator signed in to the codec sees a connection workflow input decoded in the Temporal UI; otherwise not', async () => {
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
  const decoded = `"connectionId": "${connectionId}"`;

  const page = await (browser as BrowserContext).newPage();

  // The input as stored: ciphertext, whose base64 the UI sends to the codec.
  const connection = await Connection.connect({ address: temporalAddress });
  const history = await new Client({ connection }).workflow.getHandle(workflowId).fetchHistory();
  await connection.close();
  const stored = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  expect(Buffer.from(stored?.metadata?.encoding ?? []).toString()).toBe('binary/encrypted');
  const inputCiphertext = Buffer.from(stored?.data ?? []).toString('base64');

  // 1. Not signed in: the UI calls the codec endpoint it was started with, is refused, shows ciphertext.
  let opened = await openWorkflowInput(page, workflowId, inputCiphertext);
  expect(opened.status).toBe(401);
  let input = await opened.shown();
  expect(input).toContain(ENCRYPTED);
  expect(input).not.toContain(decoded);
  await page.getByText('Codec Server could not connect').filter({ visible: true }).first().waitFor(WAIT);

  // 2. The operator signs in at /codec/login with the token `junction dev` keeps in its data directory.
  const token = readFileSync(join(dataDir, 'operator-token'), 'utf8').trim();
  await page.goto(`${apiUrl}/codec/login`);
  await page.fill('input[name="token"]', token);
  await page.click('button[type="submit"]');
  await page.getByText('Signed in').waitFor(WAIT);
  // With the cluster-level setting the UI (2.42.1) does not send cookies cross-origin: still refused.
  opened = await openWorkflowInput(page, workflowId, inputCiphertext);
  expect(opened.status).toBe(401);
  expect(await opened.shown()).toContain(ENCRYPTED);

  // 3. In the UI's Codec Server settings: this browser's endpoint, with cross-origin credentials.
  await page.click('[data-testid^="data-encoder-status"]');
  await page.click('[data-testid="override-accordion"]');
  await page.check('#use-local-endpoint-radio');
  await page.fill('#data-encoder-endpoint-input', `${apiUrl}/codec`);
  // The toggle is a visually hidden checkbox: operate it from the keyboard, as a person can.
  await page.focus('#pass-access-credentials');
  await page.keyboard.press('Space');
  expect(await page.isChecked('#pass-access-credentials')).toBe(true);
  await page.focus('[data-testid="confirm-data-encoder-button"]');
  await page.keyboard.press('Enter');
  opened = await openWorkflowInput(page, workflowId, inputCiphertext, true);
  expect(opened.status).toBe(200);
  await page.locator('.cm-content', { hasText: decoded }).first().waitFor(WAIT);
  input = await opened.shown();
  expect(input).toContain(decoded);
  expect(input).toContain('"providerId": "stripe"');
  expect(input).toContain('"mode": "api_key"');
  expect(input).not.toContain(ENCRYPTED);

  // 4. Same browser settings, session gone (another operator, or signed out): refused, ciphertext again.
  await (browser as BrowserContext).clearCookies();
  opened = await openWorkflowInput(page, workflowId, inputCiphertext, true);
  expect(opened.status).toBe(401);
  input = await opened.shown();
  expect(input).toContain(ENCRYPTED);
  expect(input).not.toContain(decoded);
  await page.close();
});
