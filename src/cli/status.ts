import type { Command } from 'commander';
import type { HealthReport } from '../health';
import { combineReports } from '../health/combine';
import { adminCall, adminTarget } from './adminApi';
import { statusTables } from './statusTable';

/** Exit codes of `junction status`: 0 nothing failing, 2 something failing (1 is any other error). */
export const STATUS_EXIT = { ok: 0, failing: 2 } as const;

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
      const { bases, adminKey } = adminTarget(options);
      const report = combineReports(
        await Promise.all(
          bases.map((base) => adminCall<HealthReport>(base, adminKey, { path: '/health/integrations' })),
        ),
      );
      const colour = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
      process.stdout.write(
        options.json
          ? `${JSON.stringify(report, null, 2)}\n`
          : statusTables(report, { colour, now: Date.now(), problemsOnly: options.problems }),
      );
      process.exitCode = report.status === 'failing' ? STATUS_EXIT.failing : STATUS_EXIT.ok;
    });
}
