import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { createCredentialCache } from '../../src/connections';
import { connectionWorkflowId } from '../../src/shared/connectionContract';
import { startTestJunction, type TestJunction } from '../helpers/junction';
import { isPatchMarker } from '../helpers/history';
import { uniqueName } from '../helpers/temporal';

const keyA = { id: 'key-a', key: randomBytes(32).toString('base64') };
const keyB = { id: 'key-b', key: randomBytes(32).toString('base64') };
const adminKey = `admin-${randomBytes(16).toString('hex')}`;
const taskQueue = uniqueName('rotation');
const running: TestJunction[] = [];
/** Every Junction the test started, for the log check at the end. */
const started: TestJunction[] = [];

/** Junction (worker and server) on the test's task queue with these codec keys; the first is current. */
async function junctionWith(
  keys: Array<typeof keyA>,
  options: { worker?: boolean; currentKeyId?: string } = {},
) {
  const junction = await startTestJunction(
    {
      temporal: { taskQueue },
      admin: { apiKeys: [adminKey] },
      codec: { keys, currentKeyId: options.currentKeyId },
    },
    options,
  );
  running.push(junction);
  started.push(junction);
  return junction;
}
async function stop(junction: TestJunction) {
  await junction.stop();
  running.splice(running.indexOf(junction), 1);
}
afterAll(async () => {
  for (const junction of running) await junction.stop();
});

