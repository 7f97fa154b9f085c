import { createDeliverToSyncActivity } from './syncTarget';
import { createConnectionActivities, type ConnectionActivityDeps } from './connectionActivities';
import { createForwardActivity, type ForwardDeps } from './forward';
import { createWebhookActivities, type WebhookActivityDeps } from './webhooks';

export type ActivityDeps = ForwardDeps &
  WebhookActivityDeps & {
    /** Connection activities' dependencies; without them those activities are not registered. */
    connections?: Omit<ConnectionActivityDeps, 'logger' | 'outbound'>;
  };

/** Every activity Junction's worker registers, built from injected dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    forwardWebhook: createForwardActivity(deps),
    deliverToSync: createDeliverToSyncActivity(deps),
    ...createWebhookActivities(deps),
    ...createConnectionActivities({
      providers: () => {
        throw new Error('connection activities were not configured');
      },
      connectionsConfig: () => ({
        returnToAllowlist: [],
        historyEventLimit: 5_000,
        callerMarginSeconds: 60,
        minRefreshIntervalSeconds: 5,
      }),
      temporalClient: undefined,
      ...deps.connections,
      logger: deps.logger,
      outbound: deps.outbound,
    }),
  };
}

export type JunctionActivities = ReturnType<typeof createActivities>;
