// The host end of the boundary: starts the enclave worker, makes ECALLs, serves OCALLs.
//
// The host never blocks its thread on the enclave for longer than one short slice. While an
// ECALL is in flight and the enclave makes OCALLs, the host serves them synchronously: a
// bounded spin (spin-wait.ts), then `Atomics.wait` until the slice (`syncSliceMs`, default
// 2 ms) ends, so an OCALL costs a spin hit or a futex wake-up. Between slices it yields one
// event-loop turn (timers, checkTx, RPC, p2p run). A slice in which the enclave sent nothing (a
// long computation) ends the synchronous serving: the host then waits with `Atomics.waitAsync`
// and its thread is free until the next frame. Issue #4/#6: blocking for the whole ECALL had the
// validator's main thread blocked 43-53 % of the time during blocks (bench/RESULTS.md
// "consensus"); serving every OCALL from the event loop instead cost each one an event-loop
// wake-up (session 2; bench/ocall.ts compares, ADR 006 "As built, session 3"). The enclave side
// is unchanged: from inside a contract call an OCALL is synchronous (its thread blocks until the
// host answers).
//
// Every asynchronous wait races the worker's 'exit'/'error', so a crashed or killed worker (out
// of memory under `resourceLimits`) surfaces as ENCLAVE_CRASHED instead of hanging the host.

import { Worker, type ResourceLimits } from 'node:worker_threads';
import { BoundaryError, FrameState, SharedChannel, type Frame } from './channel.js';
import { decodeBoundaryError } from './fault.js';
import {
  AdaptiveSpin,
  DEFAULT_SPIN,
  deadlineAfter,
  isPast,
  recordWait,
  spinPoll,
  waitUntil,
} from './spin-wait.js';
import { ShroudError } from '../../errors.js';
import { workerSource } from '../../util/index.js';

/** An OCALL handler: serves the enclave's request synchronously; throwing sends an OCALL error. */
export type OcallHandler = (tag: number, payload: Uint8Array) => Uint8Array;

/** One frame crossing the boundary, as seen by the host (for audits and canary tests). */
export interface Crossing {
  direction: 'host-to-enclave' | 'enclave-to-host';
  state: FrameState;
  tag: number;
  payload: Uint8Array;
}

export interface EnclaveWorkerOptions {
  /** The worker's entry module. A `.ts` entry is loaded through tsx. */
  entry: URL;
  /** Passed to the worker as `workerData.init` (must be structured-cloneable, and public). */
  init?: unknown;
  ocall: OcallHandler;
  resourceLimits?: ResourceLimits;
  /** Largest payload one frame can carry. Default 64 MiB. */
  channelCapacityBytes?: number;
  /** Called with every frame that crosses, in order. */
  tap?: (crossing: Crossing) => void;
  /**
   * Adaptive spinning while waiting for the other side (spin-wait.ts), on both sides. Default
   * true; false keeps only the short base spin (a machine with more busy threads than cores).
   */
  spin?: boolean;
  /**
   * How long (ms) the host may serve OCALLs synchronously before it yields one turn of its event
   * loop (see `nextFrame`). Default {@link DEFAULT_SYNC_SLICE_MS}; 0 = always wait asynchronously
   * after the spin (every OCALL that arrives later is served from the event loop).
   */
  syncSliceMs?: number;
}

/**
 * Default synchronous slice (ms). Short enough that the event loop runs at least every ~2 ms
 * during an ECALL that makes OCALLs (timers, checkTx, RPC, p2p: bench/ocall.ts measures the loop
 * delay), long enough that a batch's OCALLs are answered by a thread woken from `Atomics.wait`
 * (or still spinning) rather than through an event-loop turn.
 */
export const DEFAULT_SYNC_SLICE_MS = 2;

/** An ECALL the enclave answered with an error: `enclaveCode` is the enclave's own error code. */
export class EnclaveCallError extends ShroudError<'ECALL_FAILED'> {
  readonly enclaveCode: string;

  constructor(enclaveCode: string, message: string) {
    super('ECALL_FAILED', message);
    this.enclaveCode = enclaveCode;
  }
}

const DEFAULT_CAPACITY_BYTES = 64 * 1024 * 1024;
const EMPTY = new Uint8Array(0);
/**
 * Bound on one `Atomics.waitAsync` (ms). Only a backstop: the wait is raced with the worker's
 * exit, and a frame's `notify` wakes it at once; it bounds how long a lost wake-up could stall.
 */
const ASYNC_WAIT_MS = 1_000;

