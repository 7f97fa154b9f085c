import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import formbody from '@fastify/formbody';
import type { PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AuthError, RequestError } from '../../shared/errors';
import { bearerToken, matchesAnyKey } from '../auth/bearer';
import { sendError } from '../errors';
import { COMMON_CODES, errorResponses } from '../schemas';

export interface CodecRouteDeps {
  codec: PayloadCodec;
  operatorTokens: readonly string[];
  /** The Temporal UI origin allowed by CORS; without it no browser origin is allowed. */
  uiOrigin: string | undefined;
  /**
   * Keys that sign the sign-in cookie, the current one first (older ones still verify): derived from the codec
   * keys, so every Junction server of a deployment honours the same sessions and a key rotation rotates them.
   */
  cookieSecrets: Buffer[];
  now: () => number;
}

const SESSION_COOKIE = 'junction_codec';
const SESSION_SECONDS = 8 * 3600;

/** A Payload of Temporal's remote codec protocol, in proto3 JSON (bytes as base64). */
const payload = z.object({
  metadata: z.record(z.string(), z.string()).optional().describe('metadata values, base64'),
  data: z.string().optional().describe('base64'),
});
/** Proto3 JSON omits an empty repeated field, so `{}` is an empty list: the Go SDK (temporal CLI) sends that. */
const payloads = z.object({ payloads: z.array(payload).optional() });

function toProto(body: z.infer<typeof payloads>): temporal.api.common.v1.IPayload[] {
  try {
    return temporal.api.common.v1.Payloads.fromObject({ payloads: body.payloads ?? [] }).payloads;
  } catch (error) {
    throw new RequestError('malformed_body', 'payloads must be {metadata: {k: base64}, data: base64}', {
      cause: error,
    });
  }
}

function toJson(list: temporal.api.common.v1.IPayload[]) {
  const json = temporal.api.common.v1.Payloads.toObject(
    temporal.api.common.v1.Payloads.create({ payloads: list }),
    {
      bytes: String,
    },
  );
  // `payloads` always present, even when empty (browser clients read it without a default); nested empty
  // fields stay omitted, since older protojson readers (the Go SDK) refuse fields they do not know.
  return { payloads: (json.payloads as z.infer<typeof payload>[] | undefined) ?? [] };
}

/**
 * The Temporal UI's remote codec (`/codec/encode`, `/codec/decode`): decrypted payloads only for operators.
 * An operator authenticates with `Authorization: Bearer <operator token>` (the temporal CLI's `--codec-auth`)
 * or with the signed session cookie `/codec/login` sets (the UI, with "include cross-origin credentials" on).
 * CORS admits only the configured UI origin; any other browser origin is refused outright.
 */
export function registerCodecRoutes(app: FastifyInstance, deps: CodecRouteDeps) {
  const uiOrigin = deps.uiOrigin ? new URL(deps.uiOrigin).origin : undefined;

  void app.register(async (scope) => {
    await scope.register(cookie, { secret: deps.cookieSecrets });
    await scope.register(formbody, { bodyLimit: 4096 });

    const signedIn = (request: FastifyRequest) => {
      const raw = request.cookies[SESSION_COOKIE];
      if (!raw) return false;
      const unsigned = request.unsignCookie(raw);
      return unsigned.valid && Number(unsigned.value) >= deps.now() / 1000;
    };
    const authorised = (request: FastifyRequest) => {
      const token = bearerToken(request);
      if (token !== undefined) return matchesAnyKey(token, deps.operatorTokens);
      return signedIn(request);
    };

    // The codec endpoints themselves: CORS for the UI origin only; any other browser origin is refused
    // outright, so a page elsewhere cannot use an operator's session.
    await scope.register(async (codecScope) => {
      codecScope.addHook('onRequest', async (request, reply) => {
        const origin = request.headers.origin;
        if (origin !== undefined && origin !== uiOrigin) {
          return sendError(reply, new AuthError('unauthorized', 'this origin may not call the codec'), {
            status: 403,
          });
        }
      });
      await codecScope.register(cors, {
        origin: uiOrigin ? [uiOrigin] : false,
        credentials: true,
        methods: ['POST', 'OPTIONS'],
        allowedHeaders: ['content-type', 'x-namespace', 'authorization'],
        maxAge: 600,
      });
      const routes = codecScope.withTypeProvider<ZodTypeProvider>();
      for (const action of ['encode', 'decode'] as const) {
        const url = `/codec/${action}`;
        routes.post(
          url,
          {
            config: { validationCode: 'malformed_body' },
            schema: {
              tags: ['codec'],
              security: [{ operatorToken: [] }, { codecSession: [] }],
              summary: `${action === 'encode' ? 'Encrypt' : 'Decrypt'} payloads (Temporal's remote codec protocol)`,
              body: payloads,
              response: {
                200: payloads,
                ...errorResponses({ method: 'POST', url }, [
                  ...COMMON_CODES,
                  'unauthorized',
                  'codec_key_unknown',
                  'codec_decrypt_failed',
                ]),
              },
            },
          },
          async (request, reply) => {
            if (!authorised(request)) {
              return sendError(
                reply,
                new AuthError(
                  'unauthorized',
                  'operator authentication required (bearer token or /codec/login)',
                ),
              );
            }
            const list = toProto(request.body);
            request.logFields.payloads = list.length;
            const result =
              action === 'encode' ? await deps.codec.encode(list) : await deps.codec.decode(list);
            return reply.send(toJson(result));
          },
        );
      }
    });

    const routes = scope.withTypeProvider<ZodTypeProvider>();
    const html = { description: 'an HTML page', content: { 'text/html': { schema: z.string() } } };
    routes.get(
      '/codec/login',
      { schema: { tags: ['codec'], summary: 'The operator sign-in page', response: { 200: html } } },
      async (_request, reply) =>
        reply
          .type('text/html; charset=utf-8')
          .send(
            '<!doctype html><title>Junction codec sign-in</title><form method="post" action="/codec/login">' +
              '<label>Operator token <input type="password" name="token" autocomplete="off"></label>' +
              '<button type="submit">Sign in</button></form>',
          ),
    );

    routes.post(
      '/codec/login',
      {
        schema: {
          tags: ['codec'],
          summary: 'Sign in with an operator token: sets the session cookie the Temporal UI sends',
          consumes: ['application/x-www-form-urlencoded'],
          body: z.object({ token: z.string().optional() }).default({}),
          response: {
            200: html,
            ...errorResponses({ method: 'POST', url: '/codec/login' }, [...COMMON_CODES, 'unauthorized']),
          },
        },
      },
      async (request, reply) => {
        const token = request.body.token;
        if (token === undefined || !matchesAnyKey(token, deps.operatorTokens)) {
          return sendError(reply, new AuthError('unauthorized', 'that is not an operator token'));
        }
        const expires = Math.floor(deps.now() / 1000) + SESSION_SECONDS;
        return reply
          .setCookie(SESSION_COOKIE, String(expires), {
            signed: true,
            path: '/codec',
            httpOnly: true,
            sameSite: 'strict',
            maxAge: SESSION_SECONDS,
          })
          .type('text/html; charset=utf-8')
          .send('<!doctype html><p>Signed in: the Temporal UI can now decode payloads.</p>');
      },
    );
  });
}
