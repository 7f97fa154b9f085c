/** `npm run bench [-- name…]`: runs the named benchmarks (all by default) and prints their tables. */
import pino from 'pino';
import { loggerOptions } from '../src/logging/logger';
import { installRuntime } from '../src/temporal/runtime';
import { benchCalls } from './calls';
import { benchIngest } from './ingest';
import { benchMemory } from './memory';
import { benchOrdering } from './ordering';
import { benchOverload } from './overload';
import { benchRefresh } from './refresh';
import { benchSchemes } from './schemes';
import { benchSync } from './sync';

const BENCHMARKS: Record<string, () => Promise<void>> = {
  ingest: benchIngest,
  overload: benchOverload,
  schemes: benchSchemes,
  ordering: benchOrdering,
  refresh: benchRefresh,
  calls: benchCalls,
  sync: benchSync,
  memory: benchMemory,
};

async function main() {
  // One SDK runtime per process: its log goes nowhere, so expected warnings (retries in the outage scenario)
  // do not drown the tables.
  await installRuntime(
    pino(loggerOptions({ level: 'error' }), pino.destination({ dest: '/dev/null', sync: false })),
    {
      metrics: false,
    },
  );
  const names = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
  const selected = names.length > 0 ? names : Object.keys(BENCHMARKS);
  for (const name of selected) {
    const bench = BENCHMARKS[name];
    if (!bench) {
      process.stderr.write(`unknown benchmark "${name}"; known: ${Object.keys(BENCHMARKS).join(', ')}\n`);
      process.exitCode = 2;
      return;
    }
    await bench();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
