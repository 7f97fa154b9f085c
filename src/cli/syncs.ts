import type { Command } from 'commander';
import type { JunctionClient } from '../client';
import type { ListedSync } from '../client/syncsClient';
import type { SyncStatus } from '../shared/syncContract';
import { connectJunction } from './connect';
import { formatTable } from './table';

function table(rows: ListedSync[]): string {
  return formatTable(
    ['CONNECTION', 'PROVIDER', 'SYNC', 'STATE', 'LAST SUCCESS'],
    rows.map((row) => [row.connectionId, row.providerId, row.syncName, row.state, row.lastSuccessAt ?? '-']),
  );
}

/** A status as a few lines a person reads at a glance. */
function describe(status: SyncStatus): string {
  const run = status.lastRun;
  const lines = [
    `${status.connectionId} / ${status.syncName} (${status.providerId}): ${status.state}`,
    `  runs: ${status.runs}, last success: ${status.lastSuccessAt ?? 'never'}, next run: ${status.nextRunAt ?? 'now'}`,
  ];
  if (run) {
    lines.push(
      `  last run (${run.mode}): +${run.added} ~${run.updated} -${run.deleted}, ${run.unchanged} unchanged, ` +
        `${run.invalid} invalid, ${run.pages} pages${run.error ? `, failed: ${run.error.code}: ${run.error.message}` : ''}`,
    );
  }
  if (status.pendingDeletes) {
    lines.push(
      `  awaiting approval: ${status.pendingDeletes.unseen} of ${status.pendingDeletes.live} records would be deleted ` +
        `(junction syncs approve-deletes|reject-deletes ${status.connectionId} ${status.syncName})`,
    );
  }
  return lines.join('\n');
}

async function withJunction(act: (junction: JunctionClient) => Promise<void>): Promise<void> {
  const { junction, close } = await connectJunction();
  try {
    await act(junction);
  } finally {
    await close();
  }
}

function printStatus(status: SyncStatus, json: boolean | undefined): void {
  process.stdout.write(json ? `${JSON.stringify(status, null, 2)}\n` : `${describe(status)}\n`);
}

/** `junction syncs …`: list, enable, drive and inspect syncs through Temporal (no HTTP server needed). */
export function registerSyncCommands(program: Command): void {
  const syncs = program
    .command('syncs')
    .description('list, run, pause and resume syncs; approve or reject parked deletes');

  syncs
    .command('list')
    .description('running syncs (a visibility query)')
    .option('--connection <id>', 'only this connection')
    .option('--json', 'print JSON')
    .action((options: { connection?: string; json?: boolean }) =>
      withJunction(async (junction) => {
        const rows = await junction.syncs.list({ connectionId: options.connection });
        if (options.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        else process.stdout.write(rows.length === 0 ? 'no syncs running\n' : `${table(rows)}\n`);
      }),
    );

  const one = (
    name: string,
    description: string,
    act: (junction: JunctionClient, id: string, sync: string) => Promise<SyncStatus | void>,
  ) =>
    syncs
      .command(`${name} <connectionId> <sync>`)
      .description(description)
      .option('--json', 'print JSON')
      .action((connectionId: string, sync: string, options: { json?: boolean }) =>
        withJunction(async (junction) => {
          const status =
            (await act(junction, connectionId, sync)) ?? (await junction.syncs.status(connectionId, sync));
          printStatus(status, options.json);
        }),
      );

  one('status', 'a sync’s state, last run and parked deletes', async () => undefined);
  one(
    'enable',
    'enable a declared sync for a connection (its first run starts at once)',
    (junction, id, sync) => junction.syncs.enable(id, sync),
  );
  one('pause', 'pause: nothing is written until resumed', (junction, id, sync) =>
    junction.syncs.pause(id, sync),
  );
  one('resume', 'resume a paused sync', (junction, id, sync) => junction.syncs.resume(id, sync));
  one('approve-deletes', 'delete what a parked sweep would delete', (junction, id, sync) =>
    junction.syncs.decideDeletes(id, sync, true).then(() => undefined),
  );
  one('reject-deletes', 'delete nothing: drop the parked sweep', (junction, id, sync) =>
    junction.syncs.decideDeletes(id, sync, false).then(() => undefined),
  );

  syncs
    .command('run <connectionId> <sync>')
    .description('sync now')
    .option('--full', 'a full pass (reconciling deletions when declared)')
    .option('--reset', 'forget the incremental checkpoint first (implies --full)')
    .option('--json', 'print JSON')
    .action(
      (connectionId: string, sync: string, options: { full?: boolean; reset?: boolean; json?: boolean }) =>
        withJunction(async (junction) => {
          const status = await junction.syncs.run(connectionId, sync, {
            full: options.full,
            reset: options.reset,
          });
          printStatus(status, options.json);
        }),
    );

  syncs
    .command('disable <connectionId> <sync>')
    .description('stop the sync (its records stay readable)')
    .action((connectionId: string, sync: string) =>
      withJunction(async (junction) => {
        await junction.syncs.disable(connectionId, sync);
        process.stdout.write(`disabled ${connectionId} / ${sync}\n`);
      }),
    );
}
