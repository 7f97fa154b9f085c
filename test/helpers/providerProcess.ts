import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { join } from 'node:path';

const tsx = require.resolve('tsx/cjs');

/** A request as the provider saw it arrive: its path and the provider's clock (ms) when it came in. */
export interface Arrival {
  path: string;
  at: number;
}

export interface ProviderProcess {
  url: string;
  arrivals(): Promise<Arrival[]>;
  /** Forgets the arrivals so far. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

type Reply = { type: 'ready'; url: string } | { type: 'arrivals'; arrivals: Arrival[] } | { type: 'reset' };

/**
 * The fake provider (src/demo/fakeProvider.ts) in a process of its own, counting arrival times where a real
 * provider would: nothing else runs on its event loop to delay them.
 */
export async function startProviderProcess(
  options: { itemCount?: number; apiKey?: string } = {},
): Promise<ProviderProcess> {
  const child = spawn(
    process.execPath,
    ['--require', tsx, join(__dirname, 'providerProcessMain.ts'), JSON.stringify(options)],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  // A real provider has CPUs of its own: on a busy machine (tests and benchmarks of others beside these),
  // the provider process is scheduled ahead of the rest where the OS lets it, so that what it records is the
  // requests' arrival rather than its own wait for a CPU. Without the privilege it runs at normal priority.
  try {
    if (child.pid) setPriority(child.pid, -10);
  } catch {
    // not permitted: normal priority
  }
  const waiting = new Map<Reply['type'], (reply: Reply) => void>();
  child.on('message', (reply: Reply) => {
    const resolve = waiting.get(reply.type);
    waiting.delete(reply.type);
    resolve?.(reply);
  });
  const ask = (type: 'arrivals' | 'reset', expect: Reply['type'] = type) =>
    new Promise<Reply>((resolve) => {
      waiting.set(expect, resolve);
      child.send({ type });
    });
  const ready = await new Promise<Reply>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the provider process exited with ${code}`)));
    waiting.set('ready', resolve);
  });
  return {
    url: (ready as { url: string }).url,
    arrivals: async () => ((await ask('arrivals')) as { arrivals: Arrival[] }).arrivals,
    reset: async () => void (await ask('reset')),
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

/**
 * The most arrivals in any one-second window [t, t + 1000 ms) and when it starts (ms after the first
 * arrival), and the sustained rate: calls per second
 * between the arrivals at 10 % and at 90 % of the run (the ramp-up at the start and the last stragglers
 * are not the steady state).
 */
export function arrivalFigures(times: number[]): {
  worstWindow: number;
  worstAtMs: number;
  sustained: number;
} {
  const sorted = [...times].sort((a, b) => a - b);
  let worstWindow = 0;
  let worstAtMs = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= 1_000) start++;
    if (end - start + 1 > worstWindow) {
      worstWindow = end - start + 1;
      worstAtMs = sorted[start]! - sorted[0]!;
    }
  }
  const first = Math.floor(sorted.length * 0.1);
  const last = Math.max(first, Math.ceil(sorted.length * 0.9) - 1);
  const spanMs = sorted[last]! - sorted[first]!;
  return { worstWindow, worstAtMs, sustained: spanMs > 0 ? ((last - first) * 1_000) / spanMs : 0 };
}
