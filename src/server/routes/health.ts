import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { HealthService } from '../../health';
import { registerAdminRoutes } from '../auth/bearer';
import { ADMIN_SECURITY, COMMON_CODES, errorResponses } from '../schemas';

const status = z.enum(['healthy', 'degraded', 'failing']);
const isoTime = z.string().describe('ISO 8601 time');
const failure = z.object({ code: z.string(), message: z.string() });

const windowCounts = z.object({
  minutes: z.number().describe('the window: 5 or 60 minutes'),
  coveredMinutes: z.number().describe('how much of it this process has seen'),
  total: z.number(),
  errors: z.number(),
  throttled: z.number().describe('answered 429'),
});

const sourceWindow = z.object({
  minutes: z.number(),
  coveredMinutes: z.number(),
  accepted: z.number(),
  signatureFailures: z.number(),
  unavailable: z.number().describe('answered 503 (Temporal unreachable)'),
  otherErrors: z.number(),
});

const connectionFacts = z.object({
  connectionId: z.string(),
  providerId: z.string(),
  mode: z.string().optional(),
  state: z.enum(['pending', 'active', 'needs_reauth', 'deleted', 'stuck']),
  expiresAt: isoTime.optional().describe('the token horizon'),
  lastRefreshAt: isoTime.optional(),
  refreshCount: z.number().optional(),
  lastError: failure.optional().describe('the last refresh failure, if the last refresh failed'),
  reauthReason: z.string().optional(),
  createdAt: isoTime.optional(),
  detail: z.enum(['query', 'memo']).describe('status query answered, or the visibility memo only'),
});

const providerFacts = z.object({
  providerId: z.string(),
  breaker: z
    .object({ state: z.enum(['closed', 'half_open', 'open']), openSince: isoTime.optional() })
    .optional(),
  calls: z
    .object({ last5m: windowCounts, last60m: windowCounts, perMinute: z.number() })
    .optional()
    .describe('provider call attempts seen by this process'),
  rateLimitPerMinute: z.number().optional(),
  tokenRequests: z
    .object({
      last60m: z.object({
        total: z.number(),
        failed: z.number(),
        failures: z.record(z.string(), z.number()),
      }),
    })
    .optional(),
  connections: z.object({ total: z.number(), byState: z.record(z.string(), z.number()) }).optional(),
});

const sourceFacts = z.object({
  sourceId: z.string(),
  deadLetters: z.number().optional(),
  lastReceivedAt: isoTime.optional(),
  requests: z.object({ last5m: sourceWindow, last60m: sourceWindow }).optional(),
});

const syncFacts = z.object({
  connectionId: z.string(),
  syncName: z.string(),
  lagSeconds: z.number().optional(),
  intervalSeconds: z.number().optional(),
  paused: z.boolean().optional(),
  lastError: failure.optional(),
  conflictsWaiting: z.number().optional(),
});

const entity = <F extends z.ZodType>(facts: F) =>
  z.object({ id: z.string(), status, reasons: z.array(z.string()), facts });

const tally = z.object({ healthy: z.number(), degraded: z.number(), failing: z.number() });

/** The answer of `GET /health/integrations` (docs/health.md explains every field and rule). */
export const healthReport = z.object({
  status: status.describe('the worst status of any entity'),
  checkedAt: isoTime,
  scope: z.object({
    instance: z.string().describe('the process that answered (host:pid)'),
    countersSince: isoTime.describe('rates, breakers and last-received cover this process since then'),
    unavailable: z.array(z.object({ source: z.string(), message: z.string() })),
  }),
  summary: z.object({ connections: tally, providers: tally, sources: tally, syncs: tally }),
  connections: z.array(entity(connectionFacts)),
  providers: z.array(entity(providerFacts)),
  sources: z.array(entity(sourceFacts)),
  syncs: z.array(entity(syncFacts)),
});

/** `GET /health/integrations`: every connection, provider, webhook source and sync, judged (admin key). */
export function registerHealthRoutes(
  app: FastifyInstance,
  deps: { health: HealthService; apiKeys: () => readonly string[] },
): void {
  app.addHook('onClose', async () => deps.health.stop());
  registerAdminRoutes(app, deps.apiKeys, (scope) => {
    scope.withTypeProvider<ZodTypeProvider>().get(
      '/health/integrations',
      {
        schema: {
          tags: ['operations'],
          security: ADMIN_SECURITY,
          summary: 'Integration health: connections, providers, webhook sources and syncs',
          description:
            'Each entity is healthy, degraded or failing, with the reasons in words. Connections and dead ' +
            'letters come from Temporal (the same in every process); rates, breakers and last-received from ' +
            'the answering process. `junction status` prints it as a table.',
          response: {
            200: healthReport,
            ...errorResponses({ method: 'GET', url: '/health/integrations' }, [
              ...COMMON_CODES,
              'unauthorized',
            ]),
          },
        },
      },
      async () => deps.health.report(),
    );
  });
}
