import { Command, CommanderError } from 'commander';
import { namespaceNotSetUp } from '../client/errors';
import { JunctionError } from '../shared/errors';
import { registerDlqCommands } from './dlq';
import { registerProviderCommands } from './providers';
import { registerRunCommands } from './run';
import { registerSyncCommands } from './syncs';
import { registerConflictCommands } from './conflicts';
import { registerStatusCommand } from './status';
import { registerTemporalCommands } from './temporal';
import { registerWebhookCommands } from './webhooks';

/** Builds the `junction` command line. */
export function buildCli(): Command {
  const program = new Command('junction')
    .description('Junction: webhooks in, provider calls out, on Temporal')
    .showHelpAfterError()
    .exitOverride();
  registerRunCommands(program);
  registerDlqCommands(program);
  registerTemporalCommands(program);
  registerWebhookCommands(program);
  registerSyncCommands(program);
  registerConflictCommands(program);
  registerProviderCommands(program);
  registerStatusCommand(program);
  return program;
}

/** Runs the CLI; a JunctionError becomes a one-line message and exit code 1, never a stack trace. */
export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    // Temporal refusing a call because the namespace lacks Junction's search attributes: say what to run.
    const known = error instanceof JunctionError ? error : namespaceNotSetUp(error);
    if (known) {
      process.stderr.write(`junction: ${known.message}\n`);
      process.exitCode = 1;
      return;
    }
    process.stderr.write(
      `junction: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  }
}
