import { Context } from '@temporalio/activity';
import type { Logger } from '../logging/logger';

/** A connection activity's logger, tagged with workflow, connection, provider, activity and attempt. */
export function connectionActivityLog(logger: Logger, connectionId: string, providerId: string): Logger {
  const context = Context.current();
  return logger.child({
    workflowId: context.info.workflowExecution?.workflowId,
    connectionId,
    provider: providerId,
    activity: context.info.activityType,
    attempt: context.info.attempt,
  });
}
