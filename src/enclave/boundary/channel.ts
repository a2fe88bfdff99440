// A synchronous, zero-event-loop channel between the host thread and the enclave worker,
// over one SharedArrayBuffer. Both sides block in `Atomics.wait` while the other works, so a
// crossing costs a few microseconds instead of a postMessage round trip (~50 µs), and the
// enclave can make OCALLs (storage reads) that look synchronous from inside a wasm call.
//
// Layout (Int32 words, then a byte area):
//   word 0: state    — who owns the buffer now and what it holds (FrameState)
//   word 1: tag      — a small integer naming the ECALL/OCALL (meaning is the caller's)
//   word 2: length   — payload bytes in the data area
//   word 3: sleepers — threads blocked in Atomics.wait/waitAsync on word 0 right now
//   bytes HEADER_BYTES..: payload
//
// `sleepers` lets `send` skip `Atomics.notify` when the other side is spinning rather than
// sleeping (measured: the notify was 12 % of the worker's profile, 00:14 UTC, ADR 006 "As
// built"). Safe by sequential consistency: a waiter increments `sleepers` before its
// Atomics.wait re-checks the state; a sender stores the state before it reads `sleepers`. If the
// sender reads 0, the waiter's increment comes later in the total order, so its wait sees the
// new state and returns at once; otherwise the sender notifies.
//
// Only one frame is in flight at a time: the protocol is strictly request/response and the
// enclave serves one ECALL at a time (ECALLs do not nest; OCALLs nest inside an ECALL).

import { ShroudError } from '../../errors.js';

export const FrameState = {
  Idle: 0,
  EcallRequest: 1,
  OcallRequest: 2,
  OcallResponse: 3,
  EcallResponse: 4,
  EcallError: 5,
  OcallError: 6,
  Shutdown: 7,
} as const;
export type FrameState = (typeof FrameState)[keyof typeof FrameState];

const STATE = 0;
const TAG = 1;
const LENGTH = 2;
const SLEEPERS = 3;
const HEADER_BYTES = 16;

export type BoundaryErrorCode =
  | 'FRAME_TOO_LARGE'
  | 'PROTOCOL_VIOLATION'
  | 'ENCLAVE_CRASHED'
  | 'ENCLAVE_STOPPED'
  | 'ECALL_FAILED'
  | 'OCALL_FAILED'
  | 'TIMEOUT';

export class BoundaryError extends ShroudError<BoundaryErrorCode> {}

export interface Frame {
  state: FrameState;
  tag: number;
  payload: Uint8Array;
}

/** One side's view of the shared buffer. Both host and enclave build one over the same SAB. */
export class SharedChannel {
  readonly buffer: SharedArrayBuffer;
  private readonly words: Int32Array;
  private readonly bytes: Uint8Array;

  constructor(buffer: SharedArrayBuffer) {
    if (buffer.byteLength <= HEADER_BYTES) {
      throw new RangeError(`channel buffer must be larger than ${HEADER_BYTES} bytes`);
    }
    this.buffer = buffer;
    this.words = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.bytes = new Uint8Array(buffer, HEADER_BYTES);
  }

  /** Allocates a buffer able to carry payloads of up to `capacityBytes`. */
  static allocate(capacityBytes: number): SharedArrayBuffer {
    return new SharedArrayBuffer(HEADER_BYTES + capacityBytes);
  }

  get capacity(): number {
    return this.bytes.byteLength;
  }

  get state(): FrameState {
    return Atomics.load(this.words, STATE) as FrameState;
  }

  /**
   * Writes a frame and wakes the other side if it sleeps. `wake = false` only stores it: for a
   * state the other side need not act on (the host's Idle after taking an answer: the enclave
   * then waits for the next request, whose send wakes it).
   */
  send(state: FrameState, tag: number, payload: Uint8Array, wake = true): void {
    if (payload.byteLength > this.bytes.byteLength) {
      throw new BoundaryError(
        'FRAME_TOO_LARGE',
        `boundary frame of ${payload.byteLength} bytes exceeds the channel capacity of ${this.bytes.byteLength} bytes`,
      );
    }
    this.bytes.set(payload, 0);
    Atomics.store(this.words, TAG, tag);
    Atomics.store(this.words, LENGTH, payload.byteLength);
    Atomics.store(this.words, STATE, state);
    if (wake && Atomics.load(this.words, SLEEPERS) !== 0) Atomics.notify(this.words, STATE);
  }

  /** The current frame if the state is no longer `whileState`, else null (never blocks). */
  poll(whileState: FrameState): Frame | null {
    const state = Atomics.load(this.words, STATE) as FrameState;
    return state === whileState ? null : this.read(state);
  }

  /** Resolves when the state leaves `whileState` or after `timeoutMs` (does not block the thread). */
  async waitAsync(whileState: FrameState, timeoutMs: number): Promise<void> {
    Atomics.add(this.words, SLEEPERS, 1);
    try {
      const outcome = Atomics.waitAsync(this.words, STATE, whileState, timeoutMs);
      if (outcome.async) await outcome.value;
    } finally {
      Atomics.sub(this.words, SLEEPERS, 1);
    }
  }

  /**
   * Blocks until the state is no longer `whileState`, then returns the frame (a copy: the
   * buffer is reused by the next crossing). `timeoutMs` bounds the wait; Infinity waits forever.
   * @throws BoundaryError TIMEOUT when nothing came within `timeoutMs`.
   */
  waitWhile(whileState: FrameState, timeoutMs = Infinity): Frame {
    const frame = this.waitFor(whileState, timeoutMs);
    if (frame === null) {
      throw new BoundaryError('TIMEOUT', `no answer across the enclave boundary within ${timeoutMs} ms`);
    }
    return frame;
  }

  /**
   * Like `waitWhile`, but a wait that times out returns null: the host's synchronous slice
   * (host-side.ts) waits up to the slice's end, then yields to its event loop.
   */
  waitFor(whileState: FrameState, timeoutMs: number): Frame | null {
    for (;;) {
      Atomics.add(this.words, SLEEPERS, 1);
      let outcome: 'ok' | 'not-equal' | 'timed-out';
      try {
        outcome = Atomics.wait(this.words, STATE, whileState, timeoutMs);
      } finally {
        Atomics.sub(this.words, SLEEPERS, 1);
      }
      const frame = this.poll(whileState);
      if (frame !== null || outcome === 'timed-out') return frame;
    }
  }

  private read(state: FrameState): Frame {
    const length = Atomics.load(this.words, LENGTH);
    if (length < 0 || length > this.bytes.byteLength) {
      throw new BoundaryError('PROTOCOL_VIOLATION', `frame length ${length} out of range`);
    }
    return { state, tag: Atomics.load(this.words, TAG), payload: this.bytes.slice(0, length) };
  }
}
