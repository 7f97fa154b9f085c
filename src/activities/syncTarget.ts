import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { readDotPath } from '../shared/dotPath';
import { DeliveryError, SyncError } from '../shared/errors';
import { toApplicationFailure } from '../shared/failures';
import { recordsChangedSignal, syncWorkflowId, type RecordsChanged } from '../shared/syncContract';
import type {
  ForwardFailureDetails,
  StartAppWorkflowInput,
  StartAppWorkflowResult,
} from '../shared/webhooks';
import { deliveredPayload, type WebhookActivityDeps } from './webhooks';

const asId = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;

/**
 * The `deliverToSync` activity: hands a provider webhook's record(s), or an id to fetch again, to the sync
 * stream of the connection the payload names. A stream that is not running (the sync is not enabled for that
 * connection) fails the delivery for good: it dead-letters, to be retried once the sync is enabled.
 */
export function createDeliverToSyncActivity(
  deps: Pick<WebhookActivityDeps, 'targets' | 'junctionClient' | 'logger'>,
) {
  return async function deliverToSync(input: StartAppWorkflowInput): Promise<StartAppWorkflowResult> {
    const attempt = input.priorAttempts + Context.current().info.attempt;
    const fail = (error: DeliveryError | SyncError) => toApplicationFailure(error);
    const target = deps.targets.sync(input.sourceId, input.route, input.target);
    if (!target) {
      throw fail(
        new DeliveryError(
          'route_not_configured',
          `source "${input.sourceId}" has no sync target "${input.route}/${input.target}"`,
          {
            details: { attempt } satisfies ForwardFailureDetails,
          },
        ),
      );
    }
    const { payload } = deliveredPayload(deps.targets, input, attempt);
    const connectionId = asId(readDotPath(payload, target.connection));
    if (!connectionId) {
      throw fail(
        new DeliveryError('schema_invalid', `the payload has no connection id at \`${target.connection}\``, {
          details: { attempt } satisfies ForwardFailureDetails,
        }),
      );
    }
    let batch: RecordsChanged;
    if (target.refetch) {
      const id = asId(readDotPath(payload, target.refetch));
      if (!id) {
        throw fail(
          new DeliveryError('schema_invalid', `the payload has no record id at \`${target.refetch}\``, {
            details: { attempt } satisfies ForwardFailureDetails,
          }),
        );
      }
      batch = { refetch: [id] };
    } else {
      const found = target.records ? readDotPath(payload, target.records) : payload;
      batch = { records: Array.isArray(found) ? found : [found] };
    }
    const workflowId = syncWorkflowId(connectionId, target.sync);
    try {
      await deps.junctionClient.workflow.getHandle(workflowId).signal(recordsChangedSignal, batch);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        throw fail(
          new SyncError(
            'sync_not_enabled',
            `sync "${target.sync}" is not enabled for connection "${connectionId}"`,
            {
              cause: error,
              details: { attempt, connectionId, sync: target.sync },
            },
          ),
        );
      }
      throw error;
    }
    deps.logger.info(
      { deliveryId: input.deliveryId, syncWorkflowId: workflowId },
      'webhook handed to sync stream',
    );
    return { workflowId, started: false, attempt };
  };
}
