import type { Command } from 'commander';
import { RequestError } from '../shared/errors';
import { adminCall, adminTarget, type AdminOptions } from './adminApi';
import { formatTable } from './table';

/** A parked write as `GET /conflicts` answers it (the fields the CLI prints). */
interface ConflictView {
  writeId: string;
  connectionId: string;
  sync: string;
  kind: string;
  recordId: string | null;
  state: string;
  acceptedAt: string;
  conflict: {
    kind: string;
    rule?: string;
    fields: Array<{ field: string; base?: unknown; app?: unknown; provider?: unknown; winner?: string }>;
  } | null;
}

const show = (value: unknown): string => (value === undefined ? '-' : JSON.stringify(value));

function table(conflicts: ConflictView[]): string {
  return formatTable(
    ['ID', 'CONNECTION', 'SYNC', 'RECORD', 'CONFLICT', 'FIELDS (base → app | provider)', 'SINCE'],
    conflicts.map((c) => [
      c.writeId,
      c.connectionId,
      c.sync,
      c.recordId ?? '(new)',
      c.conflict?.kind ?? c.kind,
      c.conflict?.fields.length
        ? c.conflict.fields
            .filter((f) => f.winner === undefined)
            .map((f) => `${f.field}: ${show(f.base)} → ${show(f.app)} | ${show(f.provider)}`)
            .join('; ')
        : `record (${c.conflict?.rule ?? 'manual'})`,
      c.acceptedAt,
    ]),
  );
}

function parseValue(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RequestError('bad_request', `--value is not JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new RequestError('bad_request', '--value must be a JSON object of the record’s fields');
  }
  return value as Record<string, unknown>;
}

/** `junction conflicts list|resolve`: parked conflicts of two-way syncs, through Junction's admin API. */
export function registerConflictCommands(program: Command): void {
  const conflicts = program
    .command('conflicts')
    .description('conflicts of two-way syncs parked for a person: list them, resolve one');
  conflicts
    .command('list')
    .description('parked conflicts, oldest first')
    .option('--connection <id>', 'only this connection')
    .option('--sync <name>', 'only this sync')
    .option('--url <base>', 'where Junction listens (default: the config)')
    .option('--admin-key <key>', 'an admin API key (default: JUNCTION_ADMIN_KEY, then admin.apiKeys)')
    .option('--json', 'print JSON')
    .action(async (options: AdminOptions & { connection?: string; sync?: string; json?: boolean }) => {
      const { bases, adminKey } = adminTarget(options);
      const query = new URLSearchParams();
      if (options.connection) query.set('connection', options.connection);
      if (options.sync) query.set('sync', options.sync);
      const answer = await adminCall<{ conflicts: ConflictView[] }>(bases[0] as string, adminKey, {
        path: `/conflicts?${query.toString()}`,
      });
      process.stdout.write(
        options.json ? `${JSON.stringify(answer.conflicts, null, 2)}\n` : table(answer.conflicts),
      );
    });
  conflicts
    .command('resolve <id>')
    .description('take the provider’s record, the application’s write, or a value of your own')
    .option('--take <side>', 'provider | app')
    .option('--value <json>', 'the fields to write instead (a JSON object)')
    .option('--url <base>', 'where Junction listens (default: the config)')
    .option('--admin-key <key>', 'an admin API key (default: JUNCTION_ADMIN_KEY, then admin.apiKeys)')
    .action(async (id: string, options: AdminOptions & { take?: string; value?: string }) => {
      if ((options.take === undefined) === (options.value === undefined)) {
        throw new RequestError('bad_request', 'give one of --take provider|app or --value <json>');
      }
      if (options.take !== undefined && options.take !== 'provider' && options.take !== 'app') {
        throw new RequestError('bad_request', `--take is provider or app, not "${options.take}"`);
      }
      const body =
        options.value !== undefined ? { value: parseValue(options.value) } : { take: options.take };
      const { bases, adminKey } = adminTarget(options);
      const write = await adminCall<ConflictView>(bases[0] as string, adminKey, {
        method: 'POST',
        path: `/conflicts/${encodeURIComponent(id)}/resolve`,
        body,
      });
      process.stdout.write(`${write.writeId}: resolved; the stream applies it next (${write.state})\n`);
    });
}
