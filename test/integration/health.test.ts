import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { Connection } from '@temporalio/client';
import { setupNamespace } from '../../src/temporal/namespace';
import type { EntityHealth, HealthReport } from '../../src/health';
import { runCli } from '../helpers/cli';
import { RETURN_TO, startConnectionsEnv, type ConnectionsEnv } from '../helpers/connectionsFixture';
import { authorizeWithoutBrowser } from '../helpers/oauthServer';
import { newStandardSecret, signStandardWebhook } from '../helpers/sign';
import { startTarget, type Target } from '../helpers/target';
import { testTemporalAddress, uniqueName } from '../helpers/temporal';

const secret = newStandardSecret();
let env: ConnectionsEnv;
let target: Target;
let cliEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  target = await startTarget();
  target.behave(() => ({ status: 200 }));
  // A namespace of its own: the report covers every connection in the namespace, and other test files'
  // connections (some in needs_reauth on purpose) must not count here.
  const namespace = uniqueName('health');
  const connection = await Connection.connect({ address: testTemporalAddress() });
  await setupNamespace(connection, namespace, { createIfMissing: true, retentionDays: 1 });
  await connection.close();
  env = await startConnectionsEnv({
    extraConfig: {
      temporal: { taskQueue: uniqueName('health'), namespace },
      sources: [
        {
          id: 'acme',
          scheme: 'standard-webhooks',
          secrets: [secret],
          routes: [{ events: ['*'], forward: { url: `${target.url}/acme` } }],
        },
      ],
    },
  });
  // The CLI reads a config file as an operator's would; the admin key comes from the environment.
  const dir = mkdtempSync(join(tmpdir(), 'junction-health-'));
  const configFile = join(dir, 'junction.yaml');
  writeFileSync(configFile, stringify({ server: { port: Number(new URL(env.junction.url).port) } }));
  cliEnv = {
    TEMPORAL_ADDRESS: testTemporalAddress(),
    JUNCTION_CONFIG: configFile,
    JUNCTION_ADMIN_KEY: env.adminKey,
  };
});
afterAll(async () => {
  await env?.stop();
  await target?.close();
});

async function health(): Promise<HealthReport> {
  const answer = await env.admin('GET', '/health/integrations');
  expect(answer.status).toBe(200);
  return answer.json as HealthReport;
}

type Kind = 'connections' | 'providers' | 'sources' | 'syncs';

function entity<K extends Kind>(report: HealthReport, kind: K, id: string): HealthReport[K][number] {
  const found = (report[kind] as Array<EntityHealth<unknown>>).find((item) => item.id === id);
  if (!found) throw new Error(`no ${kind} entity "${id}" in the report`);
  return found as HealthReport[K][number];
}

function sendWebhook(signingSecret: string) {
  const signed = signStandardWebhook({ secret: signingSecret });
  return env.junction.post('/webhooks/acme', { headers: signed.headers, body: signed.body });
}

test('the route wants the admin key', async () => {
  const answer = await env.admin('GET', '/health/integrations', undefined, 'not-the-key');
  expect(answer).toMatchObject({ status: 401, json: { code: 'unauthorized' } });
});

test('a healthy set: an active connection and a source receiving signed webhooks; status exits 0', async () => {
  const connectionId = uniqueName('cc');
  const created = await env.admin('POST', '/connections', { connectionId, providerId: 'test-cc' });
  expect(created.status).toBe(201);
  expect((await sendWebhook(secret)).status).toBe(202);

  const report = await health();
  expect(report.status).toBe('healthy');
  const connection = entity(report, 'connections', connectionId);
  expect(connection).toMatchObject({
    status: 'healthy',
    reasons: [],
    facts: { state: 'active', detail: 'query' },
  });
  expect(Date.parse(connection.facts.expiresAt ?? '')).toBeGreaterThan(Date.now());
  const source = entity(report, 'sources', 'acme');
  expect(source).toMatchObject({
    status: 'healthy',
    facts: { deadLetters: 0, requests: { last5m: { accepted: 1, signatureFailures: 0 } } },
  });
  expect(Date.parse(source.facts.lastReceivedAt ?? '')).toBeGreaterThan(Date.now() - 60_000);
  expect(entity(report, 'providers', 'test-cc')).toMatchObject({
    status: 'healthy',
    facts: { tokenRequests: { last60m: { failed: 0 } }, connections: { byState: { active: 1 } } },
  });

  const table = await runCli(['status'], cliEnv);
  expect(table.stderr).toBe('');
  expect(table.code).toBe(0);
  expect(table.stdout).toMatch(/^integrations: healthy/);
  expect(table.stdout).toContain(connectionId);
  expect(table.stdout).not.toContain('\x1b['); // not a terminal: no colour

  const json = await runCli(['status', '--json', '--url', env.junction.url], cliEnv);
  expect(json.code).toBe(0);
  expect(JSON.parse(json.stdout)).toMatchObject({
    status: 'healthy',
    summary: { connections: { failing: 0 } },
  });
});

