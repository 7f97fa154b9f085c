import { spawn } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { TemporalError } from '../shared/errors';

/**
 * A tiny supervisor run with `node -e`: it starts a Temporal binary and kills it when Junction's
 * process goes away, even by SIGKILL (the IPC channel then disconnects). A Temporal server Junction
 * started never outlives the process that started it.
 */
const GUARDIAN = `
const { spawn } = require('node:child_process');
const [bin, ...args] = process.argv.slice(1);
const child = spawn(bin, args, { stdio: ['ignore', 'inherit', 'inherit'] });
let killTimer;
const stop = (signal) => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  if (!killTimer) killTimer = setTimeout(() => child.kill('SIGKILL'), 10000);
};
process.on('disconnect', () => stop('SIGTERM'));
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGTERM'));
child.on('error', (error) => { console.error('guardian: ' + error.message); process.exit(127); });
child.on('exit', (code, signal) => { clearTimeout(killTimer); process.exit(code === null ? 1 : code); });
`;

export interface SupervisedProcess {
  /** The last lines the process printed, for error messages. */
  lastLines: string[];
  exitCode(): number | null;
  /** Resolves when the process has exited, for whatever reason. */
  exited: Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
  kill(): void;
}

/** Starts `path args` under the guardian; its output goes to `onLog` line by line. */
export function spawnSupervised(
  path: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; onLog?: (line: string) => void; keepLines?: number } = {},
): SupervisedProcess {
  const child = spawn(process.execPath, ['-e', GUARDIAN, path, ...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const lastLines: string[] = [];
  const onOutput = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      lastLines.push(line);
      if (lastLines.length > (options.keepLines ?? 10)) lastLines.shift();
      options.onLog?.(line);
    }
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  // The IPC channel only exists so the guardian notices our death; it must not keep us alive.
  child.unref();
  child.channel?.unref();
  (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  return {
    lastLines,
    exited,
    exitCode: () => child.exitCode,
    kill: () => child.kill('SIGKILL'),
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Polls the gRPC health service at `address` until it answers, the process exits, or time runs out. */
export async function waitUntilServing(
  address: string,
  process: SupervisedProcess,
  timeoutMs: number,
  what = 'the Temporal dev server',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const code = process.exitCode();
    if (code !== null) {
      throw new TemporalError(
        'temporal_unavailable',
        `${what} exited with code ${code} before it was ready: ${process.lastLines.join(' | ')}`,
      );
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.healthService.check({});
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new TemporalError(
    'temporal_unavailable',
    `${what} did not answer on ${address} within ${timeoutMs} ms: ${String(lastError)} ${process.lastLines.join(' | ')}`,
  );
}
