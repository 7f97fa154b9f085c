import { randomBytes, randomUUID } from 'node:crypto';
import helmet from '@fastify/helmet';
import type { PayloadCodec } from '@temporalio/common';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { JunctionClient } from '../client';
import type { JunctionConfig } from '../config/schema';
import type { Logger } from '../logging/logger';
import type { JunctionMetrics } from '../metrics/registry';
import type { Outbound } from '../network/outbound';
import { urlHost } from '../config/address';
import { ConfigError, RequestError } from '../shared/errors';
import { errorHandler, sendError } from './errors';
import { clientErrorHandler, frameworkErrors } from './protocolErrors';
import { registerApiDocs } from './openapi';
import './requestLog';
import { registerActionRoutes } from './routes/actions';
import { registerCodecRoutes } from './routes/codec';
import { registerConnectRoutes } from './routes/connectFlow';
import { registerConnectionRoutes } from './routes/connectionAdmin';
import type { ConnectionRouteDeps } from './routes/connectionDeps';
import type { HealthService } from '../health';
import { registerHealthRoutes } from './routes/health';
import { registerOpsRoutes, type ReadinessCheck } from './routes/ops';
import { registerSyncRoutes } from './routes/syncs';
import { registerSyncWriteRoutes } from './routes/syncWrites';
import { registerWebhookRoutes } from './routes/webhooks';
import type { WriteStore } from '../sync/store/writeStore';
import type { RecordStore } from '../sync/store/recordStore';

export interface ServerDeps {
  config: JunctionConfig;
  logger: Logger;
  metrics: JunctionMetrics;
  readiness: ReadinessCheck[];
  /** The starter client; without it only the operational endpoints are served (a worker-only process). */
  junction?: JunctionClient;
  now?: () => number;
  /** The payload codec, for the Temporal UI's codec endpoints (`/codec/encode`, `/codec/decode`). */
  codec?: PayloadCodec;
  /** Keys that sign the codec sign-in cookie, the current one first (derived from the codec keys). */
  cookieSecrets?: Buffer[];
  /** HMAC key for OAuth `state`, connect sessions and connection tokens (from config, or derived). */
  stateSecret?: Uint8Array | string;
  /** Operator tokens and UI origin for the codec endpoints, beyond those in `config.codec`. */
  codecAccess?: CodecAccess;
  /** The record store (when a provider declares a sync): the change stream reads from it. */
  records?: RecordStore;
  /** The application's writes to synced records (in the record store). */
  writes?: WriteStore;
  /** Integration health (`GET /health/integrations`), served by API and worker-only processes alike. */
  health?: HealthService;
  /** The outbound network policy: a connect session's `returnTo` is checked against it. */
  outbound: Outbound;
}

/** What `junction dev` adds to the codec endpoints' access: its token, its UI's origin, open on loopback. */
export interface CodecAccess {
  operatorTokens?: string[];
  uiOrigin?: string;
  /** The dev server's UI and this server are on loopback: no sign-in needed (see registerCodecRoutes). */
  openLocally?: boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The webhook, action, connection and sync API (a process with the starter client). */
function registerApiRoutes(
  app: FastifyInstance,
  deps: ServerDeps,
  junction: JunctionClient,
  stateSecret: Uint8Array | string | undefined,
  now: () => number,
): void {
  registerWebhookRoutes(app, { config: deps.config, junction, metrics: deps.metrics, now });
  registerActionRoutes(app, { config: deps.config, junction, stateSecret, now });
  if (!stateSecret) throw new ConfigError('connections need connections.stateSecret or a codec key');
  const connectionDeps: ConnectionRouteDeps = {
    config: deps.config,
    junction,
    stateSecret,
    now,
    metrics: deps.metrics,
    outbound: deps.outbound,
    baseUrl: () => {
      const bound = app.server.address();
      const port = typeof bound === 'object' && bound ? bound.port : deps.config.server.port;
      return `http://${urlHost(deps.config.server.host)}:${port}`;
    },
  };
  registerConnectionRoutes(app, connectionDeps);
  const syncDeps = {
    config: deps.config,
    junction,
    records: deps.records,
    writes: deps.writes,
    stateSecret,
    now,
  };
  registerSyncRoutes(app, syncDeps);
  registerSyncWriteRoutes(app, syncDeps);
  registerConnectRoutes(app, connectionDeps);
}

/** Builds the HTTP server without listening, so the app, tests and benchmarks share the same thing. */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance,
    // One line per request is written by the onResponse hook below, with the request's correlation ids.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: deps.config.server.trustProxy,
    bodyLimit: deps.config.server.bodyLimitBytes,
    clientErrorHandler,
    frameworkErrors,
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
  });
  const now = deps.now ?? Date.now;

  // Every route declares its params, query, body and answers as zod schemas: they validate requests,
  // serialize answers, and make the OpenAPI document.
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await registerApiDocs(app);
  await app.register(helmet, { global: true });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new RequestError('not_found', `no route for ${request.method} ${request.url.split('?')[0]}`),
    ),
  );

  // Handlers add what they learned (outcome, event type…) to the one line logged per request.
  // Fastify wants a null placeholder for per-request objects; onRequest sets the real one.
  app.decorateRequest('logFields', null as unknown as Record<string, unknown>);
  app.addHook('onRequest', async (request) => {
    request.logFields = {};
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? '(unmatched)';
    const labels = { method: request.method, route, status: String(reply.statusCode) };
    const seconds = reply.elapsedTime / 1000;
    deps.metrics.httpRequests.inc(labels);
    deps.metrics.httpDuration.observe(labels, seconds);
    const quiet = route === '/healthz' || route === '/readyz' || route === '/metrics';
    request.log[quiet ? 'debug' : 'info'](
      {
        method: request.method,
        url: request.url.split('?')[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 100) / 100,
        ...request.logFields,
      },
      'request completed',
    );
  });

  registerOpsRoutes(app, { metrics: deps.metrics, readiness: deps.readiness });
  if (deps.health)
    registerHealthRoutes(app, { health: deps.health, apiKeys: () => deps.config.admin.apiKeys });
  const stateSecret = deps.stateSecret ?? deps.config.connections.stateSecret;
  if (deps.junction) registerApiRoutes(app, deps, deps.junction, stateSecret, now);
  if (deps.codec) {
    registerCodecRoutes(app, {
      codec: deps.codec,
      // Without derived keys (a test, a codec without them) sessions last as long as the process.
      cookieSecrets: deps.cookieSecrets?.length ? deps.cookieSecrets : [randomBytes(32)],
      operatorTokens: [...deps.config.codec.operatorTokens, ...(deps.codecAccess?.operatorTokens ?? [])],
      uiOrigin: deps.config.codec.uiOrigin ?? deps.codecAccess?.uiOrigin,
      openLocally: deps.codecAccess?.openLocally === true,
      now,
    });
  }
  return app;
}
