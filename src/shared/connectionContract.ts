import { defineQuery, defineUpdate } from '@temporalio/workflow';

export const CONNECTION_WORKFLOW = 'connection';
export const OAUTH_AUTHORIZATION_WORKFLOW = 'oauthAuthorization';

/** `connection:<id>`: one workflow per connection owns its credentials. */
export function connectionWorkflowId(connectionId: string): string {
  return `connection:${connectionId}`;
}

/** `oauth-authorization:<stateId>`: one pending authorization-code flow, single use, ten minutes. */
export function authorizationWorkflowId(stateId: string): string {
  return `oauth-authorization:${stateId}`;
}

/** Connection ids are chosen by the application; they end up in workflow ids and URLs. */
export const CONNECTION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

export type AuthMode = 'oauth2' | 'client_credentials' | 'jwt_bearer' | 'api_key' | 'basic';
export type ConnectionState = 'pending' | 'active' | 'needs_reauth' | 'deleted';

/**
 * Secrets a connection holds. They live only in workflow state, inputs and results, which the payload codec
 * encrypts; nothing here is logged or put in a memo, search attribute or failure message.
 */
export interface ConnectionSecrets {
  accessToken?: string;
  refreshToken?: string;
  /** Epoch ms; undefined when the provider gave no `expires_in`. */
  expiresAt?: number;
  tokenType?: string;
  apiKey?: string;
  username?: string;
  password?: string;
  /** Per-connection OAuth client (client credentials, private_key_jwt), overriding the provider's. */
  clientId?: string;
  clientSecret?: string;
  privateKey?: string;
  keyId?: string;
  /** RFC 7523 assertion: issuer, subject and signing key. */
  assertionIssuer?: string;
  assertionSubject?: string;
  assertionPrivateKey?: string;
  assertionKeyId?: string;
  /**
   * The connection's parameters (`{shop}`, `{subdomain}` in the provider's URLs). Not secret, but they
   * travel with the credentials so every token request and revocation reaches the same tenant's endpoints.
   */
  params?: Record<string, string>;
}

/** What a connection looks like from outside: never a secret. */
export interface ConnectionStatus {
  connectionId: string;
  providerId: string;
  mode: AuthMode;
  state: ConnectionState;
  scopes: string[];
  /** ISO time the access token expires (the horizon callers can rely on), if it does. */
  expiresAt?: string;
  lastRefreshAt?: string;
  refreshCount: number;
  createdAt: string;
  apiBaseUrl?: string;
  lastError?: { code: string; message: string };
  reauthReason?: string;
  /**
   * Bumped whenever the credentials or their outcome change (a refresh succeeds or fails, a re-authorization,
   * a state change). Callers name the revision they saw when they ask for newer credentials, which lets the
   * server fold every caller's request for the same revision into one update. Absent in runs started before
   * it existed (read as 0).
   */
  revision?: number;
  /**
   * The connection's parameter values (a tenant, a shop: what fills the provider's URLs), for providers that
   * declare any. Answered by the status query only; a reconnect keeps them.
   */
  params?: Record<string, string>;
}

/** Timing copied from the provider declaration when the connection is created. */
export interface RefreshTiming {
  refreshMarginMs: number;
  /** Refresh at least this often while a refresh token exists; undefined: only ahead of expiry. */
  idleRefreshMs?: number;
  /** Continue-as-new past this many history events. */
  historyEventLimit: number;
  /** Timer-driven refreshes never come closer together than this (default 5 s). */
  minRefreshIntervalMs?: number;
}

/** How the access token goes on a request: `authorization: Bearer …`, an API key header, or basic. */
export interface HeaderShape {
  header: string;
  prefix: string;
}

export interface ConnectionWorkflowInput {
  connectionId: string;
  providerId: string;
  mode: AuthMode;
  scopes: string[];
  secrets: ConnectionSecrets;
  timing: RefreshTiming;
  headerShape: HeaderShape;
  apiBaseUrl?: string;
  /** Carried across continue-as-new. */
  status?: Omit<ConnectionStatus, 'connectionId' | 'providerId' | 'mode'>;
}

/** The credentials a caller puts on a request. Secret: travels only through the codec. */
export interface ConnectionCredentials {
  connectionId: string;
  providerId: string;
  state: ConnectionState;
  headers: Record<string, string>;
  /** Epoch ms; undefined when the credentials do not expire (API keys, basic, non-expiring tokens). */
  expiresAt?: number;
  apiBaseUrl?: string;
  /** The connection's revision these credentials belong to (see ConnectionStatus.revision). */
  revision?: number;
}

/**
 * A caller's request for credentials newer or fresher than those it holds. Every caller that saw the same
 * revision and has the same reason sends the same update id (`renewUpdateId`), so the Temporal server
 * attaches them all to one update: one in-flight update and at most one token request per revision, however
 * many processes ask, and Temporal's limit on concurrent updates is never reached.
 */
export interface RenewRequest {
  /** The revision the caller holds (from its cache, a describe, or an earlier answer). */
  seenRevision: number;
  /** `stale`: the token expires within `minValidityMs`; `rejected`: the provider answered 401 to it. */
  reason: 'stale' | 'rejected';
  minValidityMs?: number;
  /** For `rejected`: the header value the provider refused; refresh only if it is still the current one. */
  rejectedHeaderValue?: string;
  /** 0 for the first ask about this revision; an unsatisfied caller asks again with the next attempt. */
  attempt: number;
}

