import type { Client } from '@temporalio/client';
import { ConnectionsClient } from '../client/connections';
import { JunctionError } from '../errors';
import type { ConnectionCredentials } from '../shared/connections';

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
   * After the provider answered 401 to `rejectedHeaders`: one forced refresh through `getFreshToken`,
   * shared by every caller that saw the same rejected credentials; later callers get the new ones.
   */
  authHeadersAfterUnauthorized(
    connectionId: string,
    rejectedHeaders: Record<string, string>,
  ): Promise<AuthHeaders>;
  /** Forgets a connection's cached credentials (e.g. after it was deleted). */
  invalidate(connectionId: string): void;
}

function toAuthHeaders(credentials: ConnectionCredentials): AuthHeaders {
  return {
    headers: { ...credentials.headers },
    providerId: credentials.providerId,
    apiBaseUrl: credentials.apiBaseUrl,
    expiresAt: credentials.expiresAt,
  };
}

function sameHeaders(a: Record<string, string>, b: Record<string, string>): boolean {
  const lower = (h: Record<string, string>) =>
    Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
  const [x, y] = [lower(a), lower(b)];
  return Object.keys(x).length === Object.keys(y).length && Object.entries(x).every(([k, v]) => y[k] === v);
}

/**
 * The credentials helper for activities and application services. Per connection it keeps the last
 * credentials in memory and shares one in-flight lookup among concurrent callers, so a burst of calls costs
 * one query (or one `getFreshToken` update) per process; the workflow then makes sure all processes together
 * cause at most one token request.
 */
export function createCredentialCache(options: CredentialCacheOptions): CredentialCache {
  const connections = new ConnectionsClient(options.client, options.taskQueue ?? '');
  const minValidityMs = options.minValidityMs ?? 60_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, AuthHeaders>();
  const inFlight = new Map<string, Promise<AuthHeaders>>();
  const forced = new Map<string, { rejected: Record<string, string>; promise: Promise<AuthHeaders> }>();

  /** When each cached entry was fetched: a token shorter-lived than the margin stays usable for half its life. */
  const fetchedAt = new WeakMap<AuthHeaders, number>();
  const fresh = (entry: AuthHeaders | undefined): entry is AuthHeaders => {
    if (entry === undefined || Object.keys(entry.headers).length === 0) return false;
    if (entry.expiresAt === undefined) return true;
    const fetched = fetchedAt.get(entry) ?? now();
    const margin = Math.min(minValidityMs, Math.max(0, (entry.expiresAt - fetched) / 2));
    return entry.expiresAt - now() > margin;
  };

  const remember = (connectionId: string, credentials: ConnectionCredentials): AuthHeaders => {
    const entry = toAuthHeaders(credentials);
    fetchedAt.set(entry, now());
    cache.set(connectionId, entry);
    return entry;
  };

  const lookup = async (connectionId: string): Promise<AuthHeaders> => {
    // A query first: no history event, and usually the workflow already refreshed ahead of expiry.
    const current = await connections.credentials(connectionId);
    if (current.state === 'needs_reauth') {
      throw new JunctionError('needs_reauth', `connection "${connectionId}" needs re-authorization`);
    }
    const entry = toAuthHeaders(current);
    const lastsLongEnough = entry.expiresAt === undefined || entry.expiresAt - now() > minValidityMs;
    if (current.state === 'active' && Object.keys(entry.headers).length > 0 && lastsLongEnough) {
      return remember(connectionId, current);
    }
    return remember(connectionId, await connections.getFreshToken(connectionId, { minValidityMs }));
  };

  return {
    async authHeaders(connectionId) {
      const cached = cache.get(connectionId);
      if (fresh(cached)) return cached;
      let pending = inFlight.get(connectionId);
      if (!pending) {
        pending = lookup(connectionId).finally(() => inFlight.delete(connectionId));
        inFlight.set(connectionId, pending);
      }
      return pending;
    },

    async authHeadersAfterUnauthorized(connectionId, rejectedHeaders) {
      const cached = cache.get(connectionId);
      if (cached && fresh(cached) && !sameHeaders(cached.headers, rejectedHeaders)) return cached;
      const running = forced.get(connectionId);
      if (running && sameHeaders(running.rejected, rejectedHeaders)) return running.promise;
      const rejectedValue =
        Object.entries(rejectedHeaders).find(([name]) => name.toLowerCase() === 'authorization')?.[1] ??
        Object.values(rejectedHeaders)[0];
      const promise = connections
        .getFreshToken(connectionId, { rejectedHeaderValue: rejectedValue })
        .then((credentials) => remember(connectionId, credentials))
        .finally(() => {
          if (forced.get(connectionId)?.promise === promise) forced.delete(connectionId);
        });
      forced.set(connectionId, { rejected: rejectedHeaders, promise });
      return promise;
    },

    invalidate(connectionId) {
      cache.delete(connectionId);
    },
  };
}
