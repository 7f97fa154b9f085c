/**
 * What each built-in OAuth provider needs from Junction, stated a second time, independently of its
 * declaration: the local OAuth server enforces these, so a declaration that disagrees (a typo in a
 * parameter, the wrong client authentication, PKCE sent to a provider that does not use it) fails its test.
 * Each line follows the provider's documentation cited in the declaration.
 */
export interface ProviderExpectation {
  /** Client authentication at the token endpoint (RFC 6749 §2.3.1). */
  method: 'client_secret_basic' | 'client_secret_post';
  pkce: boolean;
  /** Parameters the authorization request must carry. */
  params?: Record<string, string>;
  /** Scopes that must be requested (the ones that make the provider issue a refresh token). */
  scopes?: string[];
  scopeSeparator?: ',';
  /** Values for the provider's connection parameters. */
  connectionParams?: Record<string, string>;
}

const basic = 'client_secret_basic' as const;
const post = 'client_secret_post' as const;

export const EXPECTATIONS: Record<string, ProviderExpectation> = {
  google: { method: post, pkce: true, params: { access_type: 'offline', prompt: 'consent' } },
  microsoft: { method: post, pkce: true, scopes: ['offline_access'] },
  okta: {
    method: basic,
    pkce: true,
    scopes: ['offline_access'],
    connectionParams: { domain: 'dev-1.okta.com' },
  },
  github: { method: post, pkce: true },
  gitlab: { method: post, pkce: true },
  bitbucket: { method: basic, pkce: false },
  linear: { method: post, pkce: true, scopeSeparator: ',' },
  jira: {
    method: post,
    pkce: false,
    params: { audience: 'api.atlassian.com', prompt: 'consent' },
    scopes: ['offline_access'],
  },
  hubspot: { method: post, pkce: false },
  salesforce: { method: post, pkce: true, scopes: ['refresh_token'] },
  pipedrive: { method: basic, pkce: false },
  intercom: { method: post, pkce: false },
  zendesk: { method: post, pkce: true, connectionParams: { subdomain: 'acme' } },
  slack: { method: post, pkce: false, scopeSeparator: ',' },
  discord: { method: basic, pkce: false },
  zoom: { method: basic, pkce: true },
  mailchimp: { method: post, pkce: false, connectionParams: { dc: 'us6' } },
  notion: { method: basic, pkce: false, params: { owner: 'user' } },
  asana: { method: post, pkce: true },
  airtable: { method: basic, pkce: true },
  calendly: { method: post, pkce: true },
  docusign: { method: basic, pkce: true, connectionParams: { server: 'na3' } },
  dropbox: { method: basic, pkce: true, params: { token_access_type: 'offline' } },
  box: { method: post, pkce: false },
  shopify: { method: post, pkce: false, scopeSeparator: ',', connectionParams: { shop: 'acme' } },
  xero: { method: basic, pkce: true, scopes: ['offline_access'] },
  quickbooks: { method: basic, pkce: false },
};