async function admin(junction: TestJunction, method: string, path: string, body?: unknown) {
  const response = await fetch(`${junction.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${adminKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** Every payload of a workflow's history (raw, as stored), in event order; search attributes are not encoded. */
async function storedPayloads(
  client: Client,
  workflowId: string,
): Promise<temporal.api.common.v1.IPayload[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const payloads: temporal.api.common.v1.IPayload[] = [];
  const walk = (node: unknown) => {
    if (!node || typeof node !== 'object') return;
    if ('indexedFields' in node || isPatchMarker(node)) return;
    if ('metadata' in node && 'data' in node) payloads.push(node as temporal.api.common.v1.IPayload);
    for (const value of Object.values(node)) walk(value);
  };
  for (const event of history.events ?? []) walk(event);
  return payloads;
}
const keyIdOf = (payload: temporal.api.common.v1.IPayload) =>
  Buffer.from(payload.metadata?.['encryption-key-id'] ?? []).toString('utf8');

test('rotation: old payloads stay readable, new ones use the new key, a removed key fails clearly', async () => {
  const kept = uniqueName('kept');
  const closed = uniqueName('closed');
  const apiKeys = {
    [kept]: `sk_test_${randomBytes(12).toString('hex')}`,
    [closed]: `sk_test_${randomBytes(12).toString('hex')}`,
  };

  // 1. Only key A. One connection keeps running, another is deleted (its result is written under A).
  const first = await junctionWith([keyA]);
  for (const connectionId of [kept, closed]) {
    const created = await admin(first, 'POST', '/connections', {
      connectionId,
      providerId: 'stripe',
      credentials: { apiKey: apiKeys[connectionId] },
    });
    expect(created.status).toBe(201);
  }
  expect((await admin(first, 'DELETE', `/connections/${closed}`)).json).toMatchObject({ state: 'deleted' });
  const writtenUnderA = await storedPayloads(first.client, connectionWorkflowId(kept));
  expect(new Set(writtenUnderA.map(keyIdOf))).toEqual(new Set(['key-a']));
  await stop(first);

  // 2. Key B added beside A (A still current): everything keeps working, and new payloads still use A.
  const second = await junctionWith([keyA, keyB]);
  expect((await createCredentialCache({ client: second.client }).authHeaders(kept)).headers).toEqual({
    authorization: `Bearer ${apiKeys[kept]}`,
  });
  await second.connections.getFreshToken(kept, { minValidityMs: 1 });
  expect(new Set((await storedPayloads(second.client, connectionWorkflowId(kept))).map(keyIdOf))).toEqual(
    new Set(['key-a']),
  );
  await stop(second);

  // 3. B made current (`currentKeyId`), A kept for reading: a fresh worker replays the history written under
  //    A and serves the credentials; everything written from now on carries B.
  const third = await junctionWith([keyA, keyB], { currentKeyId: 'key-b' });
  expect((await createCredentialCache({ client: third.client }).authHeaders(kept)).headers).toEqual({
    authorization: `Bearer ${apiKeys[kept]}`,
  });
  const before = (await storedPayloads(third.client, connectionWorkflowId(kept))).length;
  await third.connections.getFreshToken(kept, { minValidityMs: 1 });
  const after = await storedPayloads(third.client, connectionWorkflowId(kept));
  expect(after.length).toBeGreaterThan(before);
  expect(after.slice(0, before).map(keyIdOf)).toEqual(Array(before).fill('key-a'));
  expect(after.slice(before).map(keyIdOf)).toEqual(Array(after.length - before).fill('key-b'));
  expect(await third.client.workflow.getHandle(connectionWorkflowId(closed)).result()).toMatchObject({
    connectionId: closed,
    state: 'deleted',
  });
  const fresh = uniqueName('fresh');
  await admin(third, 'POST', '/connections', {
    connectionId: fresh,
    providerId: 'stripe',
    credentials: { apiKey: 'sk_test_fresh_0123456789' },
  });
  await admin(third, 'DELETE', `/connections/${fresh}`);
  expect(new Set((await storedPayloads(third.client, connectionWorkflowId(fresh))).map(keyIdOf))).toEqual(
    new Set(['key-b']),
  );
  await admin(third, 'DELETE', `/connections/${kept}`);
  await stop(third);

  // 4. A removed. What B wrote still reads; what A wrote fails with a code naming the key id, and neither
  //    the plaintext nor any key material is in the error.
  const fourth = await junctionWith([keyB], { worker: false });
  expect(await fourth.client.workflow.getHandle(connectionWorkflowId(fresh)).result()).toMatchObject({
    state: 'deleted',
  });
  const failure = await fourth.client.workflow
    .getHandle(connectionWorkflowId(closed))
    .result()
    .then(
      () => undefined,
      (error: unknown) => error as Error & { code?: string },
    );
  expect(failure).toBeDefined();
  expect(failure?.code).toBe('codec_key_unknown');
  expect(failure?.message).toBe('no codec key "key-a" is configured to decrypt this payload');

  // The same through the codec endpoint the UI calls.
  const [underA] = await storedPayloads(fourth.client, connectionWorkflowId(closed));
  const json = temporal.api.common.v1.Payload.toObject(temporal.api.common.v1.Payload.create(underA), {
    bytes: String,
  });
  const token = `op-${randomBytes(18).toString('hex')}`;
  await stop(fourth);
  const endpoint = await startTestJunction(
    { temporal: { taskQueue }, codec: { keys: [keyB], operatorTokens: [token] } },
    { worker: false },
  );
  running.push(endpoint);
  started.push(endpoint);
  const answer = await fetch(`${endpoint.url}/codec/decode`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ payloads: [json] }),
  });
  expect(answer.status).toBe(400);
  const body = await answer.text();
  expect(JSON.parse(body)).toEqual({
    code: 'codec_key_unknown',
    message: 'no codec key "key-a" is configured to decrypt this payload',
  });

  // An altered payload under a key that is configured fails authentication, again without plaintext.
  const [underB] = await storedPayloads(endpoint.client, connectionWorkflowId(fresh));
  const altered = Buffer.from(underB?.data ?? []);
  altered.writeUInt8(altered.readUInt8(altered.length - 1) ^ 0xff, altered.length - 1);
  const tampered = await endpoint.codec.decode([{ metadata: underB?.metadata ?? {}, data: altered }]).then(
    () => undefined,
    (error: unknown) => error as Error & { code?: string },
  );
  expect(tampered).toMatchObject({ code: 'codec_decrypt_failed' });

  const leaks = [keyA.key, keyB.key, ...Object.values(apiKeys), 'sk_test_fresh_0123456789'];
  const hex = [keyA.key, keyB.key].map((k) => Buffer.from(k, 'base64').toString('hex'));
  for (const text of [failure?.message ?? '', failure?.stack ?? '', body, tampered?.message ?? '']) {
    for (const secret of [...leaks, ...hex]) expect(text).not.toContain(secret);
  }
  const logs = started.flatMap((junction) => junction.logs);
  expect(logs.length).toBeGreaterThan(0);
  for (const line of logs) {
    for (const secret of [...leaks, ...hex]) expect(line).not.toContain(secret);
  }
});
