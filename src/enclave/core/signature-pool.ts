// Signature checks of a batch on a second thread owned by the enclave (issues #4/#5/#6). The
// enclave thread runs a batch's calls one after another (Executor.runBatch); while call i runs,
// this pool verifies the secp256k1 signatures of calls i+1… on its own thread, so the enclave
// thread usually finds its verdict ready. Only the pure function verify(digest, signature,
// public key) → boolean moves: the sign-doc parsing and every other check stay on the enclave
// thread, which decides every call exactly as before.
//
// The pool is a worker_threads Worker started by the enclave worker itself (src/enclave/worker.ts),
// inside the trust boundary: nothing here crosses to the host, and what it handles (digests,
// signatures, public keys) is public anyway. The enclave thread is synchronous during an ECALL
// (it never returns to its event loop), so jobs and verdicts go through a SharedArrayBuffer with
// Atomics, never messages.
//
// Each job slot has a state word. PENDING jobs are claimed by compare-and-swap, either by the
// pool (in order) or by the enclave thread when it needs a verdict the pool has not started
// (then it verifies in its own thread, as without a pool). So the enclave thread waits only for
// a job the pool is in the middle of, and a pool that never started, died or stalls costs at most
// one bounded wait before the enclave stops using it.
import { Worker } from 'node:worker_threads';
import { secp256k1Verify } from '../../crypto/index.js';
import { siblingModule, workerSource } from '../../util/index.js';

/** Most jobs in one batch (Executor MAX_BATCH_CALLS; the job count has 13 bits in the control word). */
export const POOL_MAX_JOBS = 4096;

/** Job layout: 32-byte digest ‖ 64-byte compact signature ‖ u8 key length ‖ key (≤ 65 bytes). */
export const JOB_STRIDE = 32 + 64 + 1 + 65;

/** Control words (Int32 indexes). */
export const CONTROL = {
  /** (generation << 13) | published job count: one word, so the pool reads both at once. */
  word: 0,
  /** 1 = stop: the pool thread returns. */
  stop: 1,
  /** 1 once the pool thread runs its loop. */
  ready: 2,
} as const;
const CONTROL_WORDS = 4;
const COUNT_BITS = 13;
const COUNT_MASK = (1 << COUNT_BITS) - 1;
const GENERATION_MASK = (1 << (31 - COUNT_BITS)) - 1;

/** States of a job slot. */
export const JOB = {
  idle: 0,
  pending: 1,
  byPool: 2,
  byEnclave: 3,
  valid: 4,
  invalid: 5,
} as const;

/** The views over a pool's shared buffer (both threads build the same ones). */
export function poolViews(buffer: SharedArrayBuffer): {
  control: Int32Array;
  states: Int32Array;
  jobs: Uint8Array;
} {
  return {
    control: new Int32Array(buffer, 0, CONTROL_WORDS),
    states: new Int32Array(buffer, CONTROL_WORDS * 4, POOL_MAX_JOBS),
    jobs: new Uint8Array(buffer, (CONTROL_WORDS + POOL_MAX_JOBS) * 4, POOL_MAX_JOBS * JOB_STRIDE),
  };
}

/** Generation and job count of a control word. */
export function splitWord(word: number): { generation: number; count: number } {
  return { generation: word >>> COUNT_BITS, count: word & COUNT_MASK };
}

/**
 * The verification both threads run: the crypto layer's secp256k1Verify, anything that throws
 * is invalid (exactly Executor.checkUserCall's rule), so a verdict from the pool is the one the
 * enclave thread would have computed.
 */
export function verifyJob(digest: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return secp256k1Verify(digest, signature, publicKey);
  } catch {
    return false;
  }
}

/** Longest wait (ms) for a job the pool is verifying (one verify takes ~50 µs) before giving up on the pool. */
const STALL_MS = 2_000;
const STALL_SLICE_MS = 100;
/** Atomics.load polls before sleeping on a job the pool is in the middle of (a few µs). */
const SPIN_POLLS = 2_000;

