import { createHash } from 'node:crypto';
import { HttpError } from '../errors';
import { loadJose } from './lib';

/** How long a `state` (and its pending authorization) is honoured. */
export const STATE_TTL_MS = 10 * 60 * 1000;

export interface StateClaims {
  stateId: string;
  connectionId: string;
  providerId: string;
}

const AUDIENCE = 'junction:oauth-state';

function keyBytes(secret: string | Uint8Array): Uint8Array {
  // HS256 wants 32 bytes; hashing also separates this use from any other use of the same secret.
  return createHash('sha256').update('junction oauth state\0').update(secret).digest();
}

/**
 * Signs the OAuth `state` (RFC 6749 §10.12) as a compact HS256 JWT (jose) carrying the pending authorization's
 * id and an expiry. Single use is enforced by the pending authorization workflow, which accepts one callback.
 */
export async function signState(
  claims: StateClaims,
  secret: string | Uint8Array,
  now: number,
): Promise<string> {
  const jose = await loadJose();
  const seconds = Math.floor(now / 1000);
  return new jose.SignJWT({ cid: claims.connectionId, pid: claims.providerId })
    .setProtectedHeader({ alg: 'HS256' })
    .setJti(claims.stateId)
    .setAudience(AUDIENCE)
    .setIssuedAt(seconds)
    .setExpirationTime(seconds + STATE_TTL_MS / 1000)
    .sign(keyBytes(secret));
}

/** Verifies a `state`: signature, audience and expiry. Throws 400 `invalid_state` or `state_expired`. */
export async function verifyState(
  state: string,
  secret: string | Uint8Array,
  now: number,
): Promise<StateClaims> {
  const jose = await loadJose();
  try {
    const { payload } = await jose.jwtVerify(state, keyBytes(secret), {
      algorithms: ['HS256'],
      audience: AUDIENCE,
      currentDate: new Date(now),
      clockTolerance: 0,
    });
    if (
      typeof payload.jti !== 'string' ||
      typeof payload.cid !== 'string' ||
      typeof payload.pid !== 'string'
    ) {
      throw new Error('incomplete state');
    }
    return { stateId: payload.jti, connectionId: payload.cid, providerId: payload.pid };
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_JWT_EXPIRED') {
      throw new HttpError(
        400,
        'state_expired',
        'the authorization took longer than 10 minutes; start again',
        {
          cause: error,
        },
      );
    }
    throw new HttpError(400, 'invalid_state', 'the state parameter is missing, forged or altered', {
      cause: error,
    });
  }
}
