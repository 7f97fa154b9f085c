import type { Command } from 'commander';
import { urlHost } from '../config/address';
import { loadConfig } from '../config/load';
import type { HealthReport } from '../health';
import { combineReports } from '../health/combine';
import { AuthError, RequestError } from '../shared/errors';
import { statusTables } from './statusTable';

/** Exit codes of `junction status`: 0 nothing failing, 2 something failing (1 is any other error). */
export const STATUS_EXIT = { ok: 0, failing: 2 } as const;

async function fetchReport(base: string, adminKey: string): Promise<HealthReport> {
  let response: Response;
  try {
    response = await fetch(`${base}/health/integrations`, {
      headers: { authorization: `Bearer ${adminKey}`, accept: 'application/json' },
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new RequestError('bad_request', `cannot reach Junction at ${base}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const text = await response.text();
  if (response.status === 401) {
    throw new AuthError(
      'unauthorized',
      `${base} refused the admin key (set --admin-key or JUNCTION_ADMIN_KEY)`,
    );
  }
  if (!response.ok) {
    throw new RequestError(
      'internal_error',
      `${base}/health/integrations answered ${response.status}: ${text}`,
    );
  }
  return JSON.parse(text) as HealthReport;
}

/** `junction status`: integration health as a table (or JSON); exits 2 when anything is failing. */
export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('integration health: connections, providers, webhook sources and syncs (exit 2 if failing)')
    .option(
      '--url <base...>',
      'where Junction listens; give every server and worker to combine them (default: the config)',
    )
    .option('--admin-key <key>', 'an admin API key (default: JUNCTION_ADMIN_KEY, then admin.apiKeys)')
    .option('--json', 'print the report as JSON')
    .option('--problems', 'list only what is degraded or failing')
    .action(async (options: { url?: string[]; adminKey?: string; json?: boolean; problems?: boolean }) => {
      const { config } = loadConfig();
      const adminKey = options.adminKey ?? process.env.JUNCTION_ADMIN_KEY ?? config.admin.apiKeys[0];
      if (!adminKey) {
        throw new AuthError('unauthorized', 'no admin key: pass --admin-key or set JUNCTION_ADMIN_KEY');
      }
      const host = config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host;
      const bases = (options.url ?? [`http://${urlHost(host)}:${config.server.port}`]).map((url) =>
        url.replace(/\/$/, ''),
      );
      const report = combineReports(await Promise.all(bases.map((base) => fetchReport(base, adminKey))));
      const colour = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
      process.stdout.write(
        options.json
          ? `${JSON.stringify(report, null, 2)}\n`
          : statusTables(report, { colour, now: Date.now(), problemsOnly: options.problems }),
      );
      process.exitCode = report.status === 'failing' ? STATUS_EXIT.failing : STATUS_EXIT.ok;
    });
}
