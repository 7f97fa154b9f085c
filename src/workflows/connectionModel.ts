import { credentialHeaders } from '../shared/credentialHeaders';
import type {
  ConnectionCredentials,
  ConnectionMemo,
  ConnectionSecrets,
  ConnectionState,
  ConnectionStatus,
  ConnectionWorkflowInput,
  FreshTokenRequest,
  RenewRequest,
  TokenGrantResult,
} from '../shared/connectionContract';

/** After a refresh failed for a transient reason (its retries spent), try again this much later. */
export const RETRY_AFTER_FAILURE_MS = 60_000;
/** Timer-driven refreshes never come closer together than this unless the provider's timing says so. */
export const DEFAULT_MIN_REFRESH_INTERVAL_MS = 5_000;
/** Failures that no retry fixes: the grant is gone or the client is rejected; a person must reconnect. */
const NEEDS_REAUTH = new Set([
  'invalid_grant',
  'token_request_rejected',
  'unknown_provider',
  'unsupported_auth_mode',
]);

/** Why the connection cannot serve credentials right now (a code from the failure vocabulary). */
export interface Refusal {
  code: 'connection_deleted' | 'needs_reauth' | 'refresh_failed';
  message: string;
}

export interface Failure {
  code: string;
  message: string;
}

/**
 * The state of one connection and the decisions taken on it, free of Temporal: the workflow function only
 * wires handlers, timers and activities around it, and unit tests drive it directly. Every method that
 * needs the time takes it as an argument.
 */
export class ConnectionModel {
  readonly connectionId: string;
  readonly providerId: string;
  readonly mode: ConnectionWorkflowInput['mode'];
  readonly secrets: ConnectionSecrets;
  readonly status: ConnectionStatus;
  /** When a refresh that failed for a transient reason is tried again. */
  retryAt: number | undefined;
  deleteRequested = false;

  constructor(
    private readonly input: ConnectionWorkflowInput,
    now: number,
  ) {
    this.connectionId = input.connectionId;
    this.providerId = input.providerId;
    this.mode = input.mode;
    this.secrets = { ...input.secrets };
    this.status = {
      connectionId: input.connectionId,
      providerId: input.providerId,
      mode: input.mode,
      state: 'pending',
      scopes: input.scopes,
      refreshCount: 0,
      createdAt: new Date(now).toISOString(),
      apiBaseUrl: input.apiBaseUrl,
      ...input.status,
    };
  }

  get state(): ConnectionState {
    return this.status.state;
  }

  get revision(): number {
    return this.status.revision ?? 0;
  }

  /** API keys and basic credentials never change on their own: nothing to refresh, nothing expires. */
  get isStatic(): boolean {
    return this.mode === 'api_key' || this.mode === 'basic';
  }

  /** Whether the token endpoint can be asked for a new token without the user. */
  hasGrant(): boolean {
    return (
      this.mode === 'client_credentials' || this.mode === 'jwt_bearer' || Boolean(this.secrets.refreshToken)
    );
  }

  headers(): Record<string, string> {
    return credentialHeaders(this.mode, this.secrets, this.input.headerShape);
  }

  /** The value of the header a provider would reject with 401. */
  currentHeaderValue(): string | undefined {
    const headers = this.headers();
    return headers[this.input.headerShape.header.toLowerCase()] ?? headers.authorization;
  }

  expiresWithin(ms: number, now: number): boolean {
    return this.secrets.expiresAt !== undefined && this.secrets.expiresAt - now <= ms;
  }

  /** How long the current token was issued for, when both ends are known. */
  lifetimeMs(): number | undefined {
    if (this.secrets.expiresAt === undefined || !this.status.lastRefreshAt) return undefined;
    const lifetime = this.secrets.expiresAt - Date.parse(this.status.lastRefreshAt);
    return lifetime > 0 ? lifetime : undefined;
  }

  /**
   * How close to expiry a caller may find the token before it is refreshed: its own margin or the provider's,
   * but never more than half a token's lifetime, or tokens shorter than a caller's margin would be refreshed
   * on every call.
   */
  staleThreshold(minValidityMs: number): number {
    const wanted = Math.max(minValidityMs, this.input.timing.refreshMarginMs);
    const lifetime = this.lifetimeMs();
    return lifetime !== undefined ? Math.min(wanted, lifetime / 2) : wanted;
  }

