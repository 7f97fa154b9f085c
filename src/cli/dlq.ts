import type { Command } from 'commander';
import type { DeadLetter } from '../client';
import { connectJunction } from './connect';

function table(rows: DeadLetter[]): string {
  const header = ['WORKFLOW ID', 'SOURCE', 'EVENT', 'DEAD-LETTERED', 'LAST ERROR'];
  const lines = rows.map((row) => [
    row.workflowId,
    row.sourceId ?? '-',
    row.eventType ?? '-',
    row.deadLetteredAt ?? '-',
    row.lastError ? `${row.lastError.code}: ${row.lastError.message}` : '-',
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...lines.map((line) => (line[i] ?? '').length)),
  );
  return [header, ...lines]
    .map((line) =>
      line
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function registerDlqCommands(program: Command): void {
  const dlq = program.command('dlq').description('list, retry and discard dead-lettered webhook deliveries');

  dlq
    .command('list')
    .description('list dead-lettered deliveries (a visibility query)')
    .option('--source <id>', 'only this webhook source')
    .option('--json', 'print JSON, one array')
    .action(async (options: { source?: string; json?: boolean }) => {
      const { junction, close } = await connectJunction();
      try {
        const rows: DeadLetter[] = [];
        for await (const row of junction.listDeadLetters({ sourceId: options.source })) rows.push(row);
        if (options.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        else if (rows.length === 0) process.stdout.write('no dead letters\n');
        else process.stdout.write(`${table(rows)}\n`);
      } finally {
        await close();
      }
    });

  dlq
    .command('retry <workflowId>')
    .description('deliver a dead-lettered event again (signals `retry`)')
    .action(async (workflowId: string) => {
      const { junction, close } = await connectJunction();
      try {
        await junction.retryDeadLetter(workflowId);
        process.stdout.write(`retry sent to ${workflowId}\n`);
      } finally {
        await close();
      }
    });

  dlq
    .command('discard <workflowId>')
    .description('give up on a dead-lettered event (signals `discard`)')
    .option('--reason <text>', 'recorded on the workflow')
    .action(async (workflowId: string, options: { reason?: string }) => {
      const { junction, close } = await connectJunction();
      try {
        await junction.discardDeadLetter(workflowId, options.reason);
        process.stdout.write(`discard sent to ${workflowId}\n`);
      } finally {
        await close();
      }
    });
}
