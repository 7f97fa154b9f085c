import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken, matchesAnyKey } from './bearer';

/** The signed cookie `/codec/login` sets: its value is the session's expiry, in Unix seconds. */
const SESSION_COOKIE = 'junction_codec';
const SESSION_SECONDS = 8 * 3600;

export interface OperatorCheck {
  operatorTokens: readonly string[];
  now: () => number;
  /**
   * `junction dev` on loopback: a caller without credentials is let in (the origin check has already refused
   * other browser origins). A bearer token, when sent, must still be an operator token.
   */
  openLocally?: boolean;
}

/** Whether the request carries an unexpired session cookie signed with one of the cookie keys. */
export function hasCodecSession(request: FastifyRequest, now: () => number): boolean {
  const raw = request.cookies[SESSION_COOKIE];
  if (!raw) return false;
  const unsigned = request.unsignCookie(raw);
  return unsigned.valid && Number(unsigned.value) >= now() / 1000;
}

/** Whether an operator is calling: a bearer operator token (the temporal CLI) or else a session cookie (the UI). */
export function isOperator(request: FastifyRequest, check: OperatorCheck): boolean {
  const token = bearerToken(request);
  if (token !== undefined) return matchesAnyKey(token, check.operatorTokens);
  return check.openLocally === true || hasCodecSession(request, check.now);
}

/** Sets the signed session cookie, good for the codec paths only, for eight hours. */
export function startCodecSession(reply: FastifyReply, now: () => number): FastifyReply {
  const expires = Math.floor(now() / 1000) + SESSION_SECONDS;
  return reply.setCookie(SESSION_COOKIE, String(expires), {
    signed: true,
    path: '/codec',
    httpOnly: true,
    sameSite: 'strict',
    maxAge: SESSION_SECONDS,
  });
}
