import type { Client } from '@temporalio/client';
import { ConnectionsClient } from '../client/connectionsClient';
import { ConnectionError } from '../shared/errors';
import type { ConnectionCredentials, RenewRequest } from '../shared/connectionContract';

export interface AuthHeaders {
  headers: Record<string, string>;
  providerId: string;
  /** The provider's API base for this connection (Salesforce: the org's instance URL). */
  apiBaseUrl?: string;
  /** Epoch ms the credentials expire; undefined when they do not. */
  expiresAt?: number;
}

export interface CredentialCacheOptions {
  /** A Temporal client with Junction's payload codec (the credentials travel encrypted). */
  client: Client;
  /** Junction's task queue (only needed to start workflows; lookups go by workflow id). */
  taskQueue?: string;
  /** Credentials that expire within this margin are treated as stale and refreshed first. Default 60 s. */
  minValidityMs?: number;
  now?: () => number;
}

export interface CredentialCache {
  /** Headers for a request on the connection: from the in-process cache until near expiry. */
  authHeaders(connectionId: string): Promise<AuthHeaders>;
  /**
   * After the provider answered 401 to `rejectedHeaders`: one forced refresh, shared by every caller (in this
   * process and in every other) that saw the same rejected credentials; later callers get the new ones.
   */
  authHeadersAfterUnauthorized(
    connectionId: string,
    rejectedHeaders: Record<string, string>,
  ): Promise<AuthHeaders>;
  /** Forgets a connection's cached credentials (e.g. after it was deleted). */
  invalidate(connectionId: string): void;
}

interface Entry extends AuthHeaders {
  /** The connection's revision these credentials belong to; undefined from workflows that predate it. */
  revision?: number;
  fetchedAt: number;
}

/** A caller asks again at most this many times when an answer does not satisfy it. */
const MAX_RENEW_ROUNDS = 4;

const lowerCased = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));

function sameHeaders(a: Record<string, string>, b: Record<string, string>): boolean {
  const [x, y] = [lowerCased(a), lowerCased(b)];
  return Object.keys(x).length === Object.keys(y).length && Object.entries(x).every(([k, v]) => y[k] === v);
}

/** The header value a provider refused: Authorization, else the only credential header there is. */
function rejectedValueOf(headers: Record<string, string>): string | undefined {
  const lower = lowerCased(headers);
  return lower.authorization ?? Object.values(lower)[0];
}

/** A forced refresh running in this process, and the credentials whose rejection started it. */
interface ForcedRefresh {
  rejected: Record<string, string>;
  promise: Promise<AuthHeaders>;
}

/**
 * Per connection it keeps the last credentials in memory and shares one in-flight lookup among the callers of
 * this process. Across processes, every caller that needs newer credentials than revision R sends the same
 * `renewCredentials` update id, so the Temporal server folds a whole fleet's requests into one update and the
 * workflow makes one token request. A cache that knows nothing yet learns the revision from a describe
 * (answered by the server, with no worker involved), never from a query that a busy worker could leave
 * unanswered.
 */
class ConnectionCredentialCache implements CredentialCache {
  private readonly connections: ConnectionsClient;
  private readonly minValidityMs: number;
  private readonly now: () => number;
  private readonly cache = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<AuthHeaders>>();
  private readonly forced = new Map<string, ForcedRefresh>();

