import { OAuthError } from '../shared/errors';
import { signPurposeJwt, verifyPurposeJwt, type JwtPurpose } from './signedJwt';

/** How long a `state` (and its pending authorization) is honoured. */
export const STATE_TTL_MS = 10 * 60 * 1000;

export interface StateClaims {
  stateId: string;
  connectionId: string;
  providerId: string;
}

const STATE: JwtPurpose = { keyLabel: 'junction oauth state', audience: 'junction:oauth-state' };

/**
 * Signs the OAuth `state` (RFC 6749 §10.12) as a compact HS256 JWT (jose) carrying the pending authorization's
 * id and an expiry. Single use is enforced by the pending authorization workflow, which accepts one callback.
 */
export async function signState(
  claims: StateClaims,
  secret: string | Uint8Array,
  now: number,
): Promise<string> {
  return signPurposeJwt(
    STATE,
    { cid: claims.connectionId, pid: claims.providerId },
    { jti: claims.stateId, ttlMs: STATE_TTL_MS },
    secret,
    now,
  );
}

/** Verifies a `state`: signature, audience and expiry. Throws 400 `invalid_state` or `state_expired`. */
export async function verifyState(
  state: string,
  secret: string | Uint8Array,
  now: number,
): Promise<StateClaims> {
  const verified = await verifyPurposeJwt(STATE, state, secret, now);
  if ('refusal' in verified) {
    if (verified.refusal === 'expired') {
      throw new OAuthError('state_expired', 'the authorization took longer than 10 minutes; start again', {
        cause: verified.cause,
      });
    }
    throw new OAuthError('invalid_state', 'the state parameter is missing, forged or altered', {
      cause: verified.cause,
    });
  }
  const { jti, cid, pid } = verified.payload;
  if (typeof jti !== 'string' || typeof cid !== 'string' || typeof pid !== 'string') {
    throw new OAuthError('invalid_state', 'the state parameter is missing, forged or altered');
  }
  return { stateId: jti, connectionId: cid, providerId: pid };
}