export class EnclaveWorker {
  private readonly worker: Worker;
  private readonly channel: SharedChannel;
  private readonly options: EnclaveWorkerOptions;
  private readonly exited: Promise<never>;
  private exitReason: BoundaryError | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly spin: AdaptiveSpin;
  /** True while an ECALL is on the channel (the guard against overlapping ECALLs). */
  private inEcall = false;
  private readonly sliceMs: number;
  /** End of the current synchronous slice (spin-wait.ts clock). */
  private sliceEnd = -Infinity;
  /** Whether the enclave sent a frame during the current slice (it is making OCALLs). */
  private sliceBusy = false;
  /** Whether the host is serving synchronously (false: waiting asynchronously, thread free). */
  private serving = false;
  /**
   * Whether the event loop has had a turn since the current slice began (set by a `setImmediate`
   * queued when it began). A slice counts from the loop's last turn, not from each ECALL: a chain
   * of short ECALLs, each awaited from the previous one's continuation (a microtask), must not
   * hold the loop beyond one slice either.
   */
  private loopTurned = true;

  private constructor(worker: Worker, channel: SharedChannel, options: EnclaveWorkerOptions) {
    this.worker = worker;
    this.channel = channel;
    this.options = options;
    this.spin = new AdaptiveSpin(options.spin === false ? { maxMicros: 0 } : DEFAULT_SPIN.host);
    this.sliceMs = Math.max(0, options.syncSliceMs ?? DEFAULT_SYNC_SLICE_MS);
    this.exited = new Promise<never>((_resolve, reject) => {
      const fail = (message: string) => {
        this.exitReason ??= new BoundaryError('ENCLAVE_CRASHED', message);
        reject(this.exitReason);
      };
      worker.once('error', (error: Error) => fail(`enclave worker failed: ${error.message}`));
      worker.once('exit', (code: number) => fail(`enclave worker exited with code ${code}`));
    });
    this.exited.catch(() => undefined);
  }

  /**
   * Starts the worker and waits until it is ready to serve ECALLs.
   * @throws BoundaryError ENCLAVE_CRASHED if the worker fails while starting.
   */
  static async start(options: EnclaveWorkerOptions): Promise<EnclaveWorker> {
    const buffer = SharedChannel.allocate(options.channelCapacityBytes ?? DEFAULT_CAPACITY_BYTES);
    const [source, sourceOptions] = workerSource(options.entry);
    const worker = new Worker(source, {
      ...sourceOptions,
      workerData: { channel: buffer, init: options.init, spin: options.spin !== false },
      ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
      stdout: false,
      stderr: false,
    });
    const enclave = new EnclaveWorker(worker, new SharedChannel(buffer), options);
    const ready = new Promise<void>((resolve) => {
      worker.once('message', (message: unknown) => {
        if (message === 'ready') resolve();
      });
    });
    await Promise.race([ready, enclave.exited]);
    return enclave;
  }