  /** The status as the query answers it: with the connection's parameters, which are no secret. */
  statusWithParams(): ConnectionStatus {
    const { params } = this.secrets;
    return params ? { ...this.status, params: { ...params } } : { ...this.status };
  }

  credentials(): ConnectionCredentials {
    return {
      connectionId: this.connectionId,
      providerId: this.providerId,
      state: this.status.state,
      headers: this.status.state === 'active' ? this.headers() : {},
      expiresAt: this.secrets.expiresAt,
      apiBaseUrl: this.status.apiBaseUrl,
      revision: this.revision,
    };
  }

  memo(): ConnectionMemo {
    return {
      providerId: this.providerId,
      mode: this.mode,
      state: this.status.state,
      scopes: this.status.scopes,
      expiresAt: this.status.expiresAt,
      lastRefreshAt: this.status.lastRefreshAt,
      createdAt: this.status.createdAt,
      revision: this.revision,
    };
  }

  /** Keeps the published expiry horizon in step with the secrets (never the token itself). */
  syncExpiry(): void {
    this.status.expiresAt =
      this.secrets.expiresAt !== undefined ? new Date(this.secrets.expiresAt).toISOString() : undefined;
  }

  /** Deleted or waiting for the user: no credentials are served and nothing is refreshed. */
  refusal(): Refusal | undefined {
    if (this.deleteRequested || this.status.state === 'deleted') {
      return { code: 'connection_deleted', message: `connection "${this.connectionId}" was deleted` };
    }
    if (this.status.state === 'needs_reauth') {
      return {
        code: 'needs_reauth',
        message: `connection "${this.connectionId}" needs re-authorization (${this.status.reauthReason ?? 'credentials rejected'})`,
      };
    }
    return undefined;
  }

  /** A refusal, or a token that is missing or already expired. */
  unusable(now: number): Refusal | undefined {
    const refused = this.refusal();
    if (refused) return refused;
    if (!this.isStatic && (!this.secrets.accessToken || this.expiresWithin(0, now))) {
      return {
        code: 'refresh_failed',
        message: `connection "${this.connectionId}" has no valid token: ${this.status.lastError?.message ?? 'refresh failed'}`,
      };
    }
    return undefined;
  }

  /**
   * Whether the token about to be served has already run out although nothing failed and a refresh can
   * replace it: a refresh whose answer reached the workflow only after the token it brought had expired (its
   * workflow task waited for a worker that had died), or a caller from an older revision after the token ran
   * out. One more refresh serves the caller; answering "no valid token" would not. After a failed refresh
   * (`retryAt`) the failure is served instead, so a failing provider is not asked on every call.
   */
  servesExpiredToken(now: number): boolean {
    return (
      this.status.state === 'active' &&
      !this.isStatic &&
      this.hasGrant() &&
      this.retryAt === undefined &&
      (!this.secrets.accessToken || this.expiresWithin(0, now))
    );
  }

  /** The decision behind `getFreshToken` (callers from before `renewCredentials`). */
  freshTokenWantsRefresh(request: FreshTokenRequest, now: number): boolean {
    if (request.rejectedHeaderValue !== undefined)
      return request.rejectedHeaderValue === this.currentHeaderValue();
    return (
      !this.secrets.accessToken || this.expiresWithin(this.staleThreshold(request.minValidityMs ?? 0), now)
    );
  }

  /**
   * Whether a renew request calls for a token request. A caller that holds an older revision than the
   * current one is answered with the current credentials: someone else already renewed them.
   */
  renewWantsRefresh(request: RenewRequest, now: number): boolean {
    if (this.isStatic || !this.hasGrant()) return false;
    if (request.seenRevision < this.revision) return false;
    if (request.reason === 'rejected') {
      return (
        request.rejectedHeaderValue === undefined || request.rejectedHeaderValue === this.currentHeaderValue()
      );
    }
    return (
      !this.secrets.accessToken || this.expiresWithin(this.staleThreshold(request.minValidityMs ?? 0), now)
    );
  }

