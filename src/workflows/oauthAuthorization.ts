import {
  allHandlersFinished,
  condition,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { JunctionActivities } from '../activities';
import { activityOptions } from '../shared/activityOptions';
import {
  completeAuthorizationUpdate,
  type AuthorizationCallback,
  type AuthorizationInput,
  type AuthorizationOutcome,
} from '../shared/connectionContract';
import { toApplicationFailure } from '../shared/failures';
import { AuthorizationModel } from './oauthAuthorizationModel';

const { exchangeCode, installConnection } = proxyActivities<JunctionActivities>(
  activityOptions.tokenEndpoint,
);

/**
 * One pending authorization-code flow, keyed by the `state`'s id. It holds the PKCE verifier (encrypted by
 * the codec, never in a cookie or URL), accepts the provider's callback once, exchanges the code and installs
 * the connection. Unclaimed, it ends after ten minutes; a second callback is refused. The decisions live in
 * AuthorizationModel; this function wires them to Temporal.
 */
export async function oauthAuthorization(
  input: AuthorizationInput,
): Promise<AuthorizationOutcome | { status: 'expired' }> {
  // Connection parameters ({shop}…) ride along to the code exchange and the installed connection. Only
  // flows started with parameters (never one from before them) take the patch; the commands are the same.
  const carriesParams = input.params !== undefined && patched('authorization-carries-connection-params');
  const flow = new AuthorizationModel(carriesParams ? input : { ...input, params: undefined });

  setHandler(
    completeAuthorizationUpdate,
    async (received: AuthorizationCallback) => {
      flow.receive(received);
      await condition(() => flow.outcome !== undefined);
      return flow.outcome as AuthorizationOutcome;
    },
    {
      validator: (_received: AuthorizationCallback) => {
        const refusal = flow.refusal(Date.now());
        if (refusal) throw toApplicationFailure(refusal);
      },
    },
  );

  const arrived = await condition(() => flow.callback !== undefined, flow.callbackWaitMs(Date.now()));
  if (!arrived) return { status: 'expired' };

  let outcome: AuthorizationOutcome;
  try {
    const tokens = await exchangeCode(flow.exchangeInput());
    await installConnection(flow.installInput(tokens, workflowInfo().taskQueue));
    outcome = flow.connected();
  } catch (error) {
    outcome = flow.failed(error);
  }
  await condition(allHandlersFinished);
  return outcome;
}
