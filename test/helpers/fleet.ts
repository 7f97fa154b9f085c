import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { BurstResult, FleetCallerOptions, LoadReport } from './fleetCaller';

const tsx = require.resolve('tsx/cjs');

export interface FleetCaller {
  burst(mode: 'stale' | 'rejected'): Promise<BurstResult>;
  /** Every caller asks for headers again and again, up to `pauseMs` apart, until `unload`. */
  load(pauseMs: number): Promise<LoadReport>;
  /** What the loaded callers saw since the last report (or since `load`). */
  report(): Promise<LoadReport>;
  /** Stops the load; answers once every caller's last call has returned. */
  unload(): Promise<LoadReport>;
  stop(): Promise<void>;
}

/** Starts test/helpers/fleetCaller.ts as a process of its own (its own Temporal connection and caches). */
export async function startFleetCaller(
  options: FleetCallerOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<FleetCaller> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--require', tsx, join(__dirname, 'fleetCaller.ts'), JSON.stringify(options)],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env },
  );
  const waiting = new Map<number, (result: BurstResult | LoadReport) => void>();
  let next = 0;
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`fleet caller exited with ${code} before it was ready`)));
    child.on('message', (message: BurstResult | LoadReport | { type: 'ready' }) => {
      if (message.type === 'ready') resolve();
      else waiting.get(message.id)?.(message);
    });
  });
  const ask = <T extends BurstResult | LoadReport>(command: Record<string, unknown>) =>
    new Promise<T>((resolve) => {
      const id = next++;
      waiting.set(id, (result) => {
        waiting.delete(id);
        resolve(result as T);
      });
      child.send({ ...command, id });
    });
  return {
    burst: (mode) => ask<BurstResult>({ type: 'burst', mode }),
    load: (pauseMs) => ask<LoadReport>({ type: 'load', pauseMs }),
    report: () => ask<LoadReport>({ type: 'report' }),
    unload: () => ask<LoadReport>({ type: 'unload' }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
