import type { ProviderResponse } from '../shared/calls';
import type { CallAttempt } from './attempt';
import { callFailure } from './failures';
import { nextPageRequest, pageItems } from './pagination';
import { readBody, type RawResponse } from './request';

/** The activity's answer to a successful exchange, with its page (items, next request) when one was asked. */
export function providerAnswer(
  response: RawResponse,
  call: CallAttempt,
  apiBaseUrl: string,
): ProviderResponse {
  const { provider, input } = call;
  const body = readBody(response);
  const answer: ProviderResponse = {
    status: response.status,
    headers: response.headers,
    body,
    attempt: call.attempt,
  };
  if (!input.page) return answer;
  const pagination = provider.calls.pagination;
  if (!pagination) {
    throw callFailure('invalid_request', `provider "${provider.id}" declares no pagination`, call.attempt);
  }
  const itemsPath = typeof input.page === 'object' ? input.page.itemsPath : undefined;
  const next = nextPageRequest(
    pagination,
    input.request,
    { body, headers: answer.headers },
    apiBaseUrl,
    itemsPath,
  );
  answer.page = { items: pageItems(pagination, body, itemsPath), ...(next ? { next } : {}) };
  return answer;
}
