import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCli } from '../helpers/cli';
import { startTestJunction, type TestJunction } from '../helpers/junction';
import { newSecret } from '../helpers/providers';
import { startTarget, type Target } from '../helpers/target';
import { eventually, testTemporalAddress } from '../helpers/temporal';

const dir = mkdtempSync(join(tmpdir(), 'junction-webhooks-cli-'));
const stripeSecret = newSecret('whsec_');
const sendgrid = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
let target: Target;
let junction: TestJunction;
let env: NodeJS.ProcessEnv;

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

beforeAll(async () => {
  target = await startTarget();
  const rawConfig = {
    delivery: { retry: { initialIntervalMs: 50, maximumIntervalMs: 50, maximumAttempts: 1 } },
    sources: [
      {
        id: 'pay',
        scheme: 'stripe',
        secrets: [stripeSecret],
        routes: [{ events: ['*'], forward: { url: `${target.url}/pay` } }],
      },
      {
        id: 'mail',
        scheme: 'sendgrid',
        publicKeys: [sendgrid.publicKey.export({ format: 'der', type: 'spki' }).toString('base64')],
        routes: [{ events: ['*'], forward: { url: `${target.url}/mail` } }],
      },
    ],
  };
  junction = await startTestJunction(rawConfig);
  // The CLI reads the same configuration from a file, as an operator's would.
  env = {
    TEMPORAL_ADDRESS: testTemporalAddress(),
    JUNCTION_CONFIG: file(
      'junction.yaml',
      stringify({ ...rawConfig, temporal: { taskQueue: junction.config.temporal.taskQueue } }),
    ),
  };
});

afterAll(async () => {
  await junction?.stop();
  await target?.close();
});

beforeEach(() => target.behave(() => ({ status: 200 })));

test('webhooks send signs with the configured secret; the same --id again is a duplicate', async () => {
  const body = file('event.json', JSON.stringify({ object: 'event', data: { object: { id: 'in_1' } } }));
  const args = [
    'webhooks',
    'send',
    'pay',
    '--file',
    body,
    '--event',
    'invoice.paid',
    '--id',
    'evt_cli_1',
    '--url',
    junction.url,
  ];
  const first = await runCli(args, env);
  expect(first).toMatchObject({ code: 0 });
  expect(first.stdout).toBe('202 {"status":"accepted","workflowId":"webhook:pay:evt_cli_1"}\n');
  const again = await runCli(args, env);
  expect(again.stdout).toContain('"status":"duplicate"');
  await target.waitForRequests(1);
  expect(JSON.parse(target.requests[0]!.body.toString('utf8'))).toMatchObject({
    id: 'evt_cli_1',
    type: 'invoice.paid',
  });

  const keyFile = file(
    'sendgrid.pem',
    sendgrid.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  );
  const batch = file('batch.json', JSON.stringify([{ event: 'open', sg_event_id: 'e1' }]));
  const mail = await runCli(
    ['webhooks', 'send', 'mail', '--file', batch, '--private-key', keyFile, '--url', junction.url],
    env,
  );
  expect(mail.stdout).toMatch(/^202 .*"accepted"/);
  const unsigned = await runCli(['webhooks', 'send', 'mail', '--file', batch, '--url', junction.url], env);
  expect(unsigned.code).toBe(1);
  expect(unsigned.stderr).toContain('pass --private-key');
});

test('webhooks replay re-runs a finished event as a new delivery; a running one is refused', async () => {
  const body = file('replay.json', JSON.stringify({ id: `evt_${Date.now()}`, type: 'charge.refunded' }));
  const sent = await runCli(['webhooks', 'send', 'pay', '--file', body, '--url', junction.url], env);
  const { workflowId } = JSON.parse(sent.stdout.slice(4)) as { workflowId: string };
  await junction.client.workflow.getHandle(workflowId).result();
  const before = target.requests.length;

  const replay = await runCli(['webhooks', 'replay', workflowId], env);
  expect(replay.code).toBe(0);
  const replayId = /replay started: (\S+)/.exec(replay.stdout)?.[1] ?? '';
  expect(replayId).toMatch(new RegExp(`^${workflowId}:replay:`));
  const result = (await junction.client.workflow.getHandle(replayId).result()) as { state: string };
  expect(result.state).toBe('delivered');
  expect(target.requests.length).toBe(before + 1);
  expect(target.requests.at(-1)?.body.toString('utf8')).toBe(
    target.requests[before - 1]?.body.toString('utf8'),
  );

  target.behave(() => ({ status: 410 }));
  const deadBody = file('dead.json', JSON.stringify({ id: `evt_dead_${Date.now()}`, type: 'charge.failed' }));
  const dead = await runCli(['webhooks', 'send', 'pay', '--file', deadBody, '--url', junction.url], env);
  const deadId = (JSON.parse(dead.stdout.slice(4)) as { workflowId: string }).workflowId;
  await eventually(
    async () => (await junction.junction.webhooks.deliveryStatus(deadId)).state === 'dead_lettered',
  );
  const refused = await runCli(['webhooks', 'replay', deadId], env);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('is still running; use `junction dlq retry`');
  await junction.junction.webhooks.discardDeadLetter(deadId);
});

