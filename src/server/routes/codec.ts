import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import formbody from '@fastify/formbody';
import type { PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AuthError, RequestError } from '../../shared/errors';
import { matchesAnyKey } from '../auth/bearer';
import { isOperator, startCodecSession } from '../auth/codecSession';
import { sendError } from '../errors';
import { CODEC_SECURITY, COMMON_CODES, errorResponses } from '../schemas';

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
  /** `junction dev` on loopback: the UI (and local tools) decode without signing in. */
  openLocally?: boolean;
}

type CodecAction = 'encode' | 'decode';

/** A Payload of Temporal's remote codec protocol, in proto3 JSON (bytes as base64). */
const payload = z.object({
  metadata: z.record(z.string(), z.string()).optional().describe('metadata values, base64'),
  data: z.string().optional().describe('base64'),
});
/** Proto3 JSON omits an empty repeated field, so `{}` is an empty list: the Go SDK (temporal CLI) sends that. */
const payloads = z.object({ payloads: z.array(payload).optional() });

function codecSchema(action: CodecAction) {
  return {
    tags: ['codec'],
    security: CODEC_SECURITY,
    summary: `${action === 'encode' ? 'Encrypt' : 'Decrypt'} payloads (Temporal's remote codec protocol)`,
    body: payloads,
    response: {
      200: payloads,
      ...errorResponses({ method: 'POST', url: `/codec/${action}` }, [
        ...COMMON_CODES,
        'unauthorized',
        'codec_key_unknown',
        'codec_decrypt_failed',
      ]),
    },
  };
}
const codecSchemas = { encode: codecSchema('encode'), decode: codecSchema('decode') };

const html = { description: 'an HTML page', content: { 'text/html': { schema: z.string() } } };
const loginPageSchema = { tags: ['codec'], summary: 'The operator sign-in page', response: { 200: html } };
const loginSchema = {
  tags: ['codec'],
  summary: 'Sign in with an operator token: sets the session cookie the Temporal UI sends',
  consumes: ['application/x-www-form-urlencoded'],
  body: z.object({ token: z.string().optional() }).default({}),
  response: {
    200: html,
    ...errorResponses({ method: 'POST', url: '/codec/login' }, [...COMMON_CODES, 'unauthorized']),
  },
};

const LOGIN_PAGE =
  '<!doctype html><title>Junction codec sign-in</title><form method="post" action="/codec/login">' +
  '<label>Operator token <input type="password" name="token" autocomplete="off"></label>' +
  '<button type="submit">Sign in</button></form>';
const SIGNED_IN_PAGE = '<!doctype html><p>Signed in: the Temporal UI can now decode payloads.</p>';

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

/** Refuses any browser origin but the UI's outright, so a page elsewhere cannot use an operator's session. */
function refuseOtherOrigins(uiOrigin: string | undefined) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== uiOrigin) {
      return sendError(reply, new AuthError('unauthorized', 'this origin may not call the codec'), {
        status: 403,
      });
    }
  };
}

function registerCodecEndpoint(scope: FastifyInstance, action: CodecAction, deps: CodecRouteDeps) {
  scope
    .withTypeProvider<ZodTypeProvider>()
    .post(
      `/codec/${action}`,
      { config: { validationCode: 'malformed_body' }, schema: codecSchemas[action] },
      async (request, reply) => {
        if (!isOperator(request, deps)) {
          throw new AuthError(
            'unauthorized',
            'operator authentication required (bearer token or /codec/login)',
          );
        }
        const list = toProto(request.body);
        request.logFields.payloads = list.length;
        const result = action === 'encode' ? await deps.codec.encode(list) : await deps.codec.decode(list);
        return reply.send(toJson(result));
      },
    );
}

/** The codec endpoints themselves, behind the origin check and CORS for the UI origin only. */
async function registerCodecEndpoints(scope: FastifyInstance, deps: CodecRouteDeps, uiOrigin?: string) {
  scope.addHook('onRequest', refuseOtherOrigins(uiOrigin));
  await scope.register(cors, {
    origin: uiOrigin ? [uiOrigin] : false,
    credentials: true,
    methods: ['POST', 'OPTIONS'],
    allowedHeaders: ['content-type', 'x-namespace', 'authorization'],
    maxAge: 600,
  });
  registerCodecEndpoint(scope, 'encode', deps);
  registerCodecEndpoint(scope, 'decode', deps);
}

function registerLoginRoutes(scope: FastifyInstance, deps: CodecRouteDeps) {
  const routes = scope.withTypeProvider<ZodTypeProvider>();
  routes.get('/codec/login', { schema: loginPageSchema }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(LOGIN_PAGE),
  );
  routes.post('/codec/login', { schema: loginSchema }, async (request, reply) => {
    const token = request.body.token;
    if (token === undefined || !matchesAnyKey(token, deps.operatorTokens)) {
      throw new AuthError('unauthorized', 'that is not an operator token');
    }
    return startCodecSession(reply, deps.now).type('text/html; charset=utf-8').send(SIGNED_IN_PAGE);
  });
}

/**
 * The Temporal UI's remote codec (`/codec/encode`, `/codec/decode`): decrypted payloads only for operators.
 * An operator authenticates with `Authorization: Bearer <operator token>` (the temporal CLI's `--codec-auth`)
 * or with the signed session cookie `/codec/login` sets (the UI, with "include cross-origin credentials" on).
 * CORS admits only the configured UI origin; any other browser origin is refused outright. Under
 * `junction dev` on loopback (`openLocally`) no sign-in is needed: the codec key sits in a file any local
 * process can read, so a token would protect nothing there.
 */
export function registerCodecRoutes(app: FastifyInstance, deps: CodecRouteDeps) {
  const uiOrigin = deps.uiOrigin ? new URL(deps.uiOrigin).origin : undefined;
  void app.register(async (scope) => {
    await scope.register(cookie, { secret: deps.cookieSecrets });
    await scope.register(formbody, { bodyLimit: 4096 });
    await scope.register(async (codecScope) => registerCodecEndpoints(codecScope, deps, uiOrigin));
    registerLoginRoutes(scope, deps);
  });
}
