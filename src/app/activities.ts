import { Client, type Connection } from '@temporalio/client';
import { createActivities, type JunctionActivities } from '../activities';
import type { JunctionConfig } from '../config/schema';
import type { Logger } from '../logging/logger';
import type { JunctionMetrics } from '../metrics/registry';
import type { Outbound } from '../network/outbound';
import { ProviderCatalogue } from '../providers/catalogue';
import { loadWebhookTargets } from '../webhooks/targets';

/**
 * Junction's activities wired from configuration: the webhook targets (transforms and schemas loaded once),
 * the provider catalogue, Junction's own client (with its codec) and a plain-JSON client for the
 * application's workflows, which may run in any SDK and hold none of Junction's keys.
 */
export async function junctionActivities(options: {
  config: JunctionConfig;
  logger: Logger;
  connection: Connection;
  namespace: string;
  /** Junction's client, with its payload codec. */
  client: Client;
  /** Junction's metrics: token requests are counted there. */
  metrics?: JunctionMetrics;
  /** The outbound network policy every forward, event and token request connects through. */
  outbound: Outbound;
}): Promise<JunctionActivities> {
  const { config, client } = options;
  const catalogue = new ProviderCatalogue(config.providers);
  return createActivities({
    logger: options.logger,
    outbound: options.outbound,
    targets: await loadWebhookTargets(config),
    appWorkflowClient: new Client({ connection: options.connection, namespace: options.namespace }),
    junctionClient: client,
    taskQueue: config.temporal.taskQueue,
    connections: {
      providers: () => catalogue,
      connectionsConfig: () => config.connections,
      temporalClient: client,
      tokenRequests: options.metrics?.tokenRequests,
    },
  });
}
