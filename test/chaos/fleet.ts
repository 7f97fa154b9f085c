import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startDevServer, type DevServer } from '../../src/temporal/devServer';
import { freePort } from '../../src/temporal/runtime';
import { killProcess, startJunctionProcess } from '../helpers/junctionProcess';

/** One `junction server` or `junction worker` process, which can be killed and started again. */
export interface Member {
  name: string;
  child: ChildProcess | undefined;
  /** Times it was started again after a kill, or after it exited on its own. */
  restarts: number;
  unexpectedExits: number;
}

/**
 * Junction as separate processes, as compose runs them (the compiled `bin/junction.js`): one server on a fixed
 * port and two workers, on a Temporal dev server of the test's own that keeps its state in a data directory, so
 * it can be stopped and started again without losing executions.
 */
export class Fleet {
  readonly members = new Map<string, Member>();
  temporal: DevServer | undefined;
  private stopping = false;

  private constructor(
    private readonly configFile: string,
    private readonly temporalPort: number,
    private readonly dataDir: string,
    readonly serverPort: number,
  ) {}

  static async start(config: Record<string, unknown>): Promise<Fleet> {
    const dir = mkdtempSync(join(tmpdir(), 'junction-chaos-'));
    const configFile = join(dir, 'junction.config.yaml');
    writeFileSync(configFile, stringify(config));
    const fleet = new Fleet(configFile, await freePort(), join(dir, 'temporal'), await freePort());
    await fleet.startTemporal();
    await Promise.all([fleet.spawn('server'), fleet.spawn('worker-a'), fleet.spawn('worker-b')]);
    return fleet;
  }

  get serverUrl(): string {
    return `http://127.0.0.1:${this.serverPort}`;
  }

  get temporalAddress(): string {
    return `127.0.0.1:${this.temporalPort}`;
  }

  async startTemporal(): Promise<void> {
    const path = process.env.JUNCTION_TEST_TEMPORAL_CLI;
    if (!path) throw new Error('JUNCTION_TEST_TEMPORAL_CLI is not set: run through jest (globalSetup)');
    this.temporal = await startDevServer({
      cli: { kind: 'binary', path, origin: 'PATH' },
      port: this.temporalPort,
      dataDir: this.dataDir,
    });
  }

  /** Stops the Temporal dev server (SIGTERM); its data directory stays. */
  async stopTemporal(): Promise<void> {
    await this.temporal?.stop();
    this.temporal = undefined;
  }

  /** Starts `name` (`server`, or a worker) and resolves once it says it is running. */
  async spawn(name: string): Promise<void> {
    const member = this.members.get(name) ?? { name, child: undefined, restarts: 0, unexpectedExits: 0 };
    this.members.set(name, member);
    const role = name === 'server' ? 'server' : 'worker';
    const child = await startJunctionProcess(role, {
      name,
      configFile: this.configFile,
      temporalAddress: this.temporalAddress,
      port: role === 'server' ? this.serverPort : 0,
    });
    member.child = child;
    // A process that dies on its own is started again, as a supervisor (compose, systemd) would.
    child.once('exit', (_code, signal) => {
      if (this.stopping || signal === 'SIGKILL' || member.child !== child) return;
      member.unexpectedExits++;
      void this.spawn(name).catch(() => undefined);
    });
  }

  /** SIGKILLs `name`, waits for it to be gone, and starts it again. */
  async killAndRestart(name: string): Promise<void> {
    const member = this.members.get(name);
    const child = member?.child;
    if (!member || !child) throw new Error(`no ${name}`);
    await killProcess(child);
    member.restarts++;
    await this.spawn(name);
  }

  /** Stops every process this fleet started: Junction's first, then Temporal. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.members.values()].map(({ child }) => killProcess(child)));
    await this.stopTemporal();
  }
}
