import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  isTemporalUnavailable,
  type JunctionClient,
  type StartOutcome,
  type VerifiedWebhook,
} from '../../client';
import type { JunctionConfig, SourceConfig } from '../../config/schema';
import type { JunctionMetrics } from '../../metrics/registry';
import { RequestError, TemporalError, WebhookVerificationError } from '../../shared/errors';
import { SCHEMES } from '../../webhooks/schemes';
import type { WebhookScheme } from '../../webhooks/schemes/scheme';
import { fromFastifyError } from '../errors';
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

const webhookSchema = {
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
      'temporal_overloaded',
      'temporal_not_set_up',
    ]),
  },
};

/** A configured source and the largest body it accepts. */
interface SourceEntry {
  source: SourceConfig;
  bodyLimit: number;
}

/** Hand-overs waiting on Temporal in this server right now (bounded by `server.maxPendingStarts`). */
interface PendingStarts {
  count: number;
}

/** One request's context: its source, and how its outcome is counted. */
interface Ingest {
  deps: WebhookRouteDeps;
  sourceId: string;
  entry: SourceEntry;
  observe: (outcome: string) => void;
  pending: PendingStarts;
}

/** The configured sources by id, and the route's body limit: the largest any source accepts. */
function sourceTable(config: JunctionConfig) {
  const sources = new Map<string, SourceEntry>();
  for (const source of config.sources) {
    sources.set(source.id, { source, bodyLimit: source.maxBodyBytes ?? config.server.bodyLimitBytes });
  }
  const routeBodyLimit = Math.max(
    config.server.bodyLimitBytes,
    ...[...sources.values()].map((s) => s.bodyLimit),
  );
  return { sources, routeBodyLimit };
}

function firstHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Counts a request under its source (or `(unknown)`) and outcome, with the time since it came in. */
function ingestObserver(metrics: JunctionMetrics, source: string) {
  const started = process.hrtime.bigint();
  return (outcome: string) => {
    metrics.webhooksReceived.inc({ source, outcome });
    if (outcome === 'accepted' || outcome === 'duplicate')
      metrics.webhookLastReceived.setToCurrentTime({ source });
    metrics.webhookIngestDuration.observe(
      { source, outcome },
      Number(process.hrtime.bigint() - started) / 1e9,
    );
  };
}

/**
 * Hands a verified event to Temporal; an unreachable Temporal is 503 `temporal_unavailable`, to redeliver.
 * While Temporal is slow, at most `server.maxPendingStarts` events wait on it at once: the next one is answered
 * 503 `temporal_overloaded` at once (load shedding) instead of queueing without bound.
 */
async function handOver(request: FastifyRequest, ingest: Ingest, event: VerifiedWebhook) {
  const { deps, pending } = ingest;
  if (pending.count >= deps.config.server.maxPendingStarts) {
    throw new TemporalError('temporal_overloaded', 'too many events are waiting on Temporal; retry later', {
      retryable: true,
      retryAfterMs: UNAVAILABLE_RETRY_AFTER_SECONDS * 1000,
    });
  }
  pending.count++;
  deps.metrics.webhookPendingStarts.inc();
  try {
    return await deps.junction.webhooks.deliver(event, { timeoutMs: deps.config.server.temporalTimeoutMs });
  } catch (error) {
    if (!isTemporalUnavailable(error)) throw error;
    request.log.warn(
      { err: error, sourceId: event.sourceId, deliveryId: event.deliveryId },
      'Temporal is unreachable; asking the sender to redeliver',
    );
    throw new TemporalError('temporal_unavailable', 'the event could not be stored; retry later', {
      cause: error,
      retryable: true,
      retryAfterMs: UNAVAILABLE_RETRY_AFTER_SECONDS * 1000,
    });
  } finally {
    pending.count--;
    deps.metrics.webhookPendingStarts.dec();
  }
}

/** Acknowledges a handed-over event: the provider's own kind of answer (Twilio's TwiML), else 202 JSON. */
function acknowledge(reply: FastifyReply, scheme: WebhookScheme, outcome: StartOutcome): FastifyReply {
  const acknowledgement = scheme.acknowledge?.(outcome);
  if (!acknowledgement) return reply.code(202).send(outcome);
  return reply
    .code(200)
    .headers(acknowledgement.headers)
    .type(acknowledgement.contentType)
    .send(acknowledgement.body);
}

/** Checks the size and the signature over the raw bytes, then hands the event over and sends the answer. */
async function receive(request: FastifyRequest, reply: FastifyReply, ingest: Ingest): Promise<void> {
  const { deps, sourceId, entry } = ingest;
  const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  if (rawBody.length > entry.bodyLimit) {
    throw new RequestError(
      'payload_too_large',
      `the body exceeds ${entry.bodyLimit} bytes for source "${sourceId}"`,
    );
  }
  const scheme: WebhookScheme = SCHEMES[entry.source.scheme];
  const verified = scheme.verify(
    { headers: request.headers, rawBody, url: request.url },
    entry.source,
    deps.now(),
  );
  if (verified.reply) {
    // A verified handshake (Slack's url_verification): answered as the provider expects, nothing started.
    Object.assign(request.logFields, { outcome: 'challenge', eventType: verified.eventType });
    ingest.observe('challenge');
    reply.code(200).send(verified.reply.body);
    return;
  }
  const outcome = await handOver(request, ingest, {
    sourceId,
    deliveryId: verified.deliveryId,
    eventType: verified.eventType,
    payload: verified.payload,
    contentType: firstHeader(request, 'content-type'),
    rawBody,
    receivedAt: new Date(deps.now()),
  });
  // The request's one log line carries the correlation ids (a child logger per request costs more).
  Object.assign(request.logFields, {
    workflowId: outcome.workflowId,
    deliveryId: verified.deliveryId,
    outcome: outcome.status,
    eventType: verified.eventType,
  });
  ingest.observe(outcome.status);
  acknowledge(reply, scheme, outcome);
}

/** Counts a refused or failed request under the code the server's error handler answers it with. */
function countFailure(request: FastifyRequest, observe: (outcome: string) => void, error: unknown): void {
  const answered = fromFastifyError(error as Error, request);
  observe(answered.code);
  // The request's log line says why (an unexpected error's own message stays in the error handler's log).
  if (answered.code !== 'internal_error') Object.assign(request.logFields, { reason: answered.message });
}

/**
 * `POST /webhooks/:source`: verify over the raw bytes, then hand the event to Temporal and only then
 * acknowledge. Nothing is started for a request that fails any check.
 */
export function registerWebhookRoutes(app: FastifyInstance, deps: WebhookRouteDeps) {
  const { sources, routeBodyLimit } = sourceTable(deps.config);
  const pending: PendingStarts = { count: 0 };
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
    scope
      .withTypeProvider<ZodTypeProvider>()
      .post(ROUTE.url, { bodyLimit: routeBodyLimit, schema: webhookSchema }, async (request, reply) => {
        const sourceId = request.params.source;
        const entry = sources.get(sourceId);
        const observe = ingestObserver(deps.metrics, entry ? sourceId : '(unknown)');
        try {
          if (!entry) {
            throw new WebhookVerificationError(
              'unknown_source',
              `no webhook source "${sourceId}" is configured`,
            );
          }
          await receive(request, reply, { deps, sourceId, entry, observe, pending });
        } catch (error) {
          countFailure(request, observe, error);
          throw error;
        }
        // Returned outside the try: waiting for the answer to be written is no part of the count.
        return reply;
      });
  });
}
