// Figures the benches report: percentiles, main-thread CPU, and the machine line that heads a
// result (bench/RESULTS.md records it with every table).
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** The p-th percentile (0-100, nearest rank, rounded down) of ascending `sorted`; NaN if empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** {@link percentile} of `values` in any order (sorts a copy). */
export function percentileOf(values: readonly number[], p: number): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    p,
  );
}

/**
 * CPU time of the main thread alone (user + system, ms, 10 ms resolution), from Linux's
 * /proc/self/task/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s); NaN elsewhere.
 * process.cpuUsage counts every thread, so it hides what a worker takes off the main thread.
 */
export function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** `N × <cpu model>, Node vX` for a result's header. */
export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}`;
}

/** The 1, 5 and 15 minute load averages, one decimal each. */
export function loadAverages(): string {
  return loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
}
