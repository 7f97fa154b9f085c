import { z } from 'zod';

/** How strict providers' rate limits hold across worker processes. */
export const rateLimitsSchema = z
  .object({
    /**
     * `auto`: a limiter in PostgreSQL shared by every worker when a database is configured
     * (`syncs.database.url` or `JUNCTION_DATABASE_URL`), else the provider's task queue alone at 45 % of the
     * limit. `database`: the shared limiter, and a start-up error without a database. `task-queue`: never
     * the shared limiter.
     */
    limiter: z.enum(['auto', 'database', 'task-queue']).default('auto'),
    /**
     * Share of a strict provider's `perSecond` the shared limiter hands out as turns; the rest is margin for
     * the jitter between a turn and the request's arrival at the provider.
     */
    share: z.number().min(0.5).max(1).default(0.95),
  })
  .strict();

export type RateLimitsConfig = z.output<typeof rateLimitsSchema>;
