import type { Client } from '@temporalio/client';
import type { Counter } from 'prom-client';
import type { ConnectionsConfig } from '../config/schema';
import type { Logger } from '../logging/logger';
import type { Outbound } from '../network/outbound';
import type { ProviderCatalogue } from '../providers/catalogue';
import { createNotifyConnectionEventActivity } from './connectionEvents';
import { createInstallConnectionActivity } from './installConnection';
import {
  createExchangeCodeActivity,
  createRequestTokenActivity,
  createRevokeCredentialsActivity,
} from './tokenActivities';

export interface ConnectionActivityDeps {
  providers: () => ProviderCatalogue;
  connectionsConfig: () => ConnectionsConfig;
  /** A codec-configured client, for installing a connection after a code exchange (update-with-start). */
  temporalClient: Client | undefined;
  logger: Logger;
  /** Token endpoint requests and connection events connect through the outbound network policy. */
  outbound: Outbound;
  now?: () => number;
  /** Token requests by provider, grant and outcome (Junction's registry), when given. */
  tokenRequests?: Counter<'provider' | 'grant' | 'outcome'>;
}

/** Activities of the connection and authorization workflows: every token endpoint call and event. */
export function createConnectionActivities(deps: ConnectionActivityDeps) {
  const resolved = { ...deps, now: deps.now ?? Date.now };
  // The keys are the activity names the workflows call.
  return {
    /** One token request (refresh, client credentials or JWT bearer); the result goes to the workflow. */
    requestToken: createRequestTokenActivity(resolved),
    /** The authorization code exchange (with PKCE) after the provider redirected back. */
    exchangeCode: createExchangeCodeActivity(resolved),
    /** Revokes at the provider (RFC 7009) when it declares an endpoint. */
    revokeCredentials: createRevokeCredentialsActivity(resolved),
    /** Tells the application about a connection (needs_reauth, created, deleted) at `connections.events`. */
    notifyConnectionEvent: createNotifyConnectionEventActivity(resolved),
    /**
     * Installs freshly authorized credentials: starts `connection:<id>`, or hands them to the running one
     * (a reconnect after needs_reauth), in one update-with-start call.
     */
    installConnection: createInstallConnectionActivity(resolved),
  };
}

export type ConnectionActivities = ReturnType<typeof createConnectionActivities>;
