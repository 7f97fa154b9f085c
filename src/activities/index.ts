import { createForwardActivity, type ForwardDeps } from './forward';
import { createWebhookActivities, type WebhookActivityDeps } from './webhooks';

export type ActivityDeps = ForwardDeps & WebhookActivityDeps;

/** Every activity Junction's worker registers, built from injected dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    forwardWebhook: createForwardActivity(deps),
    ...createWebhookActivities(deps),
  };
}

export type JunctionActivities = ReturnType<typeof createActivities>;
