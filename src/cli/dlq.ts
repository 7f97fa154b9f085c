import type { Command } from 'commander';
import type { DeadLetter, JunctionClient } from '../client';
import { RequestError } from '../shared/errors';
import { connectJunction } from './connect';
import { formatTable } from './table';

function table(rows: DeadLetter[]): string {
  return formatTable(
    ['WORKFLOW ID', 'SOURCE', 'EVENT', 'DEAD-LETTERED', 'LAST ERROR'],
    rows.map((row) => [
      row.workflowId,
      row.sourceId ?? '-',
      row.eventType ?? '-',
      row.deadLetteredAt ?? '-',
      row.lastError ? `${row.lastError.code}: ${row.lastError.message}` : '-',
    ]),
  );
}

/** Signals at most this many dead letters at once: enough to be quick, gentle on the server. */
const BULK_CONCURRENCY = 8;

/**
 * Retries every dead letter the visibility query lists (of one source, or all), with a progress line. One
 * that is no longer dead-lettered by the time it is signalled (visibility lags) is skipped, not an error.
 */
async function bulkRetry(junction: JunctionClient, sourceId: string | undefined): Promise<void> {
  const letters: DeadLetter[] = [];
  for await (const letter of junction.webhooks.listDeadLetters({ sourceId })) letters.push(letter);
  const scope = sourceId ? `source ${sourceId}` : 'all sources';
  if (letters.length === 0) {
    process.stdout.write(`no dead letters (${scope})\n`);
    return;
  }
  const tty = process.stderr.isTTY;
  let done = 0;
  let retried = 0;
  const skipped: string[] = [];
  const failed: string[] = [];
  const progress = (workflowId: string) => {
    const line = `retrying dead letters (${scope}): ${done}/${letters.length}`;
    process.stderr.write(tty ? `\r${line}` : `${line} ${workflowId}\n`);
  };
  let next = 0;
  const lane = async () => {
    while (next < letters.length) {
      const letter = letters[next++] as DeadLetter;
      try {
        await junction.webhooks.retryDeadLetter(letter.workflowId);
        retried++;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'not_dead_lettered' || code === 'workflow_not_found') skipped.push(letter.workflowId);
        else failed.push(`${letter.workflowId}: ${(error as Error).message}`);
      }
      done++;
      progress(letter.workflowId);
    }
  };
  await Promise.all(Array.from({ length: Math.min(BULK_CONCURRENCY, letters.length) }, lane));
  if (tty) process.stderr.write('\n');
  process.stdout.write(
    `retry sent to ${retried} of ${letters.length} dead letters (${scope})` +
      `${skipped.length ? `; ${skipped.length} skipped (no longer dead-lettered)` : ''}` +
      `${failed.length ? `; ${failed.length} failed:\n  ${failed.join('\n  ')}` : ''}\n`,
  );
  if (failed.length > 0) process.exitCode = 1;
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
        for await (const row of junction.webhooks.listDeadLetters({ sourceId: options.source }))
          rows.push(row);
        if (options.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        else if (rows.length === 0) process.stdout.write('no dead letters\n');
        else process.stdout.write(`${table(rows)}\n`);
      } finally {
        await close();
      }
    });

  dlq
    .command('retry [workflowId]')
    .description(
      'deliver dead-lettered events again (signals `retry`): one by id, or in bulk by visibility query',
    )
    .option('--source <id>', 'every dead letter of this webhook source')
    .option('--all', 'every dead letter (of every source unless --source narrows it)')
    .action(async (workflowId: string | undefined, options: { source?: string; all?: boolean }) => {
      const bulk = options.all === true || options.source !== undefined;
      if (workflowId !== undefined && bulk) {
        throw new RequestError('bad_request', 'give either a workflow id or --source/--all, not both');
      }
      if (workflowId === undefined && !bulk) {
        throw new RequestError(
          'bad_request',
          'give a workflow id, or --source <id> / --all for a bulk retry',
        );
      }
      const { junction, close } = await connectJunction();
      try {
        if (workflowId !== undefined) {
          await junction.webhooks.retryDeadLetter(workflowId);
          process.stdout.write(`retry sent to ${workflowId}\n`);
          return;
        }
        await bulkRetry(junction, options.source);
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
        await junction.webhooks.discardDeadLetter(workflowId, options.reason);
        process.stdout.write(`discard sent to ${workflowId}\n`);
      } finally {
        await close();
      }
    });
}
