import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { RequestError } from '../shared/errors';
import type { ErrorBody } from './errors';
import { sendError } from './errors';

/**
 * Requests that never reach a route still get Junction's error body (`{code, message}`), not Fastify's or
 * Node's own: a request Node's HTTP parser refuses (malformed request line or headers, header injection,
 * bad chunked framing, headers too large), and a URL Fastify's router refuses (bad percent-encoding, a path
 * parameter over its maximum length).
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has no one left to answer (Node's own handler does the same).
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  let status = 400;
  let message = 'the request is not valid HTTP/1.1 (request line, headers or body framing)';
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    message = 'the request headers are larger than this server accepts';
  } else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408;
    message = 'the request did not arrive in time';
  }
  const body: ErrorBody = { code: 'bad_request', message };
  const text = JSON.stringify(body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy();
}

/** Fastify's routing errors (`frameworkErrors`), answered like any other bad request. */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void sendError(
      reply,
      new RequestError('bad_request', 'a path segment is longer than this server accepts'),
      {
        status: 414,
      },
    );
    return;
  }
  void sendError(reply, new RequestError('bad_request', 'the URL is not valid (bad percent-encoding?)'));
}
