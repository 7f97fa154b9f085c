import type { FastifyInstance } from 'fastify';
import type { JunctionMetrics } from '../../metrics/registry';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<{ ok: boolean; detail?: unknown }>;
}

/** Liveness, readiness and Prometheus metrics. */
export function registerOpsRoutes(
  app: FastifyInstance,
  deps: { metrics: JunctionMetrics; readiness: ReadinessCheck[] },
) {
  app.get('/healthz', { logLevel: 'debug' }, async () => ({ status: 'ok' }));

  app.get('/readyz', { logLevel: 'debug' }, async (_request, reply) => {
    const results = await Promise.all(
      deps.readiness.map(async ({ name, check }) => {
        try {
          return [name, await check()] as const;
        } catch (error) {
          return [
            name,
            { ok: false, detail: error instanceof Error ? error.message : String(error) },
          ] as const;
        }
      }),
    );
    const ready = results.every(([, result]) => result.ok);
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not_ready', checks: Object.fromEntries(results) });
  });

  app.get('/metrics', { logLevel: 'debug' }, async (_request, reply) => {
    const own = await deps.metrics.registry.metrics();
    const extra = await Promise.all(deps.metrics.extraSources.map((source) => source()));
    return reply.type(deps.metrics.registry.contentType).send([own, ...extra].join('\n'));
  });
}
