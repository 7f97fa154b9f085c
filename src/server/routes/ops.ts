import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { JunctionMetrics } from '../../metrics/registry';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<{ ok: boolean; detail?: unknown }>;
}

const readiness = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.record(z.string(), z.looseObject({ ok: z.boolean(), detail: z.unknown().optional() })),
});

/** Liveness, readiness and Prometheus metrics. */
export function registerOpsRoutes(
  app: FastifyInstance,
  deps: { metrics: JunctionMetrics; readiness: ReadinessCheck[] },
) {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.get(
    '/healthz',
    {
      logLevel: 'debug',
      schema: {
        tags: ['operations'],
        summary: 'Liveness: the process answers',
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  routes.get(
    '/readyz',
    {
      logLevel: 'debug',
      schema: {
        tags: ['operations'],
        summary: 'Readiness: Temporal reachable, workers running, provider breakers',
        response: { 200: readiness, 503: readiness },
      },
    },
    async (_request, reply) => {
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
    },
  );

  routes.get(
    '/metrics',
    {
      logLevel: 'debug',
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics (Junction and the Temporal SDK)',
        response: {
          200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } },
        },
      },
    },
    async (_request, reply) => {
      const own = await deps.metrics.registry.metrics();
      const extra = await Promise.all(deps.metrics.extraSources.map((source) => source()));
      return reply.type(deps.metrics.registry.contentType).send([own, ...extra].join('\n'));
    },
  );
}
