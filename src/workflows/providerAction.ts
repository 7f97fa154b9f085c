import type { ProviderActionInput } from '../shared/actions';
import type { ProviderResponse } from '../shared/calls';
import { providerCalls } from './providerCalls';

/**
 * A durable action: one declared provider call, run as a workflow so it survives worker and server
 * restarts and retries as the provider's preset says. Its id comes from the caller's idempotency key.
 */
export async function providerAction(input: ProviderActionInput): Promise<ProviderResponse> {
  const calls = providerCalls({
    providerId: input.providerId,
    connectionId: input.connectionId,
    retry: input.retry,
  });
  return calls.call(input.request);
}
