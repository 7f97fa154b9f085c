import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { namespaceNotSetUp } from '../client/errors';
import { JunctionError, RequestError, type CodeOf, type JunctionCode } from '../shared/errors';
import { httpStatus } from './errorStatus';

/** The JSON body of every error answer: a stable code, a message a person can act on, and any details. */
export interface ErrorBody {
  code: JunctionCode;
  message: string;
  [detail: string]: unknown;
}

/**
 * Answers `error` as JSON. The status comes from the one table (`errorStatus.ts`); only server code that
 * answers for itself (authentication hooks, CORS) passes a status or headers of its own. An error that says
 * when to try again gets `Retry-After`.
 */
export function sendError(
  reply: FastifyReply,
  error: JunctionError,
  options: { status?: number; headers?: Record<string, string> } = {},
): FastifyReply {
  const status =
    options.status ??
    httpStatus(error.code, { method: reply.request.method, url: reply.request.routeOptions.url });
  if (error.retryAfterMs !== undefined) {
    reply.header('retry-after', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
  }
  for (const [name, value] of Object.entries(options.headers ?? {})) reply.header(name, value);
  if (status < 500 && reply.request.logFields) {
    const fields = reply.request.logFields;
    Object.assign(fields, { outcome: fields.outcome ?? 'rejected', code: error.code });
  }
  const body: ErrorBody = { ...error.details, code: error.code, message: error.message };
  // Written as is: a route's answer schemas document its errors, but an error they do not list must still be
  // answered with its own code, never turned into a 500 by the serializer.
  return reply.code(status).type('application/json; charset=utf-8').serializer(JSON.stringify).send(body);
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The code a request that fails this route's schema gets (default `bad_request`). */
    validationCode?: CodeOf<'request'>;
  }
}

/**
 * Fastify's own errors (body too large, bad media type, schema validation), and Temporal refusing a call on a
 * namespace not prepared for Junction, in Junction's vocabulary; an unexpected error is `internal_error`.
 */
export function fromFastifyError(error: FastifyError | Error, request?: FastifyRequest): JunctionError {
  if (error instanceof JunctionError) return error;
  const fastifyError = error as FastifyError;
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new RequestError('payload_too_large', 'the request body is larger than this endpoint accepts');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new RequestError('unsupported_media_type', 'this endpoint does not accept that content type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new RequestError('malformed_body', 'the body is not valid JSON');
    default:
      break;
  }
  if (fastifyError.validation) {
    return new RequestError(
      request?.routeOptions.config.validationCode ?? 'bad_request',
      fastifyError.message,
    );
  }
  // Nothing was started or read: a webhook sender redelivers later, once the namespace is prepared.
  const notSetUp = namespaceNotSetUp(error);
  if (notSetUp) return notSetUp;
  const status = fastifyError.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return new RequestError('bad_request', fastifyError.message);
  }
  return new RequestError('internal_error', 'an unexpected error occurred; see the server log', {
    cause: error,
  });
}

/** The server's error handler: every error a route throws is answered here, with the one status table. */
export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const junctionError = fromFastifyError(error, request);
  const status = httpStatus(junctionError.code, { method: request.method, url: request.routeOptions.url });
  if (status === 500) request.log.error({ err: error, code: junctionError.code }, 'request failed');
  else if (status > 500) request.log.warn({ err: error, code: junctionError.code }, 'request not served');
  return sendError(reply, junctionError);
}
