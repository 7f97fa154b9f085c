import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { LOOPBACK_CIDRS } from '../../src/network/destinations';
import { FORWARD_HEADERS } from '../../src/activities/forward';
import { exited, spawnCli, waitForOutput } from '../helpers/cli';
import { startTestJunction, type TestJunction } from '../helpers/junction';
import { newStandardSecret, signStandardWebhook } from '../helpers/sign';
import { scripted, startTarget, type Target } from '../helpers/target';
import { eventually, testTemporalAddress, uniqueName } from '../helpers/temporal';

const secret = newStandardSecret();
let target: Target;
const running: TestJunction[] = [];

afterAll(async () => {
  for (const junction of running) await junction.stop();
  await target?.close();
});

test('a worker killed (SIGKILL) mid-delivery loses nothing: another worker delivers the event', async () => {
  // The first attempt hangs long enough for the kill; the retry on the new worker succeeds at once.
  target = await startTarget(scripted({ status: 200, delayMs: 30_000 }, 200));
  const taskQueue = uniqueName('killed');
  const config = {
    temporal: { taskQueue, shutdownGraceMs: 0 },
    network: { allowPrivate: [...LOOPBACK_CIDRS] },
    delivery: { signingSecrets: [newStandardSecret()] },
    sources: [
      {
        id: 'acme',
        scheme: 'standard-webhooks',
        secrets: [secret],
        routes: [{ name: 'app', events: ['*'], forward: { url: `${target.url}/in`, timeoutMs: 2_000 } }],
      },
    ],
  };
  const dir = mkdtempSync(join(tmpdir(), 'junction-killed-'));
  writeFileSync(join(dir, 'junction.config.yaml'), stringify(config));

  const worker = spawnCli(['worker'], {
    JUNCTION_CONFIG: join(dir, 'junction.config.yaml'),
    TEMPORAL_ADDRESS: testTemporalAddress(),
    PORT: '0',
  });
  await waitForOutput(worker, /Junction is running/);

  const server = await startTestJunction(config, { worker: false });
  running.push(server);
  const signed = signStandardWebhook({ secret });
  const answer = await server.post('/webhooks/acme', { headers: signed.headers, body: signed.body });
  expect(answer.status).toBe(202);
  const { workflowId } = (await answer.json()) as { workflowId: string };

  await target.waitForRequests(1);
  worker.kill('SIGKILL');
  await exited(worker);

  const replacement = await startTestJunction(config);
  running.push(replacement);
  const result = await eventually(
    async () => {
      const status = await replacement.junction.webhooks.deliveryStatus(workflowId);
      return status.state === 'delivered' ? status : undefined;
    },
    { timeoutMs: 30_000, what: 'delivery by the replacement worker' },
  );
  expect(result.targets[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  expect(target.requests).toHaveLength(2);
  expect(target.requests[1]?.headers[FORWARD_HEADERS.attempt]).toBe('2');
});