/** Counters, for tests and measurements: who produced the verdicts the enclave used. */
export interface PoolCounts {
  byPool: number;
  inThread: number;
}

/**
 * The enclave thread's side of the pool. One batch at a time: begin(), submit() per job,
 * verdict() per job as its call needs it, end() (always, in a finally).
 */
export class SignaturePool {
  private readonly buffer: SharedArrayBuffer;
  private readonly control: Int32Array;
  private readonly states: Int32Array;
  private readonly jobs: Uint8Array;
  private generation = 0;
  private count = 0;
  private broken = false;
  private worker: Worker | null = null;
  private markExited: (code: number) => void = () => undefined;
  readonly counts: PoolCounts = { byPool: 0, inThread: 0 };
  /**
   * Resolves with the pool thread's exit code when it ends (stop() makes it return: 0), or 0 at
   * stop() when it never started.
   */
  readonly exited: Promise<number>;

  private constructor() {
    const buffer = new SharedArrayBuffer((CONTROL_WORDS + POOL_MAX_JOBS) * 4 + POOL_MAX_JOBS * JOB_STRIDE);
    this.buffer = buffer;
    ({ control: this.control, states: this.states, jobs: this.jobs } = poolViews(buffer));
    this.exited = new Promise<number>((resolve) => (this.markExited = resolve));
  }

  /**
   * A pool whose thread starts the first time a batch asks for it (`usable`), so an enclave
   * that never runs a batch of two or more calls never starts one. The enclave worker's choice.
   */
  static lazy(): SignaturePool {
    return new SignaturePool();
  }

  /**
   * A pool whose thread starts now. Returns at once: the thread comes up on its own, and until
   * it does `usable` is false (the enclave verifies in its own thread).
   * @returns the pool, or null if the thread cannot be created.
   */
  static start(): SignaturePool | null {
    const pool = new SignaturePool();
    pool.launch();
    return pool.broken ? null : pool;
  }

  /** Creates the pool thread (once). A failure only writes the pool off. */
  private launch(): void {
    if (this.worker !== null || this.broken) return;
    try {
      const [source, options] = workerSource(siblingModule(import.meta.url, 'signature-worker'));
      const worker = new Worker(source, {
        ...options,
        workerData: { buffer: this.buffer },
        stdout: false,
        stderr: false,
      });
      // Never keeps the enclave worker (or a process) alive on its own; stop() ends it cleanly.
      worker.unref();
      // Events reach the enclave worker only between ECALLs or after shutdown; a failed pool is
      // noticed by `usable` (it never became ready) or a stalled job (verdict()).
      worker.on('error', () => {
        this.broken = true;
      });
      worker.once('exit', (code: number) => this.markExited(code));
      this.worker = worker;
    } catch {
      this.broken = true;
    }
  }

  /**
   * True when the pool thread is up and has not stalled: worth submitting jobs to. The first
   * call starts a lazy pool's thread (and is false: it is not up yet).
   */
  get usable(): boolean {
    if (this.broken) return false;
    if (this.worker === null) {
      this.launch();
      return false;
    }
    return Atomics.load(this.control, CONTROL.ready) === 1;
  }

  /** Starts a batch: a new generation with no jobs (the pool restarts from job 0). */
  begin(): void {
    this.generation = (this.generation + 1) & GENERATION_MASK;
    this.count = 0;
    Atomics.store(this.control, CONTROL.word, this.generation << COUNT_BITS);
  }

  /**
   * Publishes one job; the pool may start on it at once.
   * @returns its index, or null when the batch holds POOL_MAX_JOBS jobs or the arguments do
   *   not fit the slot (the caller then verifies in its own thread).
   */
  submit(digest: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): number | null {
    if (
      this.count >= POOL_MAX_JOBS ||
      digest.length !== 32 ||
      signature.length !== 64 ||
      publicKey.length === 0 ||
      publicKey.length > 65
    ) {
      return null;
    }
    const index = this.count++;
    const at = index * JOB_STRIDE;
    this.jobs.set(digest, at);
    this.jobs.set(signature, at + 32);
    this.jobs[at + 96] = publicKey.length;
    this.jobs.set(publicKey, at + 97);
    // The slot's bytes are written before its state says PENDING (Atomics are sequentially
    // consistent): whoever claims it reads this job.
    Atomics.store(this.states, index, JOB.pending);
    Atomics.store(this.control, CONTROL.word, (this.generation << COUNT_BITS) | this.count);
    Atomics.notify(this.control, CONTROL.word, 1);
    return index;
  }

