import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { webhookDelivery } from '../../src/workflows';
import { runCli } from '../helpers/cli';
import { startTestJunction, type TestJunction } from '../helpers/junction';
import { newStandardSecret, signStandardWebhook } from '../helpers/sign';
import { startTarget, type Target } from '../helpers/target';
import { eventually, testTemporalAddress } from '../helpers/temporal';

const dir = mkdtempSync(join(tmpdir(), 'junction-cli-'));

function configFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('configuration errors stop start-up with a message naming the key', () => {
  test.each([
    ['unknown key', 'server:\n  prot: 3000\n', /server\.prot: unknown key/],
    [
      'missing secret',
      'sources:\n  - id: acme\n    scheme: standard-webhooks\n    secrets: ["${ACME_SECRET_NOT_SET}"]\n',
      /sources\[0\]\.secrets\[0\]: environment variable ACME_SECRET_NOT_SET is not set/,
    ],
    [
      'bad URL',
      `sources:\n  - id: acme\n    scheme: standard-webhooks\n    secrets: ["${newStandardSecret()}"]\n    routes:\n      - events: ["*"]\n        forward: { url: "localhost:4000" }\n`,
      /sources\[0\]\.routes\[0\]\.forward\.url: must be an absolute http/,
    ],
    [
      'no secrets',
      'sources:\n  - id: acme\n    scheme: standard-webhooks\n    secrets: []\n',
      /verification is never skipped/,
    ],
  ])('%s', async (_name, text, pattern) => {
    const file = configFile(`bad-${_name.replace(/ /g, '-')}.yaml`, text);
    const result = await runCli(['server'], { JUNCTION_CONFIG: file, PORT: '0' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(pattern);
    expect(result.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });

  test('a worker with a target it could only send to unsigned', async () => {
    const file = configFile(
      'unsigned.yaml',
      `sources:\n  - id: acme\n    scheme: standard-webhooks\n    secrets: ["${newStandardSecret()}"]\n    routes:\n      - events: ["*"]\n        forward: { url: "http://127.0.0.1:9/in" }\n`,
    );
    const result = await runCli(['worker'], { JUNCTION_CONFIG: file, PORT: '0' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /sources\[0\]\.routes\[0\]\.forward: every request to the application is signed, and no signing secret is configured/,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  test('a JUNCTION_CONFIG that does not exist', async () => {
    const result = await runCli(['worker'], { JUNCTION_CONFIG: join(dir, 'nope.yaml') });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('JUNCTION_CONFIG: file not found');
  });
});

describe('junction dlq', () => {
  const secret = newStandardSecret();
  let target: Target;
  let junction: TestJunction;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    target = await startTarget(() => ({ status: 410 }));
    junction = await startTestJunction({
      sources: [
        {
          id: 'clisrc',
          scheme: 'standard-webhooks',
          secrets: [secret],
          routes: [{ events: ['*'], forward: { url: target.url } }],
        },
      ],
    });
    env = {
      TEMPORAL_ADDRESS: testTemporalAddress(),
      JUNCTION_CONFIG: configFile(
        'dlq.yaml',
        `temporal:\n  taskQueue: ${junction.config.temporal.taskQueue}\n`,
      ),
    };
  });

  afterAll(async () => {
    await junction?.stop();
    await target?.close();
  });

  async function deadLetter(): Promise<string> {
    const signed = signStandardWebhook({ secret, type: 'user.deleted' });
    const answer = await junction.post('/webhooks/clisrc', { headers: signed.headers, body: signed.body });
    const { workflowId } = (await answer.json()) as { workflowId: string };
    await eventually(
      async () => (await junction.junction.webhooks.deliveryStatus(workflowId)).state === 'dead_lettered',
    );
    return workflowId;
  }

  test('list (table and JSON), retry, discard, and clear refusals', async () => {
    const first = await deadLetter();
    const second = await deadLetter();

    const listed = await eventually(async () => {
      const result = await runCli(['dlq', 'list', '--source', 'clisrc', '--json'], env);
      expect(result.code).toBe(0);
      const rows = JSON.parse(result.stdout) as Array<{
        workflowId: string;
        lastError: { code: string; status: number };
      }>;
      return rows.length === 2 ? rows : undefined;
    });
    expect(listed.map((row) => row.workflowId).sort()).toEqual([first, second].sort());
    expect(listed[0]?.lastError).toMatchObject({ code: 'target_rejected', status: 410 });

    const table = await runCli(['dlq', 'list', '--source', 'clisrc'], env);
    expect(table.stdout).toMatch(/WORKFLOW ID\s+SOURCE\s+EVENT/);
    expect(table.stdout).toContain(first);
    expect(table.stdout).toContain('user.deleted');

    target.behave(() => ({ status: 200 }));
    const retried = await runCli(['dlq', 'retry', first], env);
    expect(retried).toMatchObject({ code: 0 });
    expect(retried.stdout).toContain(`retry sent to ${first}`);
    await eventually(
      async () => (await junction.junction.webhooks.deliveryStatus(first)).state === 'delivered',
    );

    const discarded = await runCli(['dlq', 'discard', second, '--reason', 'customer deleted anyway'], env);
    expect(discarded.code).toBe(0);
    const result = await junction.client.workflow.getHandle<typeof webhookDelivery>(second).result();
    expect(result).toMatchObject({ state: 'discarded', discardReason: 'customer deleted anyway' });

    const refused = await runCli(['dlq', 'retry', first], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is not dead-lettered');
    const missing = await runCli(['dlq', 'discard', 'webhook:clisrc:never'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no workflow with id "webhook:clisrc:never"');

    const empty = await eventually(async () => {
      const after = await runCli(['dlq', 'list', '--source', 'clisrc'], env);
      return after.stdout.includes('no dead letters') ? after : undefined;
    });
    expect(empty.code).toBe(0);
  });

  test('Temporal unreachable → a clear message and exit 1', async () => {
    const result = await runCli(['dlq', 'list'], { ...env, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot reach Temporal at 127.0.0.1:1');
  });
});

test('`junction temporal setup` creates a namespace, registers the search attributes and sets retention, idempotently', async () => {
  const namespace = `ns-${Date.now()}`;
  const env = { TEMPORAL_ADDRESS: testTemporalAddress(), TEMPORAL_NAMESPACE: namespace, JUNCTION_CONFIG: '' };
  const first = await runCli(['temporal', 'setup', '--create-namespace', '--retention-days', '4'], env);
  expect(first.code).toBe(0);
  expect(first.stdout).toContain(
    `namespace ${namespace} (created): registered JunctionSource, JunctionConnectionId, JunctionState, JunctionLastSuccessAt; retention 4 days`,
  );
  const again = await runCli(['temporal', 'setup', '--no-retention'], env);
  expect(again.stdout).toContain(`namespace ${namespace}: registered nothing new`);
});
