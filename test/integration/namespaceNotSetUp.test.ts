import { randomBytes } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { msNumberToTs } from '@temporalio/common/lib/time';
import { setupNamespace } from '../../src/temporal/namespace';
import { runCli } from '../helpers/cli';
import { startTestJunction, type TestJunction } from '../helpers/junction';
import { newStandardSecret, signStandardWebhook } from '../helpers/sign';
import { eventually, testTemporalAddress, uniqueName } from '../helpers/temporal';

jest.setTimeout(60_000);

const secret = newStandardSecret();
const adminKey = `admin-${randomBytes(16).toString('hex')}`;
// A namespace of its own on the run's dev server, made the way an operator makes one on a cluster, without
// `junction temporal setup`: none of Junction's search attributes are registered on it.
const namespace = uniqueName('bare');
let connection: Connection;
let junction: TestJunction;

beforeAll(async () => {
  connection = await Connection.connect({ address: testTemporalAddress() });
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msNumberToTs(86_400_000),
  });
  await eventually(
    async () => {
      await connection.workflowService.listWorkflowExecutions({ namespace, pageSize: 1 });
      return true;
    },
    { what: `namespace ${namespace} to be usable` },
  );
  junction = await startTestJunction(
    {
      temporal: { namespace },
      admin: { apiKeys: [adminKey] },
      sources: [{ id: 'acme', scheme: 'standard-webhooks', secrets: [secret] }],
    },
    { worker: false },
  );
});

/** A connection list filtered by state: a visibility query over `JunctionState`. */
const listNeedingReauth = () =>
  junction.app.inject({
    method: 'GET',
    url: '/connections?state=needs_reauth',
    headers: { authorization: `Bearer ${adminKey}` },
  });

afterAll(async () => {
  await junction?.stop();
  await connection?.close();
});

test('a namespace without Junction’s search attributes: 503 temporal_not_set_up naming the fix, then accepted once set up', async () => {
  const event = signStandardWebhook({ secret });
  const refused = await junction.post('/webhooks/acme', { headers: event.headers, body: event.body });
  expect(refused.status).toBe(503);
  expect(refused.headers.get('retry-after')).toBe('60');
  const body = (await refused.json()) as { code: string; message: string };
  expect(body.code).toBe('temporal_not_set_up');
  expect(body.message).toMatch(/search attribute "Junction\w+".*junction temporal setup/);
  const metrics = await junction.app.inject({ method: 'GET', url: '/metrics' });
  expect(metrics.body).toMatch(
    /junction_webhooks_received_total\{[^}]*outcome="temporal_not_set_up"[^}]*\} 1/,
  );

  // Visibility queries over the attributes are refused the same way, not answered 500.
  const listed = await listNeedingReauth();
  expect(listed.statusCode).toBe(503);
  expect(listed.json()).toMatchObject({ code: 'temporal_not_set_up' });
  // The CLI, which queries Temporal itself, says the same in one line (no stack trace).
  const cli = await runCli(['dlq', 'list'], {
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_NAMESPACE: namespace,
  });
  expect(cli.code).toBe(1);
  expect(cli.stderr).toMatch(/^junction: .*search attribute "Junction\w+".*junction temporal setup/);
  expect(cli.stderr).not.toMatch(/\n\s+at /);

  // The fix the message names; the sender's redelivery of the same event is then accepted.
  await setupNamespace(connection, namespace);
  const accepted = await eventually(
    async () => {
      const again = await junction.post('/webhooks/acme', { headers: event.headers, body: event.body });
      return again.status === 202 ? ((await again.json()) as { status: string }) : undefined;
    },
    { what: 'the redelivery to be accepted once the namespace is set up' },
  );
  expect(accepted.status).toBe('accepted');
  const afterSetup = await listNeedingReauth();
  expect(afterSetup.statusCode).toBe(200);
});
