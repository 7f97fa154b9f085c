import type {
  AuthorizationCallback,
  AuthorizationInput,
  AuthorizationOutcome,
  CodeExchangeInput,
  InstallConnectionInput,
  TokenGrantResult,
} from '../shared/connectionContract';
import { OAuthError } from '../shared/errors';
import { readFailure } from '../shared/failures';

/** The OAuth error to send the browser back with (RFC 6749 §4.1.2.1): the provider's, or Junction's code. */
export function browserError(error: unknown): { error: string; description?: string } {
  const failure = readFailure(error, 'authorization_failed');
  const { oauthError, description } = failure.details;
  return {
    error:
      typeof oauthError === 'string'
        ? oauthError
        : failure.code === 'activity_timeout'
          ? 'server_error'
          : failure.code,
    description: typeof description === 'string' ? description : undefined,
  };
}

/**
 * One pending authorization-code flow and its decisions, free of Temporal: whether a callback is accepted,
 * what the code exchange and the installed connection are given, and the outcome the browser is sent back
 * with. Every method that needs the time takes it as an argument.
 */
export class AuthorizationModel {
  private received: AuthorizationCallback | undefined;
  private result: AuthorizationOutcome | undefined;

  constructor(private readonly input: AuthorizationInput) {}

  /** The provider's callback, once it came. */
  get callback(): AuthorizationCallback | undefined {
    return this.received;
  }

  /** How the flow ended, once it did. */
  get outcome(): AuthorizationOutcome | undefined {
    return this.result;
  }

  /** Why a callback is refused at `now`: one was accepted already, or the authorization expired. */
  refusal(now: number): OAuthError | undefined {
    if (this.received !== undefined) {
      return new OAuthError('state_used', 'this authorization was already completed');
    }
    if (now > this.input.expiresAt) return new OAuthError('state_expired', 'this authorization expired');
    return undefined;
  }

  /** Takes the provider's callback (the update's validator refused any after the first). */
  receive(callback: AuthorizationCallback): void {
    this.received = callback;
  }

  /** How long to wait at `now` for the callback before the flow expires (a timer needs at least 1 ms). */
  callbackWaitMs(now: number): number {
    return Math.max(this.input.expiresAt - now, 1);
  }

  /** The code exchange for the callback received, with the PKCE verifier this flow holds. */
  exchangeInput(): CodeExchangeInput {
    if (this.received === undefined) throw new Error('no callback was received');
    return {
      providerId: this.input.providerId,
      callbackQuery: this.received.query,
      stateId: this.input.stateId,
      redirectUri: this.input.redirectUri,
      codeVerifier: this.input.codeVerifier,
      // Only set for providers with connection parameters: runs from before them replay unchanged.
      ...(this.input.params ? { params: this.input.params } : {}),
    };
  }

  /** The connection the exchanged tokens install: the provider's scopes and API base when it sent them. */
  installInput(tokens: TokenGrantResult, taskQueue: string): InstallConnectionInput {
    const { input } = this;
    return {
      taskQueue,
      connection: {
        connectionId: input.connectionId,
        providerId: input.providerId,
        mode: 'oauth2',
        scopes: tokens.scopes ?? input.scopes,
        secrets: {
          accessToken: tokens.accessToken,
          refreshToken: tokens.refreshToken,
          expiresAt: tokens.expiresAt,
          tokenType: tokens.tokenType,
          ...(input.params ? { params: input.params } : {}),
        },
        timing: input.timing,
        headerShape: input.headerShape,
        apiBaseUrl: tokens.apiBaseUrl ?? input.apiBaseUrl,
      },
    };
  }

  /** The connection is installed: the browser goes back to `returnTo`. */
  connected(): AuthorizationOutcome {
    this.result = {
      status: 'connected',
      connectionId: this.input.connectionId,
      returnTo: this.input.returnTo,
    };
    return this.result;
  }

  /** The flow failed with `error` (from the exchange or the install). */
  failed(error: unknown): AuthorizationOutcome {
    this.result = {
      status: 'failed',
      connectionId: this.input.connectionId,
      returnTo: this.input.returnTo,
      ...browserError(error),
    };
    return this.result;
  }
}
