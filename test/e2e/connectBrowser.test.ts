import type { BrowserContext } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import { RETURN_TO, startConnectionsEnv, type ConnectionsEnv } from '../helpers/connectionsFixture';
import { uniqueName } from '../helpers/temporal';

let env: ConnectionsEnv;
let browser: BrowserContext;

beforeAll(async () => {
  env = await startConnectionsEnv();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await env?.stop();
});

test('a person connects in headless Chromium: connect → login → consent → callback → active', async () => {
  const connectionId = uniqueName('browser');
  const page = await browser.newPage();
  // The application's returnTo page does not exist; record where the browser is sent instead.
  await page.route(`${RETURN_TO}**`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<p id="app">back in the app</p>' }),
  );
  // The application asks Junction for a connect link (admin API) and sends its user's browser there.
  await page.goto(await env.connectLink('test-oauth', connectionId, `${RETURN_TO}connected`));
  await page.fill('#login', 'alice');
  await page.fill('#password', 'secret-password');
  await page.click('#sign-in');
  await page.click('#allow');
  await page.waitForSelector('#app');
  const final = new URL(page.url());
  expect(final.pathname).toBe('/app/connected');
  expect(final.searchParams.get('status')).toBe('connected');
  expect(final.searchParams.get('connection_id')).toBe(connectionId);
  const status = await env.admin('GET', `/connections/${connectionId}`);
  expect(status.json).toMatchObject({ state: 'active', providerId: 'test-oauth' });
  await page.close();
});
