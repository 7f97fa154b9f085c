import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../src/temporal/runtime';

const root = join(__dirname, '..', '..');

/** One payload-encryption key for every process of a benchmark run (they must read each other's payloads). */
export const BENCH_CODEC_KEYS =
  process.env.JUNCTION_CODEC_KEYS || `bench:${randomBytes(32).toString('base64')}`;

/** The secret every delivery of a benchmark run is signed with (workers refuse to send unsigned). */
export const BENCH_DELIVERY_SECRET = `whsec_${randomBytes(32).toString('base64')}`;

/** Children still running; killed when the benchmark exits, however it exits short of SIGKILL. */
const children = new Set<ChildProcess>();
const killChildren = () => {
  for (const child of children) child.kill('SIGKILL');
};
process.once('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killChildren();
    process.exit(130);
  });
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export interface BenchProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function waitReady(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not become ready`);
}

function stopper(child: ChildProcess) {
  return async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  };
}

/** Runs a compiled `junction <role>` (server or worker) as its own process, logging at info to /dev/null. */
export async function startJunctionProcess(
  role: 'server' | 'worker',
  config: Record<string, unknown>,
  env: Record<string, string>,
  extraNodeArgs: string[] = [],
): Promise<BenchProcess> {
  const dir = mkdtempSync(join(tmpdir(), `junction-bench-${role}-`));
  const file = join(dir, 'junction.config.yaml');
  writeFileSync(file, stringify(config));
  const port = await freePort();
  // Extra Node flags for one role, e.g. BENCH_WORKER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'.
  const extra = process.env[`BENCH_${role.toUpperCase()}_NODE_ARGS`];
  const nodeArgs = [...(extra ? extra.split(' ') : []), ...extraNodeArgs];
  const child = track(
    spawn(process.execPath, [...nodeArgs, join(root, 'bin', 'junction.js'), role], {
      env: {
        ...process.env,
        JUNCTION_CODEC_KEYS: BENCH_CODEC_KEYS,
        JUNCTION_DELIVERY_SIGNING_SECRETS: BENCH_DELIVERY_SECRET,
        ...env,
        JUNCTION_CONFIG: file,
        PORT: String(port),
        JUNCTION_LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, child);
  return { url, child, stop: stopper(child) };
}

/** Runs the bare Fastify baseline as its own process. */
export async function startBareServer(): Promise<BenchProcess> {
  const port = await freePort();
  const child = track(
    // Run from source through tsx, like the benchmarks themselves: nothing of bench/ is compiled into dist.
    spawn(
      process.execPath,
      ['--require', require.resolve('tsx/cjs'), join(__dirname, 'bareServer.ts'), String(port)],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    ),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, child);
  return { url, child, stop: stopper(child) };
}
