import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second for /proc/<pid>/stat (USER_HZ is 100 on Linux). */
const TICKS_PER_SECOND = 100;

function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1_000) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/** The pid of the first process whose program is `program` and whose arguments include `argument`. */
export function findPid(program: string, argument: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args[0]?.endsWith(program) && args.includes(argument)) return Number(entry);
    } catch {
      // the process went away
    }
  }
  return undefined;
}

/** CPU time (user + system) used by named processes between `start()` and the returned function's call. */
export function cpuMeter(pids: Record<string, number | undefined>) {
  const present = Object.entries(pids).filter((entry): entry is [string, number] => entry[1] !== undefined);
  const before = Object.fromEntries(present.map(([name, pid]) => [name, cpuMs(pid)]));
  return () => Object.fromEntries(present.map(([name, pid]) => [name, cpuMs(pid) - (before[name] ?? 0)]));
}

/** Sums CPU readings of several rounds, per process. */
export function addCpu(
  total: Record<string, number>,
  reading: Record<string, number>,
): Record<string, number> {
  for (const [name, ms] of Object.entries(reading)) total[name] = (total[name] ?? 0) + ms;
  return total;
}

/** Prints CPU milliseconds per request, per process, for each scenario. */
export function printCpu(
  title: string,
  rows: Array<{ name: string; requests: number; cpu: Record<string, number> }>,
) {
  const processes = [...new Set(rows.flatMap((row) => Object.keys(row.cpu)))];
  const header = ['scenario', ...processes.map((p) => `${p} ms/req`), 'total ms/req'];
  const lines = rows.map((row) => {
    const values = processes.map((p) => (row.cpu[p] ?? 0) / row.requests);
    return [row.name, ...values.map((v) => v.toFixed(2)), values.reduce((a, b) => a + b, 0).toFixed(2)];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const format = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  process.stdout.write(`\n${title}\n${format(header)}\n${lines.map(format).join('\n')}\n`);
}
