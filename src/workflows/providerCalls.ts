import { proxyActivities } from '@temporalio/workflow';
import { activityOptions } from '../shared/activityOptions';
import {
  CALL_PROVIDER_ACTIVITY,
  type CallProviderInput,
  type ProviderRequest,
  type ProviderResponse,
} from '../shared/calls';
import type { ProviderRetryPreset, RetrySettings } from '../shared/retryPresets';

export interface ProviderCallOptions {
  providerId: string;
  /** The connection whose credentials Junction injects; omit for public endpoints. */
  connectionId?: string;
  /** A named preset or explicit settings; `standard` by default. */
  retry?: ProviderRetryPreset | RetrySettings;
  /** Bound on one attempt, including Junction's pacing waits (default 2 minutes). */
  attemptTimeoutMs?: number;
}

type CallProviderActivity = Record<
  typeof CALL_PROVIDER_ACTIVITY,
  (input: CallProviderInput) => Promise<ProviderResponse>
>;

/**
 * Provider calls from a workflow, for application workflows in their own worker as much as for Junction's:
 * each call is Junction's `callProvider` activity on the provider's task queue, where Junction's workers
 * add credentials, pacing, the circuit breaker and retries by `Retry-After`.
 *
 * ```ts
 * const github = providerCalls({ providerId: 'github', connectionId });
 * const issue = await github.call({ method: 'GET', path: '/repos/acme/app/issues/1' });
 * for await (const page of github.pages({ method: 'GET', path: '/repos/acme/app/issues' })) { … }
 * ```
 */
export function providerCalls(options: ProviderCallOptions) {
  const activities = proxyActivities<CallProviderActivity>(
    activityOptions.providerCall(options.providerId, options.retry, options.attemptTimeoutMs),
  );
  const call = (request: ProviderRequest, page: CallProviderInput['page'] = false) =>
    activities[CALL_PROVIDER_ACTIVITY]({
      providerId: options.providerId,
      connectionId: options.connectionId,
      request,
      ...(page ? { page } : {}),
    });

  return {
    /** One call; resolves with the provider's answer, or throws an ActivityFailure whose cause type says why. */
    call: (request: ProviderRequest) => call(request),
    /** Every page of a listing, one activity per page, following the provider's declared pagination. */
    async *pages(
      request: ProviderRequest,
      options: { maxPages?: number; itemsPath?: string } = {},
    ): AsyncGenerator<unknown[]> {
      let next: ProviderRequest | undefined = request;
      const page = options.itemsPath ? { itemsPath: options.itemsPath } : true;
      for (let count = 0; next && count < (options.maxPages ?? Number.POSITIVE_INFINITY); count++) {
        const response: ProviderResponse = await call(next, page);
        yield response.page?.items ?? [];
        next = response.page?.next;
      }
    },
  };
}
