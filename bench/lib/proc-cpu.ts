// CPU time of other processes (the node processes of a devnet) from Linux's /proc: on a shared,
// loaded machine the CPU a process spent per committed tx is a steadier figure than wall time.
// Fields of /proc/<pid>/stat and /proc/<pid>/task/<tid>/stat after the `(comm)`: state is
// field 3, ppid 4, utime 14 and stime 15 (clock ticks, 1/100 s on Linux), proc(5).
import { readFileSync, readdirSync } from 'node:fs';

const TICK_MS = 10;

/** Fields after `(comm)` of a stat line, numbered so that fields[i - 3] is proc(5)'s field i. */
function statFields(path: string): { comm: string; fields: string[] } | undefined {
  try {
    const stat = readFileSync(path, 'utf8');
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    return { comm: stat.slice(open + 1, close), fields: stat.slice(close + 2).split(' ') };
  } catch {
    return undefined; // the process or thread exited between listing and reading
  }
}

/** Pids of the live children of `ppid` (empty off Linux). */
export function childPids(ppid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = statFields(`/proc/${entry}/stat`);
    if (stat !== undefined && Number(stat.fields[1]) === ppid) out.push(Number(entry));
  }
  return out.sort((a, b) => a - b);
}

/** The command line of `pid` as its arguments ([] if it is gone). */
export function argvOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((a) => a !== '');
  } catch {
    return [];
  }
}

/** CPU (user + system, ms) of one process's threads, by thread: the main thread first. */
export interface ProcessCpu {
  pid: number;
  totalMs: number;
  mainMs: number;
  /** `<name>#<tid>` → ms of each thread but the main one (Node's workers are all named `node`). */
  threads: Map<string, number>;
}

/** Reads the CPU of `pid` and of each of its threads; undefined if it is gone. */
export function processCpu(pid: number): ProcessCpu | undefined {
  const whole = statFields(`/proc/${pid}/stat`);
  if (whole === undefined) return undefined;
  const ms = (f: string[]) => (Number(f[11]) + Number(f[12])) * TICK_MS;
  const threads = new Map<string, number>();
  let mainMs = 0;
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    // gone since: the totals stay
  }
  for (const tid of tids) {
    const stat = statFields(`/proc/${pid}/task/${tid}/stat`);
    if (stat === undefined) continue;
    if (Number(tid) === pid) mainMs = ms(stat.fields);
    else threads.set(`${stat.comm}#${tid}`, ms(stat.fields));
  }
  return { pid, totalMs: ms(whole.fields), mainMs, threads };
}

/** CPU spent by each process between two readings (same pids, same order). */
export function cpuDelta(before: ProcessCpu[], after: ProcessCpu[]): ProcessCpu[] {
  return after.map((a) => {
    const b = before.find((p) => p.pid === a.pid);
    const threads = new Map<string, number>();
    for (const [name, value] of a.threads) threads.set(name, value - (b?.threads.get(name) ?? 0));
    return {
      pid: a.pid,
      totalMs: a.totalMs - (b?.totalMs ?? 0),
      mainMs: a.mainMs - (b?.mainMs ?? 0),
      threads,
    };
  });
}

/**
 * CPU ticks (1/100 s: utime + stime) per thread of this process, by kernel thread id (Linux;
 * empty elsewhere): to split a bench's CPU between the host thread, the enclave and V8's helpers.
 */
export function threadTicks(): Map<string, number> {
  const ticks = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return ticks; // not Linux: no split
  }
  for (const tid of tids) {
    const stat = statFields(`/proc/self/task/${tid}/stat`);
    if (stat !== undefined) ticks.set(tid, Number(stat.fields[11]) + Number(stat.fields[12]));
  }
  return ticks;
}
