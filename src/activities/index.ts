import { createForwardActivity, type ForwardDeps } from './forward';

export type ActivityDeps = ForwardDeps;

/** Every activity Junction's worker registers, built from injected dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    forwardWebhook: createForwardActivity(deps),
  };
}

export type JunctionActivities = ReturnType<typeof createActivities>;