  /**
   * Sends one ECALL and returns the enclave's answer. Calls are serialized: the enclave runs
   * one at a time, and a call made while another is in flight (from the event loop while the
   * host waits, or from inside an OCALL handler) queues behind it. The returned promise lets the
   * event loop run while the enclave computes. `payload` may be a function, called when the
   * ECALL's turn comes.
   * @throws EnclaveCallError when the enclave answered with an error.
   * @throws BoundaryError ENCLAVE_CRASHED / ENCLAVE_STOPPED / FRAME_TOO_LARGE.
   */
  ecall(tag: number, payload: Uint8Array | (() => Uint8Array)): Promise<Uint8Array> {
    // A function payload is built when the call's turn comes, right before it crosses (the
    // read-ahead reads the host's store then, as an OCALL would).
    const result = this.queue.then(() =>
      this.runEcall(tag, typeof payload === 'function' ? payload() : payload),
    );
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Asks the enclave to stop and waits for its thread to end (terminates it after `graceMs`). */
  async stop(graceMs = 2_000): Promise<void> {
    if (this.exitReason) return;
    this.exitReason = new BoundaryError('ENCLAVE_STOPPED', 'the enclave was stopped');
    await this.queue;
    this.channel.send(FrameState.Shutdown, 0, EMPTY);
    const timer = setTimeout(() => void this.worker.terminate(), graceMs);
    await this.exited.catch(() => undefined);
    clearTimeout(timer);
  }

  private async runEcall(tag: number, payload: Uint8Array): Promise<Uint8Array> {
    if (this.exitReason) throw this.exitReason;
    // The queue in `ecall` already serializes; this guard makes a second frame on a busy channel
    // impossible even if that ever changed (the channel holds one frame: it would be overwritten).
    if (this.inEcall) throw new BoundaryError('PROTOCOL_VIOLATION', 'an ECALL is already in flight');
    this.inEcall = true;
    try {
      return await this.exchange(tag, payload);
    } finally {
      this.inEcall = false;
    }
  }

  private async exchange(tag: number, payload: Uint8Array): Promise<Uint8Array> {
    this.send('host-to-enclave', FrameState.EcallRequest, tag, payload);
    // Continue the running slice if the loop has not turned since it began (see loopTurned).
    if (this.loopTurned || this.sliceMs === 0) this.startSlice();
    else this.serving = true;
    let waitingWhile: FrameState = FrameState.EcallRequest;
    for (;;) {
      const frame = await this.nextFrame(waitingWhile);
      this.sliceBusy = true;
      this.options.tap?.({ direction: 'enclave-to-host', ...frame });
      switch (frame.state) {
        case FrameState.OcallRequest:
          waitingWhile = this.serveOcall(frame);
          break;
        case FrameState.EcallResponse:
          this.channel.send(FrameState.Idle, 0, EMPTY, false); // no wake-up: see SharedChannel.send
          return frame.payload;
        case FrameState.EcallError: {
          this.channel.send(FrameState.Idle, 0, EMPTY, false); // no wake-up: see SharedChannel.send
          const fault = decodeBoundaryError(frame.payload);
          throw new EnclaveCallError(fault.code, fault.message);
        }
        default:
          throw new BoundaryError(
            'PROTOCOL_VIOLATION',
            `unexpected frame state ${frame.state} during an ECALL`,
          );
      }
    }
  }

  private serveOcall(frame: Frame): FrameState {
    let answer: Uint8Array;
    try {
      answer = this.options.ocall(frame.tag, frame.payload);
    } catch (error) {
      const message = error instanceof Error ? error.message : 'OCALL failed';
      this.send('host-to-enclave', FrameState.OcallError, frame.tag, new TextEncoder().encode(message));
      return FrameState.OcallError;
    }
    this.send('host-to-enclave', FrameState.OcallResponse, frame.tag, answer);
    return FrameState.OcallResponse;
  }

  /**
   * The enclave's next frame. While the enclave is making OCALLs, the host serves them
   * synchronously in slices of `syncSliceMs`: a bounded spin (spin-wait.ts), then `Atomics.wait`
   * until the slice ends, so an OCALL costs a spin hit or a futex wake-up rather than an
   * event-loop turn (bench/ocall.ts; ADR 006 "As built, session 3"). When a slice is used up, the
   * host yields one turn of its event loop (`setImmediate`: timers, I/O, checkTx, RPC run) and
   * starts the next. A slice in which the enclave sent nothing (a long computation without
   * OCALLs) ends the synchronous serving: the host then waits with `Atomics.waitAsync` and the
   * thread is free until the next frame, which starts a new slice. Every await is raced with the
   * worker's exit, and a blocking wait never outlasts its slice, so a dead worker surfaces as
   * ENCLAVE_CRASHED within a slice.
   */
  private async nextFrame(whileState: FrameState): Promise<Frame> {
    // A frame that is ready at once (the spin catches it) must not keep the loop waiting
    // beyond the slice either.
    if (this.sliceMs > 0 && isPast(this.sliceEnd)) {
      if (this.loopTurned) this.startSlice();
      else await this.yieldTurn();
    }
    const spun = spinPoll(this.channel, whileState, this.spin);
    if (spun.frame !== null) return spun.frame;
    try {
      for (;;) {
        if (this.serving) {
          const frame = waitUntil(this.channel, whileState, this.sliceEnd);
          if (frame !== null) return frame;
          if (this.sliceBusy) {
            await this.yieldTurn();
            const after = this.channel.poll(whileState);
            if (after !== null) return after;
            continue;
          }
          this.serving = false; // a whole slice without a frame: stop blocking the thread
        }
        await Promise.race([this.channel.waitAsync(whileState, ASYNC_WAIT_MS), this.exited]);
        const frame = this.channel.poll(whileState);
        if (frame !== null) {
          this.startSlice();
          return frame;
        }
      }
    } finally {
      recordWait(this.spin, spun.startedAt);
    }
  }

  /** One turn of the event loop (check phase: after timers and I/O), then a new slice. */
  private async yieldTurn(): Promise<void> {
    await Promise.race([new Promise<void>((resolve) => setImmediate(resolve)), this.exited]);
    this.startSlice();
  }

  /** Starts a synchronous slice (nothing when slices are off). */
  private startSlice(): void {
    this.serving = this.sliceMs > 0;
    this.sliceEnd = this.serving ? deadlineAfter(this.sliceMs) : Infinity;
    this.sliceBusy = false;
    if (!this.serving) return;
    this.loopTurned = false;
    setImmediate(() => (this.loopTurned = true));
  }

  private send(direction: Crossing['direction'], state: FrameState, tag: number, payload: Uint8Array): void {
    this.options.tap?.({ direction, state, tag, payload });
    this.channel.send(state, tag, payload);
  }
}
