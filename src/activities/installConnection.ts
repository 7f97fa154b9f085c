import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { RequestError } from '../shared/errors';
import { toApplicationFailure } from '../shared/failures';
import {
  CONNECTION_WORKFLOW,
  connectionWorkflowId,
  reauthorizeUpdate,
  type ConnectionStatus,
  type InstallConnectionInput,
} from '../shared/connectionContract';
import { JUNCTION_CONNECTION_ID, JUNCTION_SOURCE, JUNCTION_STATE } from '../shared/searchAttributes';

/** What installing a connection needs: a codec-configured Temporal client, when the worker has one. */
export interface InstallConnectionDeps {
  temporalClient: Client | undefined;
}

/** The `installConnection` activity: starts or reauthorizes `connection:<id>` in one update-with-start. */
export function createInstallConnectionActivity(deps: InstallConnectionDeps) {
  return async function installConnection(input: InstallConnectionInput): Promise<ConnectionStatus> {
    if (!deps.temporalClient) {
      throw toApplicationFailure(
        new RequestError('internal_error', 'the worker has no Temporal client to install connections with'),
      );
    }
    const { connection } = input;
    const startWorkflowOperation = new WithStartWorkflowOperation(CONNECTION_WORKFLOW, {
      workflowId: connectionWorkflowId(connection.connectionId),
      taskQueue: input.taskQueue,
      args: [connection],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [
        { key: JUNCTION_SOURCE, value: connection.providerId },
        { key: JUNCTION_CONNECTION_ID, value: connection.connectionId },
        { key: JUNCTION_STATE, value: 'pending' },
      ],
    });
    return deps.temporalClient.workflow.executeUpdateWithStart(reauthorizeUpdate, {
      args: [connection.secrets, connection.scopes],
      startWorkflowOperation,
    });
  };
}
