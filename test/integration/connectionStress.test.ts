import { Worker } from '@temporalio/worker';
import { junctionDataConverter } from '../../src/codec';
import { createCredentialCache } from '../../src/connections';
import { JunctionError } from '../../src/shared/errors';
import { RETURN_TO, startConnectionsEnv, type ConnectionsEnv } from '../helpers/connectionsFixture';
import { authorizeWithoutBrowser } from '../helpers/oauthServer';
import { testWorkflowBundle, uniqueName } from '../helpers/temporal';

/**
 * Drives connection workflows through every kind of concurrent input they take (renew updates for stale and
 * rejected tokens from many caches, the older getFreshToken update past Temporal's limit of concurrent
 * updates, refresh-now, status queries, a revoked grant and a reconnect, delete), with short tokens, a slow
 * token endpoint now and then, and continue-as-new every few dozen events; then replays every run's history
 * with the current workflow code. One failed workflow task fails the test.
 */
let env: ConnectionsEnv;
beforeAll(async () => {
  env = await startConnectionsEnv({ fastTtl: 6, historyEventLimit: 80 });
});
afterAll(async () => {
  await env?.stop();
});

/** Errors a caller may legitimately see while its connection is revoked or deleted. */
const EXPECTED = new Set(['needs_reauth', 'connection_deleted', 'connection_not_found', 'refresh_failed']);

test('bursts of concurrent updates, queries, timers and state changes replay without a nondeterminism error', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const connectionId = uniqueName('stress');
    await authorizeWithoutBrowser(await env.connectLink('test-fast', connectionId), {
      returnToPrefix: RETURN_TO,
    });
    ids.push(connectionId);
  }
  const { client, connections } = env.junction;
  const unexpected: string[] = [];
  const seen = new Map<string, number>();
  const note = (error: unknown) => {
    const code =
      error instanceof JunctionError ? error.code : String((error as Error)?.message).slice(0, 120);
    seen.set(code, (seen.get(code) ?? 0) + 1);
    if (!EXPECTED.has(code)) unexpected.push(code);
  };
  const caches = Array.from({ length: 8 }, () => createCredentialCache({ client, minValidityMs: 60_000 }));

  for (let round = 0; round < 16; round++) {
    if (round % 3 === 1) await env.oauth.holdTokenRequests(1, 200 + (round % 4) * 300);
    if (round === 6) await env.oauth.revokeAllGrants();
    const burst = ids.flatMap((id, n) => [
      ...caches.map((cache) => cache.authHeaders(id).catch(note)),
      ...caches.slice(0, 3).map((cache) =>
        cache
          .authHeaders(id)
          .then((held) => cache.authHeadersAfterUnauthorized(id, held.headers))
          .catch(note),
      ),
      ...Array.from({ length: n === 0 ? 14 : 4 }, (_, i) =>
        connections
          .getFreshToken(id, i % 2 ? { minValidityMs: 5_000 } : { rejectedHeaderValue: 'Bearer not-current' })
          .catch(note),
      ),
      connections.refresh(id).catch(note),
      connections.status(id).catch(note),
    ]);
    // A reconnect while the burst is in flight brings the revoked connections back (reauthorize update).
    if (round === 8) {
      burst.push(
        ...ids.map(async (id) => {
          await authorizeWithoutBrowser(await env.connectLink('test-fast', id), {
            returnToPrefix: RETURN_TO,
          });
        }),
      );
    }
    if (round === 15) burst.push(connections.delete(ids[2]!).catch(note));
    await Promise.all(burst);
    await new Promise((resolve) => setTimeout(resolve, 150 + (round % 5) * 250));
  }
  process.stdout.write(`caller outcomes besides success: ${JSON.stringify([...seen])}\n`);
  expect(unexpected).toEqual([]);

  // Every run of every connection, continued-as-new ones included.
  const histories = [];
  for (const id of ids) {
    for await (const info of client.workflow.list({ query: `WorkflowId = 'connection:${id}'` })) {
      histories.push({
        workflowId: `${info.workflowId}/${info.runId}`,
        history: await client.workflow.getHandle(info.workflowId, info.runId).fetchHistory(),
      });
    }
  }
  expect(histories.length).toBeGreaterThan(ids.length);
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: testWorkflowBundle(), dataConverter: junctionDataConverter(env.junction.codec) },
    histories,
  )) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  process.stdout.write(`replayed ${histories.length} runs\n`);
  expect(failures).toEqual([]);
}, 300_000);
