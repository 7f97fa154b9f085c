import type { ProviderRequest } from '../shared/calls';
import { ProviderCallError } from '../shared/errors';

/** The URL of a provider request under its API base; a path that could leave its origin is refused. */
export function providerUrl(apiBaseUrl: string, request: ProviderRequest): URL {
  if (!request.path.startsWith('/') || request.path.startsWith('//')) {
    throw new ProviderCallError(
      'invalid_request',
      'request.path must be a path under the provider API base URL, starting with a single "/"',
    );
  }
  const base = new URL(apiBaseUrl);
  // Credentials go only to the provider's own origin: a path cannot change it.
  const url = new URL(base.pathname.replace(/\/$/, '') + request.path, base.origin);
  if (url.origin !== base.origin) {
    throw new ProviderCallError('invalid_request', 'request.path leaves the provider origin');
  }
  for (const [name, value] of Object.entries(request.query ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(name, String(item));
  }
  return url;
}
