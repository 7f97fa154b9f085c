import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TemporalError } from '../shared/errors';
import type { TemporalCli } from './provision';
import { searchAttributeArgs } from './searchAttributes';
import { spawnSupervised, waitUntilServing } from './supervised';

export interface DevServerOptions {
  cli: TemporalCli;
  ip?: string;
  port: number;
  namespace?: string;
  /** Directory for the SQLite file (`temporal.db`); in-memory when omitted. */
  dataDir?: string;
  /** Web UI port; the UI is off when omitted. */
  uiPort?: number;
  /** Remote codec endpoint the UI calls to decode payloads. */
  uiCodecEndpoint?: string;
  extraArgs?: string[];
  /** Lines the server prints (it logs at warn level and above). */
  onLog?: (line: string) => void;
  readyTimeoutMs?: number;
}

export interface DevServer {
  address: string;
  uiUrl: string | undefined;
  namespace: string;
  stop(): Promise<void>;
}

function devServerArgs(options: DevServerOptions, namespace: string): string[] {
  const args = [
    'server',
    'start-dev',
    '--ip',
    options.ip ?? '127.0.0.1',
    '--port',
    String(options.port),
    '--namespace',
    namespace,
    '--log-level',
    'warn',
    ...searchAttributeArgs(),
  ];
  if (options.dataDir) {
    const dir = resolve(options.dataDir);
    mkdirSync(dir, { recursive: true });
    // Without WAL every write fsyncs the whole journal: a file-backed dev server is several times slower.
    args.push('--db-filename', join(dir, 'temporal.db'));
    args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  }
  if (options.uiPort) {
    args.push('--ui-port', String(options.uiPort), '--ui-ip', options.ip ?? '127.0.0.1');
    if (options.uiCodecEndpoint) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  } else {
    args.push('--headless');
  }
  return [...args, ...(options.extraArgs ?? [])];
}

async function startFromBinary(
  path: string,
  options: DevServerOptions,
  namespace: string,
): Promise<DevServer> {
  const args = devServerArgs(options, namespace);
  const child = spawnSupervised(path, args, { onLog: options.onLog });
  const ip = options.ip ?? '127.0.0.1';
  const address = `${ip}:${options.port}`;
  try {
    await waitUntilServing(address, child, options.readyTimeoutMs ?? 60_000);
  } catch (error) {
    child.kill();
    throw error;
  }
  return {
    address,
    namespace,
    uiUrl: options.uiPort ? `http://${ip}:${options.uiPort}` : undefined,
    stop: () => child.stop(),
  };
}

async function startFromSdkDownload(
  cli: Extract<TemporalCli, { kind: 'sdk-download' }>,
  options: DevServerOptions,
  namespace: string,
): Promise<DevServer> {
  // Loaded lazily: the testing package pulls in the worker runtime, which only this fallback needs.
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const extraArgs = [...searchAttributeArgs(), '--log-level', 'warn', ...(options.extraArgs ?? [])];
  let dbFilename: string | undefined;
  if (options.dataDir) {
    mkdirSync(resolve(options.dataDir), { recursive: true });
    dbFilename = join(resolve(options.dataDir), 'temporal.db');
    extraArgs.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  }
  if (options.uiPort && options.uiCodecEndpoint)
    extraArgs.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  try {
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'cached-download', downloadDir: cli.downloadDir },
        ip: options.ip ?? '127.0.0.1',
        port: options.port,
        namespace,
        dbFilename,
        ui: Boolean(options.uiPort),
        uiPort: options.uiPort,
        extraArgs,
      },
    });
    const ip = options.ip ?? '127.0.0.1';
    return {
      address: env.address,
      namespace,
      uiUrl: options.uiPort ? `http://${ip}:${options.uiPort}` : undefined,
      stop: () => env.teardown(),
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TemporalError(
      'temporal_cli_unavailable',
      [
        'no Temporal CLI could be found or provided. Tried, in order:',
        ...cli.tried.map((line) => `  - ${line}`),
        `  - the SDK's own download: failed: ${reason}`,
        'Set TEMPORAL_CLI_PATH to a `temporal` binary, put one on PATH, install Go so Junction can build',
        'it, or set TEMPORAL_ADDRESS to use a Temporal server that is already running.',
      ].join('\n'),
      { cause: error },
    );
  }
}

/** Starts `temporal server start-dev` with Junction's search attributes registered, and waits until it serves. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const namespace = options.namespace ?? 'default';
  if (options.cli.kind === 'binary') return startFromBinary(options.cli.path, options, namespace);
  return startFromSdkDownload(options.cli, options, namespace);
}
