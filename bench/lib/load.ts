/** Latency figures of one load run. */
export interface LoadResult {
  name: string;
  requests: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}

/**
 * Runs `operation(i)` for i = 0…total-1 with `concurrency` in flight at once, and measures each call.
 * An operation that throws or returns false counts as an error.
 */
export async function runLoad(
  name: string,
  total: number,
  concurrency: number,
  operation: (index: number) => Promise<boolean>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = process.hrtime.bigint();
  const lane = async () => {
    for (;;) {
      const index = next++;
      if (index >= total) return;
      const t0 = process.hrtime.bigint();
      let ok = false;
      try {
        ok = await operation(index);
      } catch {
        ok = false;
      }
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (!ok) errors++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  return {
    name,
    requests: total,
    errors,
    seconds,
    perSecond: total / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

/** Merges the rounds of one scenario: total requests over total time, and the median of the percentiles. */
export function combine(name: string, rounds: LoadResult[]): LoadResult {
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  const requests = rounds.reduce((sum, r) => sum + r.requests, 0);
  const seconds = rounds.reduce((sum, r) => sum + r.seconds, 0);
  return {
    name,
    requests,
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    seconds,
    perSecond: requests / seconds,
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
  };
}

export function printTable(title: string, rows: LoadResult[]): void {
  const header = ['scenario', 'requests', 'errors', 'per second', 'p50 ms', 'p99 ms'];
  const lines = rows.map((r) => [
    r.name,
    String(r.requests),
    String(r.errors),
    r.perSecond.toFixed(1),
    r.p50Ms.toFixed(2),
    r.p99Ms.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const format = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  process.stdout.write(`\n${title}\n${format(header)}\n${lines.map(format).join('\n')}\n`);
}
