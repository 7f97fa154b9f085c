import type { RetryDecision } from '../http/classify';
import { JunctionError, ProviderCallError } from '../shared/errors';
import type { CallAttempt } from './attempt';
import { callFailure } from './failures';
import type { CallMetrics } from './metrics';

/** Auth headers for a connection, and one forced refresh after the provider answers 401. */
export interface CallCredentials {
  authHeaders(
    connectionId: string,
  ): Promise<{ headers: Record<string, string>; apiBaseUrl?: string; providerId?: string }>;
  authHeadersAfterUnauthorized(
    connectionId: string,
    rejected: Record<string, string>,
  ): Promise<{ headers: Record<string, string>; apiBaseUrl?: string }>;
}

/** The credential headers for one attempt and where the provider's API is for it. */
export interface CallAuth {
  headers: Record<string, string>;
  apiBaseUrl: string;
}

/** Connection states no retry can fix: the call fails at once and says why. */
const CONNECTION_GONE = new Set<string>(['needs_reauth', 'connection_deleted', 'connection_not_found']);

/** Gets a connection's credentials; a connection that needs a person (re-auth, deleted) fails for good. */
async function lookupCredentials<T>(lookup: () => Promise<T>): Promise<T> {
  try {
    return await lookup();
  } catch (error) {
    if (error instanceof JunctionError && CONNECTION_GONE.has(error.code)) {
      throw new ProviderCallError('connection_unavailable', error.message, {
        cause: error,
        details: { reason: error.code },
      });
    }
    throw error;
  }
}

/** The headers and API base for one attempt: none for a public endpoint, else the connection's own. */
export async function authForCall(
  credentials: CallCredentials | undefined,
  call: CallAttempt,
): Promise<CallAuth> {
  const { provider } = call;
  const connectionId = call.input.connectionId;
  if (!connectionId) return { headers: {}, apiBaseUrl: provider.apiBaseUrl };
  if (!credentials) {
    throw callFailure(
      'connection_unavailable',
      'this worker has no connection credentials configured',
      call.attempt,
    );
  }
  const found = await lookupCredentials(() => credentials.authHeaders(connectionId));
  if (found.providerId !== undefined && found.providerId !== provider.id) {
    throw callFailure(
      'connection_unavailable',
      `connection "${connectionId}" belongs to provider "${found.providerId}", not "${provider.id}"`,
      call.attempt,
    );
  }
  // Where the provider's API is: the connection's own (Salesforce's instance URL), else its declaration.
  return { headers: found.headers, apiBaseUrl: found.apiBaseUrl ?? provider.apiBaseUrl };
}

/** Sends with the connection's headers; a 401 gets one forced refresh and one more try, never a loop. */
export async function sendWithRefresh<T extends { decision: RetryDecision }>(
  deps: { credentials?: CallCredentials; metrics?: CallMetrics },
  call: CallAttempt,
  headers: Record<string, string>,
  send: (headers: Record<string, string>) => Promise<T>,
): Promise<T> {
  const first = await send(headers);
  const { credentials } = deps;
  const connectionId = call.input.connectionId;
  if (first.decision.reason !== 'unauthorized' || !connectionId || !credentials) return first;
  // One forced refresh (shared by every caller that saw the same stale credentials), then one more try.
  call.log.info('provider answered 401: refreshing the connection once');
  deps.metrics?.unauthorizedRefreshes.inc({ provider: call.provider.id });
  const refreshed = await lookupCredentials(() =>
    credentials.authHeadersAfterUnauthorized(connectionId, headers),
  );
  return send(refreshed.headers);
}