  /**
   * The verdict of job `index`: the pool's if it has one or is computing it, else `inThread()`
   * computed here (the same function on the same bytes).
   */
  verdict(index: number, inThread: () => boolean): boolean {
    let state = Atomics.compareExchange(this.states, index, JOB.pending, JOB.byEnclave);
    if (state === JOB.pending) {
      const valid = inThread();
      Atomics.store(this.states, index, valid ? JOB.valid : JOB.invalid);
      this.counts.inThread++;
      return valid;
    }
    for (let poll = 0; state === JOB.byPool && poll < SPIN_POLLS; poll++) {
      state = Atomics.load(this.states, index);
    }
    if (state === JOB.byPool) state = this.waitWhilePool(index);
    if (state === JOB.valid || state === JOB.invalid) {
      this.counts.byPool++;
      return state === JOB.valid;
    }
    // Only after a stall (the pool is written off) or a misuse: compute it here.
    this.counts.inThread++;
    return inThread();
  }

  /** True when job `index` of this batch has a verdict (tests and measurements). */
  settled(index: number): boolean {
    const state = Atomics.load(this.states, index);
    return state === JOB.valid || state === JOB.invalid;
  }

  /** Ends the batch: jobs nobody started are dropped; jobs the pool is verifying are awaited. */
  end(): void {
    for (let index = 0; index < this.count; index++) {
      const state = Atomics.compareExchange(this.states, index, JOB.pending, JOB.idle);
      // A written-off pool is not waited for again: its buffer is never reused (usable is false).
      if (state === JOB.byPool && !this.broken) this.waitWhilePool(index);
    }
    this.count = 0;
    Atomics.store(this.control, CONTROL.word, this.generation << COUNT_BITS);
  }

  /**
   * Stops the pool thread (it finishes the job in hand, if any, and returns). The enclave worker
   * calls it at shutdown; the enclave worker's own exit would end the thread anyway.
   */
  stop(): void {
    // Held until a running pool thread has returned (moments: it finishes at most the job in
    // hand), so `exited` is delivered. One still starting is not waited for: it returns when it
    // reaches its loop, or ends with the enclave worker; one written off as stalled neither.
    if (this.worker === null) this.markExited(0);
    else if (this.usable) this.worker.ref();
    this.broken = true;
    Atomics.store(this.control, CONTROL.stop, 1);
    // Change the word too, so a pool between reading it and sleeping does not sleep on.
    this.generation = (this.generation + 1) & GENERATION_MASK;
    Atomics.store(this.control, CONTROL.word, this.generation << COUNT_BITS);
    Atomics.notify(this.control, CONTROL.word);
  }

  /** Forcibly ends the pool thread (tests; the enclave worker's exit does the same). */
  async terminate(): Promise<number> {
    this.stop();
    return this.worker === null ? 0 : this.worker.terminate();
  }

  private waitWhilePool(index: number): number {
    // Slices of Atomics.wait rather than a clock (no clocks in consensus paths, DESIGN.md §7):
    // only slices that time out with the job still held count toward the stall limit.
    let quietSlices = 0;
    let state = Atomics.load(this.states, index);
    while (state === JOB.byPool) {
      if (quietSlices >= STALL_MS / STALL_SLICE_MS) {
        // A pool thread that holds a job this long is stalled or gone: stop using it. Its
        // buffer is never written again by this side, so a late verdict changes nothing.
        this.broken = true;
        return state;
      }
      if (Atomics.wait(this.states, index, JOB.byPool, STALL_SLICE_MS) === 'timed-out') quietSlices++;
      state = Atomics.load(this.states, index);
    }
    return state;
  }
}
