import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isTemporalUnavailable, type JunctionClient } from '../../client';
import type { JunctionConfig, SourceConfig } from '../../config/schema';
import type { JunctionMetrics } from '../../metrics/registry';
import { JunctionError, RequestError, TemporalError, WebhookVerificationError } from '../../shared/errors';
import { SCHEMES } from '../../webhooks/schemes';
import { COMMON_CODES, errorResponses } from '../schemas';
import '../requestLog';

export interface WebhookRouteDeps {
  config: JunctionConfig;
  junction: JunctionClient;
  metrics: JunctionMetrics;
  now: () => number;
}

/** Seconds a sender should wait before redelivering when Temporal is unreachable. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 10;

const ROUTE = { method: 'POST', url: '/webhooks/:source' };

const accepted = z.object({
  status: z.enum(['accepted', 'duplicate']).describe('duplicate: this delivery id was seen before'),
  workflowId: z.string().describe('webhook:<source>:<deliveryId>'),
});

function firstHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * `POST /webhooks/:source`: verify over the raw bytes, then hand the event to Temporal and only then
 * acknowledge. Nothing is started for a request that fails any check.
 */
export function registerWebhookRoutes(app: FastifyInstance, deps: WebhookRouteDeps) {
  const sources = new Map<string, { source: SourceConfig; bodyLimit: number }>();
  for (const source of deps.config.sources) {
    sources.set(source.id, { source, bodyLimit: source.maxBodyBytes ?? deps.config.server.bodyLimitBytes });
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

    scope.withTypeProvider<ZodTypeProvider>().post(
      ROUTE.url,
      {
        bodyLimit: routeBodyLimit,
        schema: {
          tags: ['webhooks'],
          summary: 'Receive a provider webhook',
          description:
            'Verifies the signature over the raw bytes with the source’s scheme, then durably starts ' +
            '`webhook:<source>:<deliveryId>` before answering. A redelivery answers `duplicate`.',
          consumes: ['application/json', 'application/x-www-form-urlencoded', '*/*'],
          params: z.object({ source: z.string().describe('a configured source id') }),
          body: z.unknown().describe('the provider’s request, byte for byte'),
          response: {
            202: accepted,
            200: {
              description: 'Slack `url_verification` (JSON challenge), or Twilio’s empty TwiML',
              content: {
                'application/json': { schema: z.object({ challenge: z.string() }) },
                'text/xml': { schema: z.string() },
              },
            },
            ...errorResponses(ROUTE, [
              ...COMMON_CODES,
              'unknown_source',
              'missing_signature',
              'invalid_signature',
              'timestamp_out_of_range',
              'malformed_headers',
              'payload_too_large',
              'temporal_unavailable',
            ]),
          },
        },
      },
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
          if (!entry) {
            throw new WebhookVerificationError(
              'unknown_source',
              `no webhook source "${sourceId}" is configured`,
            );
          }
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
            return reply.code(200).send(verified.reply.body);
          }
          let outcome;
          try {
            outcome = await deps.junction.webhooks.deliver(
              {
                sourceId,
                deliveryId: verified.deliveryId,
                eventType: verified.eventType,
                payload: verified.payload,
                contentType: firstHeader(request, 'content-type'),
                rawBody,
                receivedAt: new Date(deps.now()),
              },
              { timeoutMs: deps.config.server.temporalTimeoutMs },
            );
          } catch (error) {
            if (!isTemporalUnavailable(error)) throw error;
            request.log.warn(
              { err: error, sourceId, deliveryId: verified.deliveryId },
              'Temporal is unreachable; asking the sender to redeliver',
            );
            throw new TemporalError('temporal_unavailable', 'the event could not be stored; retry later', {
              cause: error,
              retryable: true,
              retryAfterMs: UNAVAILABLE_RETRY_AFTER_SECONDS * 1000,
            });
          }
          // The request's one log line carries the correlation ids (a child logger per request costs more).
          Object.assign(request.logFields, {
            workflowId: outcome.workflowId,
            deliveryId: verified.deliveryId,
            outcome: outcome.status,
            eventType: verified.eventType,
          });
          observe(outcome.status);
          const acknowledgement = scheme.acknowledge?.(outcome);
          if (acknowledgement) {
            // The provider's own kind of answer (Twilio's TwiML), the outcome in its headers.
            return reply
              .code(200)
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
