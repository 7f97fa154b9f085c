import type { Client } from '@temporalio/client';
import { createCredentialCache } from '../../src/connections';
import type { ConnectionCredentials, RenewRequest } from '../../src/shared/connectionContract';
import { renewUpdateId } from '../../src/shared/connectionContract';

/**
 * A connection workflow as the Temporal server shows it to a credential cache: a describe answers the memo's
 * revision, and an update's outcome, success or failure, is kept under its update id, so a repeat of that id
 * gets the same outcome without running the handler again.
 */
class FakeConnection {
  revision = 1;
  token = 'token-1';
  expiresAt = 0;
  /** Handler failures to answer, in order, before the handler works again. */
  failures: Error[] = [];
  readonly outcomes = new Map<string, Promise<ConnectionCredentials>>();

  constructor(private readonly now: () => number) {}

  credentials(): ConnectionCredentials {
    return {
      connectionId: 'c1',
      providerId: 'p',
      state: 'active',
      headers: { authorization: `Bearer ${this.token}` },
      expiresAt: this.expiresAt,
      revision: this.revision,
    };
  }

  /** A refresh done by someone else (the workflow's timer): a new token and revision. */
  refreshed(lifetimeMs: number): void {
    this.revision++;
    this.token = `token-${this.revision}`;
    this.expiresAt = this.now() + lifetimeMs;
  }

  client(): Client {
    const handle = {
      describe: () =>
        Promise.resolve({ status: { name: 'RUNNING' }, memo: { state: 'active', revision: this.revision } }),
      executeUpdate: (_update: unknown, options: { args: [RenewRequest]; updateId: string }) => {
        expect(options.updateId).toBe(renewUpdateId(options.args[0]));
        let outcome = this.outcomes.get(options.updateId);
        if (!outcome) {
          const failure = this.failures.shift();
          outcome = failure ? Promise.reject(failure) : Promise.resolve(this.credentials());
          outcome.catch(() => undefined);
          this.outcomes.set(options.updateId, outcome);
        }
        return outcome;
      },
    };
    return { workflow: { getHandle: () => handle } } as unknown as Client;
  }
}

test('after a failed renew the cache asks from the current revision, not again under the failed update id', async () => {
  let now = 1_000_000;
  const connection = new FakeConnection(() => now);
  connection.refreshed(10_000);
  const cache = createCredentialCache({ client: connection.client(), minValidityMs: 1_000, now: () => now });
  expect((await cache.authHeaders('c1')).headers.authorization).toBe('Bearer token-2');

  // The token runs out; the renew of its revision fails once (the workflow could not serve a token then).
  now += 10_000;
  connection.failures.push(new Error('connection "c1" has no valid token'));
  await expect(cache.authHeaders('c1')).rejects.toThrow('no valid token');

  // Meanwhile the connection was refreshed: the next caller gets the new token. Asking again from the old
  // revision would have been answered with the kept failure, again and again.
  connection.refreshed(10_000);
  expect((await cache.authHeaders('c1')).headers.authorization).toBe('Bearer token-3');
});