  constructor(options: CredentialCacheOptions) {
    this.connections = new ConnectionsClient(options.client, options.taskQueue ?? '');
    this.minValidityMs = options.minValidityMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  async authHeaders(connectionId: string): Promise<AuthHeaders> {
    const cached = this.cache.get(connectionId);
    if (this.fresh(cached)) return cached;
    let pending = this.inFlight.get(connectionId);
    if (!pending) {
      pending = this.stale(connectionId).finally(() => this.inFlight.delete(connectionId));
      this.inFlight.set(connectionId, pending);
    }
    return pending;
  }

  async authHeadersAfterUnauthorized(
    connectionId: string,
    rejectedHeaders: Record<string, string>,
  ): Promise<AuthHeaders> {
    const cached = this.cache.get(connectionId);
    if (cached && this.fresh(cached) && !sameHeaders(cached.headers, rejectedHeaders)) return cached;
    const running = this.forced.get(connectionId);
    if (running && sameHeaders(running.rejected, rejectedHeaders)) return running.promise;
    const promise = this.afterUnauthorized(connectionId, rejectedHeaders).finally(() => {
      if (this.forced.get(connectionId)?.promise === promise) this.forced.delete(connectionId);
    });
    this.forced.set(connectionId, { rejected: rejectedHeaders, promise });
    return promise;
  }

  invalidate(connectionId: string): void {
    this.cache.delete(connectionId);
  }

  private expired(entry: Entry): boolean {
    return entry.expiresAt !== undefined && entry.expiresAt <= this.now();
  }

  private fresh(entry: Entry | undefined): entry is Entry {
    return entry !== undefined && this.isFresh(entry);
  }

  /** A token shorter-lived than the margin stays usable for half of what was left of it when fetched. */
  private isFresh(entry: Entry): boolean {
    if (Object.keys(entry.headers).length === 0) return false;
    if (entry.expiresAt === undefined) return true;
    const margin = Math.min(this.minValidityMs, Math.max(0, (entry.expiresAt - entry.fetchedAt) / 2));
    return entry.expiresAt - this.now() > margin;
  }

  private remember(connectionId: string, credentials: ConnectionCredentials): Entry {
    const entry: Entry = {
      headers: { ...credentials.headers },
      providerId: credentials.providerId,
      apiBaseUrl: credentials.apiBaseUrl,
      expiresAt: credentials.expiresAt,
      revision: credentials.revision,
      fetchedAt: this.now(),
    };
    this.cache.set(connectionId, entry);
    return entry;
  }

  /**
   * After a renew failed: the server keeps a failed update's outcome under its id and answers every later
   * update with that id from it, so asking again from the same revision would fail again forever, even once
   * the connection is fine. Forgetting the cached credentials of that revision makes the next caller learn
   * the current revision from a describe, and so ask under a new id.
   */
  private forgetRevision(connectionId: string, failedRevision: number): void {
    const cached = this.cache.get(connectionId);
    if (cached && (cached.revision ?? 0) <= failedRevision) this.cache.delete(connectionId);
  }

  /** The revision to renew from when this process holds nothing: from a describe of the workflow. */
  private async revisionFromServer(connectionId: string): Promise<number | undefined> {
    const { state, revision } = await this.connections.revision(connectionId);
    if (state === 'needs_reauth') {
      throw new ConnectionError('needs_reauth', `connection "${connectionId}" needs re-authorization`);
    }
    return revision;
  }

  /**
   * Asks for credentials until an answer satisfies the request: fresh enough (or, from a newer revision, at
   * least unexpired), or different from the rejected ones. An answer of the same revision that does not
   * satisfy is asked about again with the next attempt number (a new update id).
   */
  private async renew(
    connectionId: string,
    first: Omit<RenewRequest, 'attempt'>,
    satisfied: (entry: Entry, seen: number) => boolean,
  ): Promise<Entry> {
    let request: RenewRequest = { ...first, attempt: 0 };
    let last: Entry | undefined;
    for (let round = 0; round < MAX_RENEW_ROUNDS; round++) {
      let answer: ConnectionCredentials;
      try {
        answer = await this.connections.renew(connectionId, request);
      } catch (error) {
        this.forgetRevision(connectionId, request.seenRevision);
        throw error;
      }
      const entry = this.remember(connectionId, answer);
      if (satisfied(entry, request.seenRevision)) return entry;
      last = entry;
      const revision = entry.revision ?? request.seenRevision;
      request =
        revision > request.seenRevision
          ? { ...request, seenRevision: revision, attempt: 0 }
          : { ...request, attempt: request.attempt + 1 };
    }
    if (last && !this.expired(last) && Object.keys(last.headers).length > 0) return last;
    throw new ConnectionError('refresh_failed', `connection "${connectionId}" has no usable token`);
  }

  private async stale(connectionId: string): Promise<AuthHeaders> {
    const { minValidityMs } = this;
    const seen = this.cache.get(connectionId)?.revision ?? (await this.revisionFromServer(connectionId));
    if (seen === undefined) {
      // The workflow runs code from before revisions: one update per process, as before.
      return this.remember(
        connectionId,
        await this.connections.getFreshToken(connectionId, { minValidityMs }),
      );
    }
    return this.renew(
      connectionId,
      { seenRevision: seen, reason: 'stale', minValidityMs },
      (entry, asked) => this.isFresh(entry) || ((entry.revision ?? 0) > asked && !this.expired(entry)),
    );
  }

  private async afterUnauthorized(
    connectionId: string,
    rejected: Record<string, string>,
  ): Promise<AuthHeaders> {
    const cached = this.cache.get(connectionId);
    const rejectedHeaderValue = rejectedValueOf(rejected);
    const seen =
      cached && sameHeaders(cached.headers, rejected)
        ? cached.revision
        : await this.revisionFromServer(connectionId);
    if (seen === undefined) {
      return this.remember(
        connectionId,
        await this.connections.getFreshToken(connectionId, { rejectedHeaderValue }),
      );
    }
    return this.renew(
      connectionId,
      { seenRevision: seen, reason: 'rejected', rejectedHeaderValue },
      (entry) => Object.keys(entry.headers).length > 0 && !sameHeaders(entry.headers, rejected),
    );
  }
}

/** The credentials helper for activities and application services (see ConnectionCredentialCache). */
export function createCredentialCache(options: CredentialCacheOptions): CredentialCache {
  return new ConnectionCredentialCache(options);
}
