// The host end of the boundary: starts the enclave worker, makes ECALLs, serves OCALLs.
//
// An ECALL first waits synchronously (spin, then futex) in short slices, serving the
// enclave's OCALLs inline, so a storage read inside a contract call costs microseconds. If a
// slice passes with no answer, it yields to the event loop before waiting again, so that a
// crashed or killed worker (out of memory under `resourceLimits`) is noticed through its
// 'exit' event instead of hanging the host.

import { Worker, type ResourceLimits } from 'node:worker_threads';
import { BoundaryError, FrameState, SharedChannel, type Frame } from './channel.js';
import { decodeBoundaryError } from './fault.js';
import { AdaptiveSpin, DEFAULT_SPIN, spinThenWait } from './spin-wait.js';
import { ShroudError } from '../../errors.js';

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
  /** How long one synchronous wait slice lasts before yielding to the event loop. Default 50 ms. */
  syncSliceMs?: number;
  /** Called with every frame that crosses, in order. */
  tap?: (crossing: Crossing) => void;
  /**
   * Adaptive spinning while waiting for the other side (spin-wait.ts), on both sides. Default
   * true; false keeps only the short base spin (a machine with more busy threads than cores).
   */
  spin?: boolean;
}

/** An ECALL the enclave answered with an error: `enclaveCode` is the enclave's own error code. */
export class EnclaveCallError extends ShroudError<'ECALL_FAILED'> {
  readonly enclaveCode: string;

  constructor(enclaveCode: string, message: string) {
    super('ECALL_FAILED', message);
    this.enclaveCode = enclaveCode;
  }
}

/**
 * A compiled (.js) entry runs as is. A TypeScript entry (running from source, as tests and
 * `bin/shroud.js` do) is loaded through tsx's loader, registered inside the worker: worker
 * threads do not accept `--import` in their execArgv.
 */
function workerSource(entry: URL): [string | URL, { eval?: boolean }] {
  if (!entry.pathname.endsWith('.ts')) return [entry, {}];
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap =
    `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); ` +
    `return import(${JSON.stringify(entry.href)}); });`;
  return [bootstrap, { eval: true }];
}

const DEFAULT_CAPACITY_BYTES = 64 * 1024 * 1024;
const EMPTY = new Uint8Array(0);

export class EnclaveWorker {
  private readonly worker: Worker;
  private readonly channel: SharedChannel;
  private readonly options: EnclaveWorkerOptions;
  private readonly exited: Promise<never>;
  private exitReason: BoundaryError | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly spin: AdaptiveSpin;

  private constructor(worker: Worker, channel: SharedChannel, options: EnclaveWorkerOptions) {
    this.worker = worker;
    this.channel = channel;
    this.options = options;
    this.spin = new AdaptiveSpin(options.spin === false ? { maxMicros: 0 } : DEFAULT_SPIN.host);
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
   * one at a time. `payload` may be a function, called when the ECALL's turn comes.
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
    this.send('host-to-enclave', FrameState.EcallRequest, tag, payload);
    let waitingWhile: FrameState = FrameState.EcallRequest;
    for (;;) {
      const frame = await this.nextFrame(waitingWhile);
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

  private async nextFrame(whileState: FrameState): Promise<Frame> {
    const sliceMs = this.options.syncSliceMs ?? 50;
    for (;;) {
      try {
        return spinThenWait(this.channel, whileState, sliceMs, this.spin);
      } catch (error) {
        if (!(error instanceof BoundaryError) || error.code !== 'TIMEOUT') throw error;
      }
      // A slow call (or a dead worker): let the event loop deliver 'exit' before waiting again.
      await Promise.race([this.channel.waitAsync(whileState, 1_000), this.exited]);
    }
  }

  private send(direction: Crossing['direction'], state: FrameState, tag: number, payload: Uint8Array): void {
    this.options.tap?.({ direction, state, tag, payload });
    this.channel.send(state, tag, payload);
  }
}
