import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, JunctionError, type JunctionErrorCode } from '../errors';

/** The JSON body of every error answer: a stable code and a message a person can act on. */
export interface ErrorBody {
  code: JunctionErrorCode;
  message: string;
}

export function sendError(reply: FastifyReply, error: HttpError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply
    .code(error.statusCode)
    .send({ ...error.details, code: error.code, message: error.message } satisfies ErrorBody);
}

/** Maps fastify's own errors (body too large, bad media type, schema validation) onto Junction's codes. */
export function toHttpError(error: FastifyError | Error): HttpError {
  if (error instanceof HttpError) return error;
  const fastifyError = error as FastifyError;
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError(413, 'payload_too_large', 'the request body is larger than this endpoint accepts');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpError(415, 'unsupported_media_type', 'this endpoint does not accept that content type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new HttpError(400, 'malformed_body', 'the body is not valid JSON');
    default:
      break;
  }
  if (fastifyError.validation) return new HttpError(400, 'bad_request', fastifyError.message);
  const status = fastifyError.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return new HttpError(status, 'bad_request', fastifyError.message);
  }
  return new HttpError(500, 'internal_error', 'an unexpected error occurred; see the server log');
}

export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const httpError = toHttpError(error);
  if (httpError.statusCode >= 500) request.log.error({ err: error }, 'request failed');
  return sendError(reply, httpError);
}

/**
 * The HTTP answer for an error a route expects: an HttpError as is, a JunctionError whose code the route maps
 * to a status; undefined for anything else (the error handler answers 500 and logs it).
 */
export function expectedHttpError(
  error: unknown,
  statusByCode: Partial<Record<JunctionErrorCode, number>>,
): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof JunctionError) {
    const status = statusByCode[error.code];
    if (status) return new HttpError(status, error.code, error.message, { cause: error });
  }
  return undefined;
}
