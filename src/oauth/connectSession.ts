import { OAuthError } from '../shared/errors';
import { signPurposeJwt, verifyPurposeJwt, type JwtPurpose } from './signedJwt';

/** How long a connect link may wait before the person opens it. */
export const CONNECT_SESSION_TTL_MS = 10 * 60 * 1000;

/**
 * What a connect session allows: exactly one authorization-code flow for this provider, this connection id
 * and this `returnTo`. The application asks for one (admin-authenticated) and hands the link to its user.
 */
export interface ConnectSessionClaims {
  /** Also the id of the pending authorization it starts, which is what makes the session single use. */
  sessionId: string;
  providerId: string;
  connectionId: string;
  returnTo: string;
  /** Scopes to ask for; the provider's defaults when absent. */
  scopes?: string[];
  /** The connection's parameters (`{shop}`…), validated when the session was issued. */
  params?: Record<string, string>;
}

const CONNECT_SESSION: JwtPurpose = {
  keyLabel: 'junction connect session',
  audience: 'junction:connect-session',
};

/** Signs a connect session (HS256 JWT, jose) valid for ten minutes from `now`. */
export async function signConnectSession(
  claims: ConnectSessionClaims,
  secret: string | Uint8Array,
  now: number,
): Promise<string> {
  return signPurposeJwt(
    CONNECT_SESSION,
    {
      pid: claims.providerId,
      cid: claims.connectionId,
      rt: claims.returnTo,
      ...(claims.scopes ? { scp: claims.scopes } : {}),
      ...(claims.params ? { prm: claims.params } : {}),
    },
    { jti: claims.sessionId, ttlMs: CONNECT_SESSION_TTL_MS },
    secret,
    now,
  );
}

const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((entry) => typeof entry === 'string');

const isStringRecord = (value: unknown): value is Record<string, string> =>
  value !== null &&
  typeof value === 'object' &&
  !Array.isArray(value) &&
  Object.values(value).every((entry) => typeof entry === 'string');

/**
 * Verifies a connect session's signature, audience and expiry. Throws 401 `connect_session_required`,
 * `invalid_connect_session` or `connect_session_expired`; whether it matches the request is the caller's check.
 */
export async function verifyConnectSession(
  token: string | undefined,
  secret: string | Uint8Array,
  now: number,
): Promise<ConnectSessionClaims> {
  const ask = 'ask the application for a new connect link (POST /connect/sessions)';
  if (!token) {
    throw new OAuthError('connect_session_required', `this link carries no connect session; ${ask}`);
  }
  const verified = await verifyPurposeJwt(CONNECT_SESSION, token, secret, now);
  if ('refusal' in verified) {
    if (verified.refusal === 'expired') {
      throw new OAuthError('connect_session_expired', `this connect link has expired; ${ask}`, {
        cause: verified.cause,
      });
    }
    throw new OAuthError('invalid_connect_session', `the connect session is forged or altered; ${ask}`, {
      cause: verified.cause,
    });
  }
  const { jti, pid, cid, rt, scp, prm } = verified.payload;
  if (
    typeof jti !== 'string' ||
    typeof pid !== 'string' ||
    typeof cid !== 'string' ||
    typeof rt !== 'string' ||
    (scp !== undefined && !isStringList(scp)) ||
    (prm !== undefined && !isStringRecord(prm))
  ) {
    throw new OAuthError('invalid_connect_session', `the connect session is incomplete; ${ask}`);
  }
  return { sessionId: jti, providerId: pid, connectionId: cid, returnTo: rt, scopes: scp, params: prm };
}
