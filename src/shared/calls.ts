import type { CodeOf } from './errors';

/** Activity type every provider call runs as; application workers in any SDK can call it by name. */
export const CALL_PROVIDER_ACTIVITY = 'callProvider';

/** Each provider's calls run on their own task queue, so its server-side rate limit holds across workers. */
export function providerTaskQueue(providerId: string): string {
  return `junction-provider-${providerId}`;
}

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A request to a provider's API, relative to its `apiBaseUrl`. Never carries credentials: Junction adds them. */
export interface ProviderRequest {
  method: HttpMethod;
  /** Path under the provider's API base URL, e.g. `/repos/acme/app/issues`. */
  path: string;
  query?: Record<string, string | number | boolean | Array<string | number | boolean>>;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is (with your content-type header). */
  body?: string;
}

export interface CallProviderInput {
  providerId: string;
  /** The connection whose credentials authenticate the call; none for public endpoints. */
  connectionId?: string;
  request: ProviderRequest;
  /**
   * Read the answer as one page of a listing, per the provider's pagination style; `itemsPath` overrides
   * where the items are for endpoints that differ from the provider's default.
   */
  page?: boolean | { itemsPath?: string };
}

/** One page of a listing: its items and the request for the next page (absent on the last one). */
export interface ProviderPage {
  items: unknown[];
  next?: ProviderRequest;
}

export interface ProviderResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON when the provider answered JSON, else the text. */
  body: unknown;
  /** Which attempt of the activity succeeded (1 = first). */
  attempt: number;
  /** Present when the call asked for `page`. */
  page?: ProviderPage;
}

/** Details on a failed call (ApplicationFailure details[0]). */
export interface CallFailureDetails {
  status?: number;
  attempt: number;
  body?: unknown;
}

/** Failure types a provider call can end with (the `call` family); workflows branch on these, not on classes. */
export type CallFailureType = CodeOf<'call'>;
