import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

/**
 * Runs the compiled `junction <role>` (`bin/junction.js`, as deployed) with a config file, and resolves once
 * it prints its banner. The volume suites use the build (`npm run build`) rather than tsx: cheaper per process.
 */
export async function startJunctionProcess(
  role: 'server' | 'worker',
  options: { configFile: string; temporalAddress: string; port?: number; name?: string },
): Promise<ChildProcess> {
  if (!existsSync(join(root, 'dist', 'src', 'cli', 'main.js')))
    throw new Error('dist/ is missing: build first (npx tsc -p tsconfig.build.json)');
  const name = options.name ?? role;
  const child = spawn(process.execPath, [join(root, 'bin', 'junction.js'), role], {
    env: {
      ...process.env,
      JUNCTION_CONFIG: options.configFile,
      TEMPORAL_ADDRESS: options.temporalAddress,
      PORT: String(options.port ?? 0),
      JUNCTION_LOG_LEVEL: 'error',
      // The run's workflow bundle (globalSetup): a worker restarts in seconds, not a bundling later.
      JUNCTION_WORKFLOW_BUNDLE: process.env.JUNCTION_TEST_WORKFLOW_BUNDLE,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-4_000));
  child.stderr?.on('data', collect);
  child.stdout?.on('data', collect);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${output}`)), 180_000);
    const onExit = (code: number | null, signal: string | null) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was running:\n${output}`));
    };
    child.once('exit', onExit);
    const onData = () => {
      if (!/Junction is running/.test(output)) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout?.off('data', onData);
      resolve();
    };
    child.stdout?.on('data', onData);
  });
  return child;
}

/** SIGKILLs a child (if still running) and waits until it is gone. */
export async function killProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}