  private bump(): void {
    this.status.revision = this.revision + 1;
  }

  /** Moves to `state`; answers whether the search attribute must change. */
  setState(state: ConnectionState): boolean {
    const changed = this.status.state !== state;
    if (changed) this.bump();
    this.status.state = state;
    this.syncExpiry();
    return changed;
  }

  /**
   * Stores a token endpoint's answer. A rotated refresh token replaces the old one here, before anything else
   * can fail: the old one may already be void at the provider.
   */
  applyToken(result: TokenGrantResult, now: number): void {
    this.secrets.accessToken = result.accessToken;
    this.secrets.tokenType = result.tokenType;
    this.secrets.expiresAt = result.expiresAt;
    if (result.refreshToken) this.secrets.refreshToken = result.refreshToken;
    if (result.scopes) this.status.scopes = result.scopes;
    if (result.apiBaseUrl) this.status.apiBaseUrl = result.apiBaseUrl;
    this.status.refreshCount += 1;
    this.status.lastRefreshAt = new Date(now).toISOString();
    this.status.lastError = undefined;
    this.retryAt = undefined;
    this.bump();
  }

  /** Records a failed refresh: `needs_reauth` when no retry can fix it, else a retry later. */
  applyRefreshFailure(failure: Failure, now: number): 'needs_reauth' | 'retry_later' {
    this.status.lastError = failure;
    this.bump();
    if (NEEDS_REAUTH.has(failure.code)) {
      this.status.reauthReason = failure.code;
      return 'needs_reauth';
    }
    this.retryAt = now + RETRY_AFTER_FAILURE_MS;
    return 'retry_later';
  }

  /** New credentials from a completed authorization (a reconnect). */
  applyReauthorization(fresh: ConnectionSecrets, scopes: string[], now: number): void {
    Object.assign(this.secrets, {
      accessToken: fresh.accessToken,
      refreshToken: fresh.refreshToken,
      expiresAt: fresh.expiresAt,
      tokenType: fresh.tokenType,
    });
    this.status.scopes = scopes;
    this.status.lastRefreshAt = new Date(now).toISOString();
    this.status.lastError = undefined;
    this.status.reauthReason = undefined;
    this.retryAt = undefined;
    this.bump();
  }

  /**
   * When the timer should refresh next, or undefined to wait for a request. The margin stays under half the
   * token's lifetime and the timer never fires sooner than the floor interval after the last refresh: with
   * the margin alone, a provider whose tokens live shorter than its margin was refreshed about once a second
   * forever.
   */
  nextRefreshAt(now: number): number | undefined {
    if (this.retryAt !== undefined && this.status.state !== 'needs_reauth') return this.retryAt;
    if (this.status.state !== 'active' || !this.hasGrant()) return undefined;
    const { timing } = this.input;
    const last = this.status.lastRefreshAt ? Date.parse(this.status.lastRefreshAt) : now;
    const candidates: number[] = [];
    if (this.secrets.expiresAt !== undefined) {
      const lifetime = this.lifetimeMs();
      const margin =
        lifetime !== undefined ? Math.min(timing.refreshMarginMs, lifetime / 2) : timing.refreshMarginMs;
      candidates.push(this.secrets.expiresAt - margin);
    }
    if (timing.idleRefreshMs !== undefined) candidates.push(last + timing.idleRefreshMs);
    if (candidates.length === 0) return undefined;
    return Math.max(
      Math.min(...candidates),
      last + (timing.minRefreshIntervalMs ?? DEFAULT_MIN_REFRESH_INTERVAL_MS),
    );
  }

  /** The next run's input: credentials, scopes and status carried across continue-as-new. */
  continuation(): ConnectionWorkflowInput {
    const { connectionId: _c, providerId: _p, mode: _m, ...carried } = this.status;
    return {
      ...this.input,
      secrets: this.secrets,
      scopes: this.status.scopes,
      apiBaseUrl: this.status.apiBaseUrl,
      status: carried,
    };
  }

  /** Forgets every secret (after revocation, at delete). */
  wipeSecrets(): void {
    for (const key of Object.keys(this.secrets) as Array<keyof ConnectionSecrets>) delete this.secrets[key];
  }
}
