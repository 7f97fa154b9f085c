import type { Client } from '@temporalio/client';
import type { JunctionConfig } from '../config/schema';
import { ProviderCatalogue } from '../providers/catalogue';
import type { SequencerInput } from '../shared/ordering';
import { ActionsClient } from './actionsClient';
import { ConnectionsClient } from './connectionsClient';
import { SyncCatalogue } from '../sync/catalogue';
import { SyncsClient } from './syncsClient';
import { WebhooksClient } from './webhooksClient';
export { isTemporalUnavailable } from './errors';
export type { DeadLetter, StartOutcome, VerifiedWebhook } from './webhooksClient';

export interface JunctionClientOptions {
  /** A Temporal client with Junction's data converter (its payload codec). */
  client: Client;
  /** Junction's task queue. */
  taskQueue: string;
  /** What new deliveries, connections and actions are made from: sources, providers, settings. */
  config: Pick<JunctionConfig, 'sources' | 'delivery' | 'providers' | 'connections' | 'syncs'>;
  /** Tuning for new ordering sequencers (tests make them continue-as-new or idle out quickly). */
  sequencer?: Pick<SequencerInput, 'maxTicketsPerRun' | 'idleTimeoutMs' | 'holderCheckMs'>;
}

/**
 * The starter client: the one place that starts, signals, queries and lists Junction's workflows, the way
 * the SDK's `Client` has `.workflow` and `.schedule`. The HTTP server, the CLI and application services all
 * go through it.
 */
export class JunctionClient {
  readonly client: Client;
  readonly taskQueue: string;
  readonly webhooks: WebhooksClient;
  readonly connections: ConnectionsClient;
  readonly actions: ActionsClient;
  readonly syncs: SyncsClient;

  constructor(options: JunctionClientOptions) {
    this.client = options.client;
    this.taskQueue = options.taskQueue;
    const providers = new ProviderCatalogue(options.config.providers);
    this.webhooks = new WebhooksClient({
      client: options.client,
      taskQueue: options.taskQueue,
      config: options.config,
      sequencer: options.sequencer,
    });
    this.connections = new ConnectionsClient(options.client, options.taskQueue, {
      providers,
      settings: options.config.connections,
    });
    this.actions = new ActionsClient(options.client, options.taskQueue, providers);
    this.syncs = new SyncsClient(
      options.client,
      options.taskQueue,
      new SyncCatalogue(options.config.providers),
      this.connections,
      options.config,
    );
    const syncs = this.syncs;
    this.connections.afterInstall = (connectionId) => syncs.enableDefaults(connectionId);
    this.connections.afterDelete = (connectionId) => syncs.disableAll(connectionId);
  }
}
