import type { AuthorizationCodeProvider } from '../client/connectionsClient';

/**
 * The provider's authorization URL for one flow (RFC 6749 §4.1.1): client, redirect URI, scopes joined with the
 * provider's separator, the signed `state`, the PKCE S256 challenge (RFC 7636 §4.3) when used, and the
 * provider's own extra parameters.
 */
export function authorizationUrl(
  provider: AuthorizationCodeProvider,
  request: { redirectUri: string; scopes: string[]; state: string; codeChallenge?: string },
): string {
  const url = new URL(provider.auth.authorizationUrl);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', provider.client.clientId);
  url.searchParams.set('redirect_uri', request.redirectUri);
  if (request.scopes.length > 0)
    url.searchParams.set('scope', request.scopes.join(provider.auth.scopeSeparator));
  url.searchParams.set('state', request.state);
  if (request.codeChallenge) {
    url.searchParams.set('code_challenge', request.codeChallenge);
    url.searchParams.set('code_challenge_method', 'S256');
  }
  for (const [key, value] of Object.entries(provider.auth.authorizationParams))
    url.searchParams.set(key, value);
  return url.toString();
}

/** `url` with the given query parameters set (the others kept). */
export function withQuery(url: string, params: Record<string, string | undefined>): string {
  const target = new URL(url);
  for (const [key, value] of Object.entries(params))
    if (value !== undefined) target.searchParams.set(key, value);
  return target.toString();
}

/** `returnTo` must be on an allowlisted origin and under its path: no open redirect. */
export function returnToAllowed(returnTo: string, allowlist: readonly string[]): boolean {
  let target: URL;
  try {
    target = new URL(returnTo);
  } catch {
    return false;
  }
  return allowlist.some((entry) => {
    const allowed = new URL(entry);
    return target.origin === allowed.origin && target.pathname.startsWith(allowed.pathname);
  });
}
