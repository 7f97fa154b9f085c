import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { BurstResult, FleetCallerOptions } from './fleetCaller';

const tsx = require.resolve('tsx/cjs');

export interface FleetCaller {
  burst(mode: 'stale' | 'rejected'): Promise<BurstResult>;
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
  const waiting = new Map<number, (result: BurstResult) => void>();
  let next = 0;
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`fleet caller exited with ${code} before it was ready`)));
    child.on('message', (message: BurstResult | { type: 'ready' }) => {
      if (message.type === 'ready') resolve();
      else waiting.get(message.id)?.(message);
    });
  });
  return {
    burst: (mode) =>
      new Promise((resolve) => {
        const id = next++;
        waiting.set(id, resolve);
        child.send({ type: 'burst', id, mode });
      }),
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
