import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { TemporalError } from '../shared/errors';

/** The newest Temporal CLI release that `go install` can build (later ones carry a `replace` directive). */
export const TEMPORAL_CLI_VERSION = '1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';

export type TemporalCli =
  | { kind: 'binary'; path: string; origin: 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'go install' }
  /** No binary could be found or built: let the SDK download one (needs internet). */
  | { kind: 'sdk-download'; downloadDir: string; tried: string[] };

export interface ProvisionOptions {
  env?: NodeJS.ProcessEnv;
  /** Called with human-readable progress lines while `go install` runs (it takes minutes the first time). */
  onProgress?: (line: string) => void;
  /** Whether building with Go may be attempted; tests of the search order turn it off. */
  allowGoInstall?: boolean;
}

/** `$JUNCTION_CACHE_DIR`, else `$XDG_CACHE_HOME/junction`, else `~/.cache/junction`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.JUNCTION_CACHE_DIR) return env.JUNCTION_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(base, 'junction');
}

/** Where the `go install` build of the pinned CLI version is kept between runs. */
export function cachedCliPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), `temporal-cli-${TEMPORAL_CLI_VERSION}`, 'temporal');
}

export function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Looks `name` up on PATH the way a shell would. */
export function whichSync(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Runs `go install <packages>` with `GOBIN=gobin`, passing its output and a tick every 15 s to `onProgress`
 * (a first build takes minutes).
 */
export function runGoInstall(
  go: string,
  gobin: string,
  env: NodeJS.ProcessEnv,
  onProgress: (line: string) => void,
  packages: string[] = [`${TEMPORAL_CLI_MODULE}@v${TEMPORAL_CLI_VERSION}`],
  what = 'the Temporal CLI',
) {
  return new Promise<void>((resolve, reject) => {
    const started = Date.now();
    const child = spawn(go, ['install', ...packages], {
      env: { ...env, GOBIN: gobin, GOFLAGS: [env.GOFLAGS, '-mod=mod'].filter(Boolean).join(' ') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 20) tail.shift();
        onProgress(`go: ${line.replace(/^go: /, '')}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const ticker = setInterval(() => {
      onProgress(`still building ${what} (${Math.round((Date.now() - started) / 1000)} s elapsed)…`);
    }, 15_000);
    child.on('error', (error) => {
      clearInterval(ticker);
      reject(error);
    });
    child.on('close', (code) => {
      clearInterval(ticker);
      if (code === 0) resolve();
      else reject(new Error(`go install exited with code ${code}: ${tail.slice(-5).join(' | ')}`));
    });
  });
}

/** `go` on PATH, else the standard /usr/local/go install. */
export function findGo(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return whichSync('go', env) ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
}

/**
 * Finds or provides the `temporal` binary that runs the dev server, in this order:
 * `TEMPORAL_CLI_PATH`, `temporal` on PATH, the cached build under the home directory, a fresh
 * `go install` of the pinned version into that cache, and finally the SDK's own download.
 */
export async function provisionTemporalCli(options: ProvisionOptions = {}): Promise<TemporalCli> {
  const env = options.env ?? process.env;
  const onProgress = options.onProgress ?? (() => undefined);
  const tried: string[] = [];

  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (isExecutable(explicit)) return { kind: 'binary', path: explicit, origin: 'TEMPORAL_CLI_PATH' };
    throw new TemporalError(
      'temporal_cli_unavailable',
      `TEMPORAL_CLI_PATH is set to ${explicit}, which is not an executable file`,
    );
  }
  tried.push('TEMPORAL_CLI_PATH: not set');

  const onPath = whichSync('temporal', env);
  if (onPath) return { kind: 'binary', path: onPath, origin: 'PATH' };
  tried.push('`temporal` on PATH: not found');

  const cached = cachedCliPath(env);
  if (isExecutable(cached)) return { kind: 'binary', path: cached, origin: 'cache' };
  tried.push(`cached build: none at ${cached}`);

  const go = findGo(env);
  if (options.allowGoInstall === false) {
    tried.push('go install: not attempted');
  } else if (!go) {
    tried.push('go install: Go is not installed');
  } else {
    const staging = `${cached}.build-${process.pid}`;
    mkdirSync(staging, { recursive: true });
    onProgress(
      `building the Temporal CLI ${TEMPORAL_CLI_VERSION} with \`go install\` into ${cached} (first run only; this takes a few minutes)`,
    );
    try {
      await runGoInstall(go, staging, env, onProgress);
      const built = join(staging, 'temporal');
      if (!existsSync(built)) throw new Error(`go install finished but ${built} does not exist`);
      renameSync(built, cached);
      onProgress(`Temporal CLI ready at ${cached}`);
      return { kind: 'binary', path: cached, origin: 'go install' };
    } catch (error) {
      tried.push(`go install: failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }

  return { kind: 'sdk-download', downloadDir: join(cacheDir(env), 'sdk-download'), tried };
}
