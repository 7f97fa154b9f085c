import type { ConnectionsConfig } from '../config/schema';
import { headerShape, refreshTiming } from '../connections/input';
import type { ProviderDeclaration } from '../providers/schema';
import { ConnectionError, RequestError } from '../shared/errors';
import type {
  AuthorizationInput,
  ConnectionSecrets,
  ConnectionWorkflowInput,
} from '../shared/connectionContract';

/** Credentials a caller may hand over when it creates a connection (which ones depends on the auth mode). */
export interface CredentialsRequest {
  apiKey?: string;
  username?: string;
  password?: string;
  clientId?: string;
  clientSecret?: string;
  privateKey?: string;
  keyId?: string;
  issuer?: string;
  subject?: string;
}

/** `POST /connections`: a connection whose credentials the caller already holds (no browser involved). */
export interface CreateConnectionRequest {
  connectionId: string;
  providerId: string;
  credentials?: CredentialsRequest;
  scopes?: string[];
}

const present = (value: string | undefined) => (value !== undefined && value.length > 0 ? value : undefined);

/** The secrets a connection of `mode` starts with; `bad_request` naming what is missing. */
export function secretsFor(mode: string, credentials: CredentialsRequest = {}): ConnectionSecrets {
  const need = (name: keyof CredentialsRequest) => {
    const value = present(credentials[name]);
    if (value === undefined)
      throw new RequestError('bad_request', `credentials.${name} is required for ${mode}`);
    return value;
  };
  switch (mode) {
    case 'api_key':
      return { apiKey: need('apiKey') };
    case 'basic':
      return { username: need('username'), password: credentials.password ?? '' };
    case 'client_credentials':
      return {
        clientId: present(credentials.clientId),
        clientSecret: present(credentials.clientSecret),
        privateKey: present(credentials.privateKey),
        keyId: present(credentials.keyId),
      };
    case 'jwt_bearer':
      return {
        assertionIssuer: need('issuer'),
        assertionSubject: present(credentials.subject),
        assertionPrivateKey: need('privateKey'),
        assertionKeyId: present(credentials.keyId),
        clientId: present(credentials.clientId) ?? need('issuer'),
        clientSecret: present(credentials.clientSecret),
      };
    default:
      throw new ConnectionError(
        'unsupported_auth_mode',
        `connections for ${mode} providers are created through a connect link (POST /connect/sessions)`,
      );
  }
}

/** The connection workflow's input for a provider, with the provider's timing and header shape. */
export function connectionInput(
  provider: ProviderDeclaration,
  settings: ConnectionsConfig,
  request: CreateConnectionRequest,
): ConnectionWorkflowInput {
  return {
    connectionId: request.connectionId,
    providerId: provider.id,
    mode: provider.auth.mode,
    scopes: request.scopes ?? ('scopes' in provider.auth ? provider.auth.scopes : []),
    secrets: secretsFor(provider.auth.mode, request.credentials),
    timing: refreshTiming(provider, settings),
    headerShape: headerShape(provider),
    apiBaseUrl: provider.apiBaseUrl,
  };
}

/** What a pending authorization holds: where to go back to, the PKCE verifier, and the connection to make. */
export function authorizationInput(
  provider: ProviderDeclaration,
  settings: ConnectionsConfig,
  request: Pick<
    AuthorizationInput,
    'stateId' | 'connectionId' | 'returnTo' | 'redirectUri' | 'codeVerifier' | 'scopes' | 'expiresAt'
  >,
): AuthorizationInput {
  return {
    ...request,
    providerId: provider.id,
    timing: refreshTiming(provider, settings),
    headerShape: headerShape(provider),
    apiBaseUrl: provider.apiBaseUrl,
  };
}
