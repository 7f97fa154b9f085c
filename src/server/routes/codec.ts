import { createHmac, randomBytes } from 'node:crypto';
import type { PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuthError, RequestError } from '../../shared/errors';
import { bearerToken, matchesAnyKey } from '../auth/bearer';
import { sendError } from '../errors';

export interface CodecRouteDeps {
  codec: PayloadCodec;
  operatorTokens: readonly string[];
  /** The Temporal UI origin allowed by CORS; without it no browser origin is allowed. */
  uiOrigin: string | undefined;
  now: () => number;
}

const SESSION_COOKIE = 'junction_codec';
const SESSION_SECONDS = 8 * 3600;

type JsonPayloads = { payloads?: unknown };

/**
 * The Payloads JSON of Temporal's remote codec protocol (proto3 JSON: bytes as base64). Proto3 JSON omits an
 * empty repeated field, so `{}` is an empty list: the Go SDK (the temporal CLI) sends exactly that.
 */
function parsePayloads(body: unknown): temporal.api.common.v1.IPayload[] {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new RequestError('malformed_body', 'expected {"payloads": [...]}');
  const raw = (body as JsonPayloads).payloads ?? [];
  if (!Array.isArray(raw)) throw new RequestError('malformed_body', 'expected {"payloads": [...]}');
  try {
    return temporal.api.common.v1.Payloads.fromObject({ payloads: raw }).payloads;
  } catch (error) {
    throw new RequestError('malformed_body', 'payloads must be {metadata: {k: base64}, data: base64}', {
      cause: error,
    });
  }
}

function toJson(payloads: temporal.api.common.v1.IPayload[]) {
  const json = temporal.api.common.v1.Payloads.toObject(
    temporal.api.common.v1.Payloads.create({ payloads }),
    {
      bytes: String,
    },
  );
  // `payloads` always present, even when empty (browser clients read it without a default); nested empty
  // fields stay omitted, since older protojson readers (the Go SDK) refuse fields they do not know.
  return { payloads: (json.payloads as unknown[] | undefined) ?? [] };
}

function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

/**
 * The Temporal UI's remote codec (`/codec/encode`, `/codec/decode`): decrypted payloads only for operators.
 * An operator authenticates with `Authorization: Bearer <operator token>` (the temporal CLI's `--codec-auth`)
 * or with the session cookie `/codec/login` sets (the UI, with "include cross-origin credentials" on).
 * CORS admits only the configured UI origin.
 */
export function registerCodecRoutes(app: FastifyInstance, deps: CodecRouteDeps) {
  // Sessions are HMACs of their expiry under a per-process key: a restart signs operators out.
  const sessionKey = randomBytes(32);
  const sign = (expires: number) =>
    createHmac('sha256', sessionKey).update(String(expires)).digest('base64url');
  const sessionValid = (value: string | undefined) => {
    if (!value) return false;
    const [expires, mac] = value.split('.');
    if (!expires || !mac || Number(expires) < deps.now() / 1000) return false;
    return matchesAnyKey(mac, [sign(Number(expires))]);
  };

  const cors = (request: FastifyRequest, reply: FastifyReply): boolean => {
    const origin = request.headers.origin;
    if (origin === undefined) return true;
    if (!deps.uiOrigin || origin !== new URL(deps.uiOrigin).origin) return false;
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-allow-credentials', 'true');
    reply.header('vary', 'Origin');
    return true;
  };

  const authorised = (request: FastifyRequest) => {
    const token = bearerToken(request);
    if (token !== undefined) return matchesAnyKey(token, deps.operatorTokens);
    return sessionValid(readCookie(request, SESSION_COOKIE));
  };

  for (const action of ['encode', 'decode'] as const) {
    const path = `/codec/${action}`;
    app.options(path, async (request, reply) => {
      if (!cors(request, reply)) {
        return sendError(reply, new AuthError('unauthorized', 'this origin may not call the codec'), {
          status: 403,
        });
      }
      return reply
        .header('access-control-allow-methods', 'POST, OPTIONS')
        .header('access-control-allow-headers', 'content-type, x-namespace, authorization')
        .header('access-control-max-age', '600')
        .code(204)
        .send();
    });
    app.post(path, async (request, reply) => {
      if (!cors(request, reply)) {
        return sendError(reply, new AuthError('unauthorized', 'this origin may not call the codec'), {
          status: 403,
        });
      }
      if (!authorised(request)) {
        return sendError(
          reply,
          new AuthError('unauthorized', 'operator authentication required (bearer token or /codec/login)'),
        );
      }
      const payloads = parsePayloads(request.body);
      request.logFields.payloads = payloads.length;
      const result =
        action === 'encode' ? await deps.codec.encode(payloads) : await deps.codec.decode(payloads);
      return reply.send(toJson(result));
    });
  }

  app.get('/codec/login', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .send(
        '<!doctype html><title>Junction codec sign-in</title><form method="post" action="/codec/login">' +
          '<label>Operator token <input type="password" name="token" autocomplete="off"></label>' +
          '<button type="submit">Sign in</button></form>',
      ),
  );

  void app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 4096 },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    scope.post('/codec/login', async (request, reply) => {
      const token = (request.body as { token?: unknown } | undefined)?.token;
      if (typeof token !== 'string' || !matchesAnyKey(token, deps.operatorTokens)) {
        return sendError(reply, new AuthError('unauthorized', 'that is not an operator token'));
      }
      const expires = Math.floor(deps.now() / 1000) + SESSION_SECONDS;
      return reply
        .header(
          'set-cookie',
          `${SESSION_COOKIE}=${expires}.${sign(expires)}; Path=/codec; HttpOnly; SameSite=Strict; Max-Age=${SESSION_SECONDS}`,
        )
        .type('text/html; charset=utf-8')
        .send('<!doctype html><p>Signed in: the Temporal UI can now decode payloads.</p>');
    });
  });
}
