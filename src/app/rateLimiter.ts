import type { SharedPacing } from '../calls/limiter';
import { openPostgresLimiter } from '../calls/postgresLimiter';
import type { JunctionConfig } from '../config/schema';
import type { Logger } from '../logging/logger';
import type { ProviderDeclaration } from '../providers/schema';
import { ConfigError } from '../shared/errors';

/**
 * The limiter strict providers take turns from across worker processes: PostgreSQL when configuration names
 * a database (`rateLimits.limiter` auto or database), else none (the task queue alone paces them, at 45 %).
 * Opened only when a provider this process calls declares a strict `perSecond`.
 */
export async function openSharedPacing(
  config: JunctionConfig,
  providers: readonly ProviderDeclaration[],
  env: NodeJS.ProcessEnv,
  logger: Logger,
): Promise<SharedPacing | undefined> {
  const { limiter, share } = config.rateLimits;
  if (limiter === 'task-queue') return undefined;
  const strict = providers.filter((p) => p.calls.rateLimit?.perSecond && p.calls.rateLimit.mode === 'strict');
  if (strict.length === 0) return undefined;
  const url = config.syncs.database.url ?? env.JUNCTION_DATABASE_URL;
  if (!url) {
    if (limiter === 'database') {
      throw new ConfigError(
        'rateLimits.limiter: "database" needs a PostgreSQL database (syncs.database.url or JUNCTION_DATABASE_URL)',
      );
    }
    logger.info(
      { providers: strict.map((p) => p.id) },
      'strict rate limits: no database configured, so the task queue alone paces them (45 % of the limit)',
    );
    return undefined;
  }
  const opened = await openPostgresLimiter(url, { schema: config.syncs.database.schema });
  logger.info(
    { providers: strict.map((p) => p.id), share },
    'strict rate limits: turns from the shared limiter in PostgreSQL',
  );
  return { limiter: opened, share };
}
