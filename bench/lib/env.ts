import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServer, type DevServer } from '../../src/temporal/devServer';
import { provisionTemporalCli } from '../../src/temporal/provision';
import { freePort } from '../../src/temporal/runtime';

/**
 * A dev server for a benchmark: file-backed with WAL, as `junction dev` runs it, unless
 * JUNCTION_BENCH_IN_MEMORY=1. Or an existing server when TEMPORAL_ADDRESS is set.
 */
export async function benchTemporal(): Promise<{ address: string; stop(): Promise<void> }> {
  if (process.env.TEMPORAL_ADDRESS)
    return { address: process.env.TEMPORAL_ADDRESS, stop: async () => undefined };
  const cli = await provisionTemporalCli({ onProgress: (line) => process.stderr.write(`${line}\n`) });
  const dataDir = process.env.JUNCTION_BENCH_IN_MEMORY
    ? undefined
    : mkdtempSync(join(tmpdir(), 'junction-bench-'));
  const server: DevServer = await startDevServer({ cli, port: await freePort(), dataDir });
  return { address: server.address, stop: () => server.stop() };
}

export function numberFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}
