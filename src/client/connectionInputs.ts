import type { ConnectionsConfig } from '../config/schema';
import { headerShape, refreshTiming } from '../connections/input';
import { connectionParamValues, resolveProvider, type ConnectionParams } from '../providers/resolve';
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
  /** Values for the provider's connection parameters (`{shop}`, `{subdomain}` in its URLs). */
  params?: ConnectionParams;
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
  const params = paramsFor(provider, request.params);
  const secrets = secretsFor(provider.auth.mode, request.credentials);
  return {
    connectionId: request.connectionId,
    providerId: provider.id,
    mode: provider.auth.mode,
    scopes: request.scopes ?? ('scopes' in provider.auth ? provider.auth.scopes : []),
    secrets: params ? { ...secrets, params } : secrets,
    timing: refreshTiming(provider, settings),
    headerShape: headerShape(provider),
    apiBaseUrl: resolveProvider(provider, params).apiBaseUrl,
  };
}

/**
 * The connection's parameter values (given, or defaults), validated against the provider's declaration;
 * undefined for providers without parameters. Throws `invalid_connection_params`.
 */
export function paramsFor(
  provider: ProviderDeclaration,
  given?: ConnectionParams,
): ConnectionParams | undefined {
  const values = connectionParamValues(provider, given);
  return Object.keys(values).length > 0 ? values : undefined;
}

/** What a pending authorization holds: where to go back to, the PKCE verifier, and the connection to make. */
export function authorizationInput(
  provider: ProviderDeclaration,
  settings: ConnectionsConfig,
  request: Pick<
    AuthorizationInput,
    | 'stateId'
    | 'connectionId'
    | 'returnTo'
    | 'redirectUri'
    | 'codeVerifier'
    | 'scopes'
    | 'expiresAt'
    | 'params'
  >,
): AuthorizationInput {
  const { params: given, ...rest } = request;
  const params = paramsFor(provider, given);
  return {
    ...rest,
    ...(params ? { params } : {}),
    providerId: provider.id,
    timing: refreshTiming(provider, settings),
    headerShape: headerShape(provider),
    apiBaseUrl: resolveProvider(provider, params).apiBaseUrl,
  };
}
