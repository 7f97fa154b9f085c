import { randomBytes } from 'node:crypto';
import type { BrowserContext } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import { startTestJunction, type TestJunction } from '../helpers/junction';

let junction: TestJunction;
let browser: BrowserContext;

beforeAll(async () => {
  junction = await startTestJunction(
    { admin: { apiKeys: [`admin-${randomBytes(16).toString('hex')}`] } },
    { worker: false },
  );
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await junction?.stop();
});

test('/docs renders the API reference in a browser, with no blocked script or style', async () => {
  const page = await browser.newPage();
  const blocked: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') blocked.push(message.text());
  });
  const offsite: string[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(junction.url)) offsite.push(request.url());
  });
  await page.goto(`${junction.url}/docs`);
  await page.waitForSelector('.opblock-summary', { timeout: 30_000 });
  const operations = await page.locator('.opblock-summary').count();
  expect(operations).toBeGreaterThan(10);
  expect(await page.locator('.info .title').innerText()).toContain('Junction');
  // An operation opens to show its error answers with their codes.
  await page.locator('.opblock-summary', { hasText: '/webhooks/{source}' }).first().click();
  await page.waitForSelector('.responses-table', { timeout: 10_000 });
  expect(await page.locator('.responses-table').first().innerText()).toContain('401');
  expect(offsite).toEqual([]);
  expect(blocked).toEqual([]);
}, 60_000);
