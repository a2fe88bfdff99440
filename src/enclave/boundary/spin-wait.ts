// Waiting for the other side of the channel: spin, then sleep in the kernel.
//
// Measured on this machine (2 cores, Node 20): a futex-only round trip costs 17–38 µs; a spin
// of 5,000 loads brings it to 0.3–1.1 µs when the answer comes within the spin. A fixed spin
// that short misses most crossings of a contract call: between two OCALLs the enclave runs
// wasm for tens of µs, so the host had already gone to sleep and every answer paid a wake-up
// on both sides (00:51 UTC: 1,071 transfers/s through the worker vs 1,884/s without it).
//
// So each waiting place keeps an `AdaptiveSpin`: it spins up to `maxMicros` of wall time while
// that has recently paid off (most recent waits ended within the budget), and falls back to the
// short base spin when it has not (a long contract run, an idle node between blocks), so a
// node does not burn a core waiting for something that comes late. Crossings the budget catches
// cost ~1 µs instead of a wake-up; the cost is the spinning thread's CPU while it waits, which
// is why the budget is bounded and why the host can switch it off (`spin: false`) on a machine
// running more validator processes than it has cores (bench/RESULTS.md "enclave"). The long
// spin is also skipped while the load average says the machine has no spare core.

import { availableParallelism, loadavg } from 'node:os';
import { FrameState, type Frame, type SharedChannel } from './channel.js';

/**
 * Wall time of the waiting thread. The clock decides only how long to spin before sleeping; it
 * never reaches a contract, a result or anything another validator sees (DESIGN.md §7 is about
 * execution outputs), so the lint rule against clocks is waived here and only here.
 */
// eslint-disable-next-line no-restricted-properties -- see above: spin timing only
const now: () => number = performance.now.bind(performance);

/**
 * The short spin that is always done first (loads of the state word). It was 5,000 loads, which
 * measured 41 µs of CPU here under load (01:45 UTC; a load of the shared word is ~8 ns): spent on
 * every one of a transfer's ~5 waits that end later, i.e. most of them. 256 loads (~2 µs) catch
 * an answer that is already on its way; longer spinning is the adaptive budget's job.
 */
const BASE_SPIN_LOADS = 256;
/** Clock reads are ~30 ns: look at the time only every 64 loads. */
const CLOCK_EVERY = 64;
/** How often the load average is looked at again (ms). */
const LOAD_CHECK_MS = 1_000;

/**
 * Whether the machine has a spare core for spinning: the 1-minute load average, minus up to one
 * runnable thread of our own (the spinning one), is below the number of cores. Measured
 * (01:15 UTC, load ~5 on 2 cores from other builds): spinning took the worker path from 667 to
 * 288 transfers/s, since the spinner took CPU from the enclave thread doing the work.
 */
let spareCore = true;
let spareCoreCheckedAt = -Infinity;
function machineHasSpareCore(at: number): boolean {
  if (at - spareCoreCheckedAt >= LOAD_CHECK_MS) {
    spareCoreCheckedAt = at;
    spareCore = (loadavg()[0] ?? 0) < availableParallelism() + 0.5;
  }
  return spareCore;
}

/** Default budgets (µs), chosen from bench/enclave.ts runs (ADR 006 "As built"). */
export const DEFAULT_SPIN = {
  /** Host, while its ECALL runs: the enclave computes between OCALLs. */
  host: { maxMicros: 500 },
  /** Enclave, waiting for an OCALL answer (the host serves it in a few µs when awake). */
  ocall: { maxMicros: 200 },
  /** Enclave, between ECALLs (the host applies a result and sends the next call). */
  idle: { maxMicros: 300 },
} as const;

export interface SpinPolicy {
  /** Longest spin (µs of wall time) while spinning pays off. 0 = base spin only. */
  maxMicros: number;
}

/**
 * An adaptive spin budget for one waiting place. `hitRate` is an exponential average (weight
 * 1/8) of "the wait ended within `maxMicros`": above one half the next wait spins up to
 * `maxMicros`; below, it spins only the base loads.
 */
export class AdaptiveSpin {
  private hitRate = 1;

  constructor(readonly policy: SpinPolicy) {}

  /** How long the next wait may spin (µs); 0 = base spin only. */
  budgetMicros(): number {
    return this.policy.maxMicros > 0 && this.hitRate >= 0.5 ? this.policy.maxMicros : 0;
  }

  /** Records how long a wait took (µs), whether it spun or slept. */
  record(waitedMicros: number): void {
    const hit = waitedMicros <= this.policy.maxMicros ? 1 : 0;
    this.hitRate += (hit - this.hitRate) / 8;
  }
}

/**
 * Spins without blocking in the kernel: the base loads, then up to the spin's budget of wall
 * time. Returns the frame if the state left `whileState` meanwhile (recording the hit), else
 * null with `startedAt` set, so the caller records the whole wait once it ends.
 */
export function spinPoll(
  channel: SharedChannel,
  whileState: FrameState,
  spin?: AdaptiveSpin,
): { frame: Frame; startedAt?: undefined } | { frame: null; startedAt: number } {
  for (let loads = 0; loads < BASE_SPIN_LOADS; loads++) {
    const frame = channel.poll(whileState);
    if (frame !== null) {
      spin?.record(0);
      return { frame };
    }
  }
  const start = now();
  const budget = spin !== undefined && machineHasSpareCore(start) ? spin.budgetMicros() : 0;
  if (budget > 0) {
    const deadline = start + budget / 1000;
    for (let loads = 1; ; loads++) {
      const frame = channel.poll(whileState);
      if (frame !== null) {
        spin?.record((now() - start) * 1000);
        return { frame };
      }
      if (loads % CLOCK_EVERY === 0 && now() > deadline) break;
    }
  }
  return { frame: null, startedAt: start };
}

/** Records a wait that began at `startedAt` (from `spinPoll`) and has just ended. */
export function recordWait(spin: AdaptiveSpin | undefined, startedAt: number): void {
  spin?.record((now() - startedAt) * 1000);
}

/** The clock reading `ms` from now: the end of one synchronous slice of the host (host-side.ts). */
export function deadlineAfter(ms: number): number {
  return now() + ms;
}

/** Whether the clock has passed `deadline` (from `deadlineAfter`). */
export function isPast(deadline: number): boolean {
  return now() >= deadline;
}

/**
 * Blocks in the kernel (no spinning: `spinPoll` comes first) until the state leaves `whileState`
 * or the clock reaches `deadline`. Returns the frame, or null when the deadline came first.
 */
export function waitUntil(channel: SharedChannel, whileState: FrameState, deadline: number): Frame | null {
  const left = deadline - now();
  return left > 0 ? channel.waitFor(whileState, left) : channel.poll(whileState);
}

/**
 * Like `channel.waitWhile`, but spins first: the base loads, then up to the spin's budget of
 * wall time, before blocking in the kernel. For the enclave thread, which has nothing else to
 * do while it waits; the host waits asynchronously instead (host-side.ts).
 */
export function spinThenWait(
  channel: SharedChannel,
  whileState: FrameState,
  timeoutMs = Infinity,
  spin?: AdaptiveSpin,
): Frame {
  const spun = spinPoll(channel, whileState, spin);
  if (spun.frame !== null) return spun.frame;
  try {
    return channel.waitWhile(whileState, timeoutMs);
  } finally {
    recordWait(spin, spun.startedAt); // a timed-out wait counts as a miss too
  }
}

export { FrameState };
