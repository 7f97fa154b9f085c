import type { JunctionClient } from '../../client';
import type { JunctionConfig } from '../../config/schema';
import type { JunctionMetrics } from '../../metrics/registry';
import type { Outbound } from '../../network/outbound';

/** What the connection routes (the management API and the connect flow) are built from. */
export interface ConnectionRouteDeps {
  config: JunctionConfig;
  junction: JunctionClient;
  /** HMAC key for `state`, connect sessions and connection tokens (a key is derived for each). */
  stateSecret: Uint8Array | string;
  /** The server's own base URL when `connections.publicUrl` is not set. */
  baseUrl: () => string;
  now: () => number;
  metrics?: JunctionMetrics;
  /** The outbound network policy: a connect session's `returnTo` host must pass it. */
  outbound: Outbound;
}