test('signature failures make the source degraded, with the reason; degraded still exits 0', async () => {
  for (let i = 0; i < 3; i++) expect((await sendWebhook(newStandardSecret())).status).toBe(401);
  const source = entity(await health(), 'sources', 'acme');
  expect(source.status).toBe('degraded');
  expect(source.facts.requests?.last5m.signatureFailures).toBe(3);
  expect(source.reasons.join(' ')).toMatch(/3 signature failure\(s\) in the last 5 minutes.*rotated secret/);

  const status = await runCli(['status', '--problems'], cliEnv);
  expect(status.code).toBe(0);
  expect(status.stdout).toMatch(/^integrations: degraded/);
  expect(status.stdout).toMatch(/acme.*signature failure/);
});

test('a connection whose refresh is refused with invalid_grant is failing, and status exits 2', async () => {
  const connectionId = uniqueName('gh');
  await authorizeWithoutBrowser(await env.connectLink('test-oauth', connectionId), {
    returnToPrefix: RETURN_TO,
  });
  await env.oauth.revokeAllGrants();
  const refresh = await env.admin('POST', `/connections/${connectionId}/refresh`);
  expect(refresh).toMatchObject({ status: 409, json: { code: 'needs_reauth' } });

  const report = await health();
  expect(report.status).toBe('failing');
  const connection = entity(report, 'connections', connectionId);
  expect(connection).toMatchObject({
    status: 'failing',
    facts: { state: 'needs_reauth', reauthReason: 'invalid_grant', lastError: { code: 'invalid_grant' } },
  });
  expect(connection.reasons[0]).toMatch(/^needs re-authorization \(invalid_grant\)/);
  const provider = entity(report, 'providers', 'test-oauth');
  expect(provider.status).toBe('degraded');
  expect(provider.facts.tokenRequests?.last60m.failures).toMatchObject({ invalid_grant: 1 });
  expect(provider.reasons.join(' ')).toMatch(/connection\(s\) need re-authorization/);

  const table = await runCli(['status', '--url', env.junction.url], cliEnv);
  expect(table.code).toBe(2);
  expect(table.stdout).toMatch(/^integrations: failing/);
  expect(table.stdout).toMatch(new RegExp(`failing\\s+${connectionId}\\s+test-oauth\\s+needs_reauth`));

  const json = await runCli(['status', '--json'], cliEnv);
  expect(json.code).toBe(2);
  const parsed = JSON.parse(json.stdout) as HealthReport;
  expect(parsed.status).toBe('failing');
  expect(entity(parsed, 'connections', connectionId).status).toBe('failing');

  // Two processes' reports combine: the same instance twice still reads failing, reasons marked by process.
  const both = await runCli(['status', '--json', '--url', env.junction.url, env.junction.url], cliEnv);
  expect(both.code).toBe(2);
  expect(entity(JSON.parse(both.stdout) as HealthReport, 'connections', connectionId).reasons[0]).toMatch(
    /\[.+:\d+\]$/,
  );
});

test('status answers a clear error for a wrong admin key or no server', async () => {
  const refused = await runCli(['status', '--admin-key', 'wrong'], cliEnv);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/refused the admin key/);
  const nobody = await runCli(['status', '--url', 'http://127.0.0.1:9'], cliEnv);
  expect(nobody.code).toBe(1);
  expect(nobody.stderr).toMatch(/cannot reach Junction/);
});
