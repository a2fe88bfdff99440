// The enclave (worker) end of the boundary: serve ECALLs one at a time, make synchronous OCALLs.
// Runs inside the worker thread; blocks that thread in Atomics.wait between calls, which is
// what we want: the enclave has no event loop work of its own.

import { BoundaryError, FrameState, SharedChannel } from './channel.js';
import { AdaptiveSpin, DEFAULT_SPIN, spinThenWait } from './spin-wait.js';
import { encodeBoundaryError, type BoundaryFault } from './fault.js';

/** An ECALL handler: gets the request bytes, returns the response bytes. Throwing sends an error frame. */
export type EcallHandler = (payload: Uint8Array) => Uint8Array;

export class EnclaveSide {
  private readonly channel: SharedChannel;
  private readonly ocallSpin: AdaptiveSpin;
  private readonly idleSpin: AdaptiveSpin;

  /** `spin: false` = base spin only (no adaptive spinning), as the host asked. */
  constructor(buffer: SharedArrayBuffer, spin = true) {
    this.channel = new SharedChannel(buffer);
    this.ocallSpin = new AdaptiveSpin(spin ? DEFAULT_SPIN.ocall : { maxMicros: 0 });
    this.idleSpin = new AdaptiveSpin(spin ? DEFAULT_SPIN.idle : { maxMicros: 0 });
  }

  /**
   * Makes a synchronous OCALL to the host and returns its answer.
   * @throws BoundaryError OCALL_FAILED when the host's handler failed (message from the host).
   */
  ocall(tag: number, payload: Uint8Array): Uint8Array {
    this.channel.send(FrameState.OcallRequest, tag, payload);
    const answer = spinThenWait(this.channel, FrameState.OcallRequest, Infinity, this.ocallSpin);
    if (answer.state === FrameState.OcallResponse) return answer.payload;
    if (answer.state === FrameState.OcallError) {
      throw new BoundaryError('OCALL_FAILED', new TextDecoder().decode(answer.payload));
    }
    throw new BoundaryError('PROTOCOL_VIOLATION', `unexpected frame state ${answer.state} after an OCALL`);
  }

  /**
   * Serves ECALLs until the host sends Shutdown. `describeFault` turns a handler's exception
   * into the (code, message) that crosses the boundary: it must not leak secrets.
   */
  serve(handlers: ReadonlyMap<number, EcallHandler>, describeFault: (error: unknown) => BoundaryFault): void {
    for (;;) {
      const request = spinThenWait(this.channel, FrameState.Idle, Infinity, this.idleSpin);
      if (request.state === FrameState.Shutdown) return;
      if (request.state !== FrameState.EcallRequest) {
        throw new BoundaryError(
          'PROTOCOL_VIOLATION',
          `enclave expected an ECALL, found frame state ${request.state}`,
        );
      }
      const answerState = this.answer(handlers, request.tag, request.payload, describeFault);
      // Wait for the host to take the answer (it sets Idle, or already the next request).
      spinThenWait(this.channel, answerState, Infinity, this.idleSpin);
    }
  }

  private answer(
    handlers: ReadonlyMap<number, EcallHandler>,
    tag: number,
    payload: Uint8Array,
    describeFault: (error: unknown) => BoundaryFault,
  ): FrameState {
    try {
      const handler = handlers.get(tag);
      if (!handler) throw new BoundaryError('PROTOCOL_VIOLATION', `unknown ECALL tag ${tag}`);
      const response = handler(payload);
      this.channel.send(FrameState.EcallResponse, tag, response);
      return FrameState.EcallResponse;
    } catch (error) {
      this.channel.send(FrameState.EcallError, tag, encodeBoundaryError(describeFault(error)));
      return FrameState.EcallError;
    }
  }
}