/**
 * The update id for a renew request. It names the revision, the reason and the attempt, never a secret
 * (update ids are stored in history in plaintext).
 */
export function renewUpdateId(request: RenewRequest): string {
  const reason =
    request.reason === 'rejected'
      ? 'rejected'
      : `stale-${Math.max(0, Math.round(request.minValidityMs ?? 0))}`;
  return `renew-${request.seenRevision}-${reason}-${request.attempt}`;
}

export interface FreshTokenRequest {
  /** The token must stay valid at least this long; refresh (once) otherwise. */
  minValidityMs?: number;
  /** The Authorization (or API key header) value a provider just rejected with 401: refresh unless it already changed. */
  rejectedHeaderValue?: string;
}

/** The token endpoint's answer, as the activity hands it to the workflow. */
export interface TokenGrantResult {
  accessToken: string;
  tokenType: string;
  refreshToken?: string;
  expiresAt?: number;
  scopes?: string[];
  apiBaseUrl?: string;
}

export interface TokenRequestInput {
  connectionId: string;
  providerId: string;
  grant: 'refresh_token' | 'client_credentials' | 'jwt_bearer';
  secrets: ConnectionSecrets;
  scopes: string[];
}

export interface RevokeInput {
  connectionId: string;
  providerId: string;
  secrets: ConnectionSecrets;
}

export type ConnectionEventType = 'connection.created' | 'connection.needs_reauth' | 'connection.deleted';

export interface ConnectionEvent {
  type: ConnectionEventType;
  connectionId: string;
  providerId: string;
  occurredAt: string;
  reason?: string;
}

/** Memo on each connection execution, so listing needs no running worker. Never a secret. */
export type ConnectionMemo = Pick<
  ConnectionStatus,
  'providerId' | 'mode' | 'state' | 'scopes' | 'expiresAt' | 'lastRefreshAt' | 'createdAt' | 'revision'
>;

export interface AuthorizationInput {
  stateId: string;
  timing: RefreshTiming;
  headerShape: HeaderShape;
  apiBaseUrl?: string;
  connectionId: string;
  providerId: string;
  returnTo: string;
  redirectUri: string;
  codeVerifier?: string;
  scopes: string[];
  /** The connection's parameters (see ConnectionSecrets.params); absent for providers without any. */
  params?: Record<string, string>;
  /** Epoch ms after which the state is refused. */
  expiresAt: number;
}

/** The callback's query, handed to the pending authorization exactly once. */
export interface AuthorizationCallback {
  /** The full callback query string (code, state, iss, or error and error_description). */
  query: string;
}

export type AuthorizationOutcome =
  | { status: 'connected'; connectionId: string; returnTo: string }
  | { status: 'failed'; connectionId: string; returnTo: string; error: string; description?: string };

export interface CodeExchangeInput {
  providerId: string;
  callbackQuery: string;
  stateId: string;
  redirectUri: string;
  codeVerifier?: string;
  params?: Record<string, string>;
}

export interface InstallConnectionInput {
  connection: ConnectionWorkflowInput;
  taskQueue: string;
}

/** The current credentials (a query: no history event, needs a worker). */
export const credentialsQuery = defineQuery<ConnectionCredentials>('credentials');
/** State, scopes, expiry horizon, last refresh: never a secret. */
export const connectionStatusQuery = defineQuery<ConnectionStatus>('connectionStatus');
/**
 * Credentials newer or fresher than the revision the caller holds; sent with `renewUpdateId` as the update id
 * so that concurrent callers share one update (see RenewRequest).
 */
export const renewCredentialsUpdate = defineUpdate<ConnectionCredentials, [RenewRequest]>('renewCredentials');
/**
 * Fresh credentials: refreshes at most once for any number of concurrent callers. Kept for callers built
 * before `renewCredentials`; each call is an update of its own, so a fleet of callers can reach Temporal's
 * limit on concurrent updates per workflow.
 */
export const getFreshTokenUpdate = defineUpdate<ConnectionCredentials, [FreshTokenRequest]>('getFreshToken');
/** Refresh now (the management API's `POST /connections/:id/refresh`). */
export const refreshNowUpdate = defineUpdate<ConnectionStatus, []>('refreshNow');
/** Waits until the first credentials are in place (or the connection needs re-authorization). */
export const awaitReadyUpdate = defineUpdate<ConnectionStatus, []>('awaitReady');
/** New credentials from a completed authorization (reconnect after `needs_reauth`). */
export const reauthorizeUpdate = defineUpdate<ConnectionStatus, [ConnectionSecrets, string[]]>('reauthorize');
/** Revokes at the provider and completes the workflow. */
export const deleteConnectionUpdate = defineUpdate<ConnectionStatus, []>('deleteConnection');
/** Hands the provider's callback to a pending authorization; accepted once. */
export const completeAuthorizationUpdate = defineUpdate<AuthorizationOutcome, [AuthorizationCallback]>(
  'completeAuthorization',
);
