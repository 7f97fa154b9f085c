import type { ProviderRequest } from './calls';
import type { ProviderRetryPreset, RetrySettings } from './retryPresets';

export const PROVIDER_ACTION_WORKFLOW = 'providerAction';

/** What the server resolves a declared action to before starting its workflow. */
export interface ProviderActionInput {
  providerId: string;
  action: string;
  connectionId?: string;
  request: ProviderRequest;
  retry: ProviderRetryPreset | RetrySettings;
}

/** `action:<provider>:<action>:<idempotency key>`: the same key runs once. */
export function actionWorkflowId(providerId: string, action: string, idempotencyKey: string): string {
  return `action:${providerId}:${action}:${idempotencyKey}`;
}
