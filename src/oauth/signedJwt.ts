import { createHash } from 'node:crypto';
import type { JWTPayload } from 'jose' with { 'resolution-mode': 'import' };
import { loadJose } from './lib';

/**
 * Short-lived HS256 JWTs (RFC 7519, signed with jose) that Junction hands out and later reads back itself:
 * the OAuth `state` and connect sessions. Each use has its own purpose: a key derived for it and an
 * audience naming it, so a token made for one use is refused by every other.
 */
export interface JwtPurpose {
  /** Separates the derived key of this use from every other use of the same secret. */
  keyLabel: string;
  audience: string;
}

function keyBytes(purpose: JwtPurpose, secret: string | Uint8Array): Uint8Array {
  // HS256 wants 32 bytes; hashing with the label also separates this use from any other use of the secret.
  return createHash('sha256').update(`${purpose.keyLabel}\0`).update(secret).digest();
}

/** Signs `claims` with a token id and a lifetime of `ttlMs` from `now`. */
export async function signPurposeJwt(
  purpose: JwtPurpose,
  claims: Record<string, unknown>,
  options: { jti: string; ttlMs: number },
  secret: string | Uint8Array,
  now: number,
): Promise<string> {
  const jose = await loadJose();
  const seconds = Math.floor(now / 1000);
  return new jose.SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setJti(options.jti)
    .setAudience(purpose.audience)
    .setIssuedAt(seconds)
    .setExpirationTime(seconds + Math.floor(options.ttlMs / 1000))
    .sign(keyBytes(purpose, secret));
}

/** Why a token was refused: its signature, shape or audience is wrong, or it has expired. */
export type JwtRefusal = 'invalid' | 'expired';

/** Verifies signature, audience and expiry (no clock tolerance); resolves the claims or the refusal. */
export async function verifyPurposeJwt(
  purpose: JwtPurpose,
  token: string,
  secret: string | Uint8Array,
  now: number,
): Promise<{ payload: JWTPayload } | { refusal: JwtRefusal; cause: unknown }> {
  const jose = await loadJose();
  try {
    const { payload } = await jose.jwtVerify(token, keyBytes(purpose, secret), {
      algorithms: ['HS256'],
      audience: purpose.audience,
      currentDate: new Date(now),
      clockTolerance: 0,
    });
    return { payload };
  } catch (error) {
    return { refusal: error instanceof jose.errors.JWTExpired ? 'expired' : 'invalid', cause: error };
  }
}
