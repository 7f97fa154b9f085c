import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { JunctionClient } from '../../client';
import { isTemporalUnavailable } from '../../client/errors';
import type { JunctionConfig, SourceConfig } from '../../config/schema';
import { JunctionError, RequestError, TemporalError, WebhookVerificationError } from '../../shared/errors';
import type { JunctionMetrics } from '../../metrics/registry';
import { webhookWorkflowId } from '../../shared/ids';
import type { RawBody, WebhookDeliveryInput } from '../../shared/webhooks';
import { compileRoutes, selectTargets, type CompiledRoute } from '../../webhooks/routing';
import { SCHEMES } from '../../webhooks/schemes';
import '../requestLog';

export interface WebhookRouteDeps {
  config: JunctionConfig;
  junction: JunctionClient;
  metrics: JunctionMetrics;
  now: () => number;
}

/** Seconds a sender should wait before redelivering when Temporal is unreachable. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 10;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Keeps the body byte-exact: UTF-8 text when it decodes cleanly, base64 otherwise. */
export function toRawBody(bytes: Buffer): RawBody {
  try {
    return { encoding: 'utf8', data: utf8.decode(bytes) };
  } catch {
    return { encoding: 'base64', data: bytes.toString('base64') };
  }
}

function firstHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * `POST /webhooks/:source`: verify over the raw bytes, then hand the event to Temporal and only then
 * acknowledge. Nothing is started for a request that fails any check.
 */
export function registerWebhookRoutes(app: FastifyInstance, deps: WebhookRouteDeps) {
  const sources = new Map<string, { source: SourceConfig; routes: CompiledRoute[]; bodyLimit: number }>();
  for (const source of deps.config.sources) {
    sources.set(source.id, {
      source,
      routes: compileRoutes(source),
      bodyLimit: source.maxBodyBytes ?? deps.config.server.bodyLimitBytes,
    });
  }
  const routeBodyLimit = Math.max(
    deps.config.server.bodyLimitBytes,
    ...[...sources.values()].map((s) => s.bodyLimit),
  );

  void app.register(async (scope) => {
    // Signatures cover the exact bytes sent: take every content type as an unparsed buffer.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: routeBodyLimit },
      (_request, body, done) => {
        done(null, body);
      },
    );

    scope.post<{ Params: { source: string } }>(
      '/webhooks/:source',
      { bodyLimit: routeBodyLimit },
      async (request, reply) => {
        const started = process.hrtime.bigint();
        const sourceId = request.params.source;
        const entry = sources.get(sourceId);
        const observe = (outcome: string) => {
          const label = entry ? sourceId : '(unknown)';
          deps.metrics.webhooksReceived.inc({ source: label, outcome });
          deps.metrics.webhookIngestDuration.observe(
            { source: label, outcome },
            Number(process.hrtime.bigint() - started) / 1e9,
          );
        };
        try {
          if (!entry)
            throw new WebhookVerificationError(
              'unknown_source',
              `no webhook source "${sourceId}" is configured`,
            );
          const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
          if (rawBody.length > entry.bodyLimit) {
            throw new RequestError(
              'payload_too_large',
              `the body exceeds ${entry.bodyLimit} bytes for source "${sourceId}"`,
            );
          }
          const scheme = SCHEMES[entry.source.scheme];
          const verified = scheme.verify(
            { headers: request.headers, rawBody, url: request.url },
            entry.source,
            deps.now(),
          );
          if (verified.reply) {
            // A verified handshake (Slack's url_verification): answered as the provider expects, nothing started.
            Object.assign(request.logFields, { outcome: 'challenge', eventType: verified.eventType });
            observe('challenge');
            return reply.code(verified.reply.statusCode).send(verified.reply.body);
          }
          const workflowId = webhookWorkflowId(sourceId, verified.deliveryId);
          // The request's one log line carries the correlation ids (a child logger per request costs more).
          Object.assign(request.logFields, { workflowId, deliveryId: verified.deliveryId });

          const input: WebhookDeliveryInput = {
            event: {
              sourceId,
              deliveryId: verified.deliveryId,
              eventType: verified.eventType,
              receivedAt: new Date(deps.now()).toISOString(),
              contentType: firstHeader(request, 'content-type'),
              body: toRawBody(rawBody),
            },
            targets: selectTargets(entry.routes, verified.eventType, sourceId, verified.payload),
            retry: { ...deps.config.delivery.retry, ...entry.source.retry },
            ...(entry.source.schemas && Object.keys(entry.source.schemas).length > 0
              ? { validate: true }
              : {}),
          };
          let outcome;
          try {
            outcome = await deps.junction.startWebhookDelivery(input, {
              timeoutMs: deps.config.server.temporalTimeoutMs,
            });
          } catch (error) {
            if (!isTemporalUnavailable(error)) throw error;
            request.log.warn(
              { err: error, workflowId, deliveryId: verified.deliveryId },
              'Temporal is unreachable; asking the sender to redeliver',
            );
            throw new TemporalError('temporal_unavailable', 'the event could not be stored; retry later', {
              cause: error,
              retryable: true,
              retryAfterMs: UNAVAILABLE_RETRY_AFTER_SECONDS * 1000,
            });
          }
          Object.assign(request.logFields, {
            outcome: outcome.status,
            eventType: verified.eventType,
            targets: input.targets.length,
          });
          observe(outcome.status);
          const acknowledgement = scheme.acknowledge?.(outcome);
          if (acknowledgement) {
            // The provider's own kind of answer (Twilio's TwiML), the outcome in its headers.
            return reply
              .code(acknowledgement.statusCode)
              .headers(acknowledgement.headers)
              .type(acknowledgement.contentType)
              .send(acknowledgement.body);
          }
          return reply.code(202).send(outcome);
        } catch (error) {
          // Counted here; answered by the server's error handler.
          if (error instanceof JunctionError) {
            observe(error.code);
            Object.assign(request.logFields, { reason: error.message });
          } else {
            observe('internal_error');
          }
          throw error;
        }
      },
    );
  });
}