test('webhooks show prints a delivery with its latest attempts; an unknown id is a one-line error', async () => {
  target.behave(() => ({ status: 503 }));
  const body = file('show.json', JSON.stringify({ id: `evt_show_${Date.now()}`, type: 'charge.failed' }));
  const sent = await runCli(['webhooks', 'send', 'pay', '--file', body, '--url', junction.url], env);
  const { workflowId } = JSON.parse(sent.stdout.slice(4)) as { workflowId: string };
  await eventually(
    async () => (await junction.junction.webhooks.deliveryStatus(workflowId)).state === 'dead_lettered',
  );

  const shown = await runCli(['webhooks', 'show', workflowId], env);
  expect(shown.code).toBe(0);
  expect(shown.stdout).toContain(`workflow:  ${workflowId}`);
  expect(shown.stdout).toMatch(/state: +dead_lettered \(since /);
  expect(shown.stdout).toContain('last 1 attempts (oldest first):');
  expect(shown.stdout).toMatch(
    /route-0\/forward +1 +failed +503 +\d+ ms +target_error: the target answered HTTP 503/,
  );

  const json = await runCli(['webhooks', 'show', workflowId, '--json'], env);
  expect(JSON.parse(json.stdout)).toMatchObject({
    state: 'dead_lettered',
    log: [{ route: 'route-0', target: 'forward', attempt: 1, outcome: 'failed', status: 503 }],
  });

  const unknown = await runCli(['webhooks', 'show', 'webhook:pay:no-such-delivery'], env);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr.trim()).toBe('junction: no workflow with id "webhook:pay:no-such-delivery"');
  await junction.junction.webhooks.discardDeadLetter(workflowId);
});

// Nine CLI processes and three deliveries to dead letters and back: minutes on a busy 2-core machine.
test('dlq retry --source retries every dead letter of the source, with progress', async () => {
  target.behave(() => ({ status: 410 }));
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const body = file(
      `bulk-${i}.json`,
      JSON.stringify({ id: `evt_bulk_${i}_${Date.now()}`, type: 'invoice.voided' }),
    );
    const sent = await runCli(['webhooks', 'send', 'pay', '--file', body, '--url', junction.url], env);
    ids.push((JSON.parse(sent.stdout.slice(4)) as { workflowId: string }).workflowId);
  }
  await eventually(async () => {
    let count = 0;
    for await (const letter of junction.junction.webhooks.listDeadLetters({ sourceId: 'pay' }))
      if (ids.includes(letter.workflowId)) count++;
    return count === 3;
  });
  target.behave(() => ({ status: 200 }));
  const bulk = await runCli(['dlq', 'retry', '--source', 'pay'], env);
  expect(bulk.code).toBe(0);
  expect(bulk.stdout).toMatch(/retry sent to 3 of 3 dead letters \(source pay\)/);
  expect(bulk.stderr).toContain('retrying dead letters (source pay): 3/3');
  for (const id of ids)
    await eventually(async () => (await junction.junction.webhooks.deliveryStatus(id)).state === 'delivered');

  const none = await eventually(async () => {
    const result = await runCli(['dlq', 'retry', '--source', 'pay', '--all'], env);
    return result.stdout.includes('no dead letters') ? result : undefined;
  });
  expect(none.code).toBe(0);
  const neither = await runCli(['dlq', 'retry'], env);
  expect(neither.code).toBe(1);
  expect(neither.stderr).toContain('give a workflow id, or --source <id> / --all');
}, 180_000);
