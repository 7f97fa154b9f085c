import { randomUUID } from 'node:crypto';
import { signPurposeJwt, verifyPurposeJwt, type JwtPurpose } from '../oauth/signedJwt';

/**
 * Connection-scoped access tokens: what an application gives a component (a browser app, a job, a
 * customer's own script) that may run actions for one connection and nothing else. HS256 JWTs (RFC 7519,
 * jose) with a key derived for this purpose only; stateless, so deleting the connection is what ends them.
 */
const CONNECTION_TOKEN: JwtPurpose = {
  keyLabel: 'junction connection token',
  audience: 'junction:connection',
};

/** Longest lifetime an admin may give a connection token. */
export const MAX_CONNECTION_TOKEN_TTL_MS = 30 * 24 * 60 * 60 * 1_000;

export async function signConnectionToken(
  connectionId: string,
  ttlMs: number,
  secret: string | Uint8Array,
  now: number,
): Promise<{ token: string; expiresAt: string }> {
  const token = await signPurposeJwt(
    CONNECTION_TOKEN,
    { cid: connectionId, scope: 'actions' },
    { jti: randomUUID(), ttlMs },
    secret,
    now,
  );
  return {
    token,
    expiresAt: new Date(Math.floor(now / 1000) * 1000 + Math.floor(ttlMs / 1000) * 1000).toISOString(),
  };
}

/** The connection a token is for, or undefined when it is not a valid, unexpired connection token. */
export async function verifyConnectionToken(
  token: string,
  secret: string | Uint8Array,
  now: number,
): Promise<string | undefined> {
  const verified = await verifyPurposeJwt(CONNECTION_TOKEN, token, secret, now);
  if (!('payload' in verified)) return undefined;
  const { cid, scope } = verified.payload as { cid?: unknown; scope?: unknown };
  return typeof cid === 'string' && scope === 'actions' ? cid : undefined;
}
