import { COMMERCE_PROVIDERS } from './commerce';
import { CRM_PROVIDERS } from './crm';
import { DEVTOOLS_PROVIDERS } from './devtools';
import { FILE_PROVIDERS } from './files';
import { IDENTITY_PROVIDERS } from './identity';
import { MESSAGING_PROVIDERS } from './messaging';
import { PRODUCTIVITY_PROVIDERS } from './productivity';
import type { BuiltinDeclaration } from './types';

export type { BuiltinDeclaration } from './types';

/**
 * Built-in provider declarations, by id: plain data with the facts from each provider's own documentation
 * (cited in `references`), checked by `providerSchema` at start-up like any configured one. An invalid
 * built-in stops start-up (see buildCatalogue). A configuration entry with the same id (or `extends: <id>`)
 * adds the OAuth client and overrides fields.
 */
export const BUILTIN_PROVIDERS: Record<string, BuiltinDeclaration> = {
  ...IDENTITY_PROVIDERS,
  ...DEVTOOLS_PROVIDERS,
  ...CRM_PROVIDERS,
  ...MESSAGING_PROVIDERS,
  ...PRODUCTIVITY_PROVIDERS,
  ...FILE_PROVIDERS,
  ...COMMERCE_PROVIDERS,
};

/**
 * Templates a configuration entry extends but that are no provider on their own: the generic OAuth 2.0
 * authorization code (`extends: oauth2`; the configuration supplies the URLs).
 */
export const BUILTIN_TEMPLATES: Record<string, BuiltinDeclaration> = {
  oauth2: {
    displayName: 'OAuth 2.0',
    auth: { mode: 'oauth2', pkce: true },
  },
};
