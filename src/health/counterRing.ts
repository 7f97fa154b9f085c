import type { Registry } from 'prom-client';

/** Counter values by series: `name{label="value",…}` (labels sorted) → value. */
export type CounterValues = Map<string, number>;

interface Sample {
  at: number;
  values: CounterValues;
}

/** A series key as Prometheus would print it, labels sorted, so keys compare across reads. */
export function seriesKey(name: string, labels: Record<string, string | number | undefined>): string {
  const parts = Object.entries(labels)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${JSON.stringify(String(value))}`);
  return `${name}{${parts.join(',')}}`;
}

/** Reads the named counters of a prom-client registry (absent ones are skipped: no worker, no calls). */
export function registryCounters(registry: Registry, names: readonly string[]): () => Promise<CounterValues> {
  return async () => {
    const values: CounterValues = new Map();
    for (const name of names) {
      const metric = registry.getSingleMetric(name);
      if (!metric) continue;
      const read = await metric.get();
      for (const value of read.values) values.set(seriesKey(name, value.labels), value.value);
    }
    return values;
  };
}

/** The labels of a series key (the inverse of `seriesKey`), and its name. */
export function parseSeriesKey(key: string): { name: string; labels: Record<string, string> } {
  const open = key.indexOf('{');
  const labels: Record<string, string> = {};
  for (const match of key.slice(open + 1, -1).matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*")/g)) {
    labels[match[1] as string] = JSON.parse(match[2] as string) as string;
  }
  return { name: key.slice(0, open), labels };
}

/** What changed in a window: per series, the increase, and how much of the window the samples cover. */
export interface WindowDelta {
  windowMs: number;
  coveredMs: number;
  increase: CounterValues;
}

/**
 * A small in-process ring of counter samples, so rates over the last 5 and 60 minutes can be told from
 * counters that only ever grow. A sample every `intervalMs` (15 s by default) for `horizonMs` (an hour): about
 * 240 small maps. The window's start is the newest sample at or before `now - window`; a process younger
 * than the window counts from its first sample (and says so in `coveredMs`).
 */
export class CounterRing {
  private readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly read: () => Promise<CounterValues>,
    private readonly options: { intervalMs: number; horizonMs: number; now: () => number },
  ) {}

  /** Takes the first sample and one every interval after it (the timer does not hold the process open). */
  async start(): Promise<void> {
    await this.sample();
    this.timer ??= setInterval(() => void this.sample().catch(() => undefined), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** When the oldest sample kept was taken (the start of what this process has seen), epoch ms. */
  get since(): number | undefined {
    return this.samples[0]?.at;
  }

  async sample(): Promise<void> {
    const at = this.options.now();
    this.samples.push({ at, values: await this.read() });
    // Keep the newest sample at or before the horizon's start: it is the base of the longest window.
    const horizonStart = at - this.options.horizonMs;
    while (this.samples.length > 2 && (this.samples[1] as Sample).at <= horizonStart) this.samples.shift();
  }

  /** The increase of every series over the last `windowMs`, from the current values. */
  async window(windowMs: number, current?: CounterValues): Promise<WindowDelta> {
    const now = this.options.now();
    const values = current ?? (await this.read());
    const start = now - windowMs;
    let base: Sample | undefined;
    for (const sample of this.samples) {
      if (sample.at <= start) base = sample;
      else break;
    }
    base ??= this.samples[0];
    const increase: CounterValues = new Map();
    for (const [key, value] of values) {
      // A counter lower than its base was reset (a re-created registry): count from zero.
      const before = base?.values.get(key) ?? 0;
      const delta = value >= before ? value - before : value;
      if (delta > 0) increase.set(key, delta);
    }
    const coveredMs = base ? Math.min(windowMs, now - base.at) : 0;
    return { windowMs, coveredMs, increase };
  }

  /** Current values of the counters (no sample kept). */
  current(): Promise<CounterValues> {
    return this.read();
  }
}
