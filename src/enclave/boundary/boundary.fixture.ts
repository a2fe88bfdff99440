// A tiny enclave worker used by boundary.test.ts: ECALL tags exercise each path of the channel.
import { runEnclaveWorker } from './worker-entry.js';
import type { EcallHandler } from './enclave-side.js';
import { ECALL, OCALL } from './boundary.fixture-tags.js';

/** How many times `untilGateOpens` asks before giving up (1 ms apart: ~5 s at most). */
const GATE_POLLS = 5_000;

runEnclaveWorker(
  (side) =>
    new Map<number, EcallHandler>([
      [ECALL.echo, (payload) => payload],
      [
        ECALL.sumViaOcalls,
        (payload) => {
          // payload[0] = how many OCALLs; each answers one byte; the ECALL returns their sum.
          let sum = 0;
          for (let i = 0; i < (payload[0] ?? 0); i++)
            sum += side.ocall(OCALL.valueOf, Uint8Array.of(i))[0] ?? 0;
          return Uint8Array.of(sum & 0xff, sum >> 8);
        },
      ],
      [
        ECALL.fail,
        () => {
          side.ocall(OCALL.failing, new Uint8Array(0));
          return new Uint8Array(0);
        },
      ],
      [ECALL.crash, () => process.exit(3)],
      [
        ECALL.exhaustMemory,
        () => {
          const hoard: number[][] = [];
          for (;;) hoard.push(new Array<number>(1_000_000).fill(1));
        },
      ],
      [ECALL.hugeAnswer, () => new Uint8Array(2 * 1024 * 1024)],
      [
        ECALL.untilGateOpens,
        () => {
          // Asks the host for its gate every millisecond until it reads 1: answers [1] if it
          // opened, [0] if it stayed shut for GATE_POLLS asks (a host that could not run the
          // code opening it while this ECALL was in flight).
          const pause = new Int32Array(new SharedArrayBuffer(4));
          for (let i = 0; i < GATE_POLLS; i++) {
            if (side.ocall(OCALL.gate, new Uint8Array(0))[0] === 1) return Uint8Array.of(1);
            Atomics.wait(pause, 0, 0, 1);
          }
          return Uint8Array.of(0);
        },
      ],
      [
        ECALL.computeFor,
        (payload) => {
          // Stands for a long computation without OCALLs: the thread is busy (here, asleep) for
          // payload[0] * 10 ms, then answers [1].
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, (payload[0] ?? 0) * 10);
          return Uint8Array.of(1);
        },
      ],
      [
        ECALL.crashAfterOcalls,
        (payload) => {
          for (let i = 0; i < (payload[0] ?? 0); i++) side.ocall(OCALL.valueOf, Uint8Array.of(i));
          process.exit(4);
        },
      ],
    ]),
  (error) => ({
    code: 'FIXTURE_FAULT',
    message: error instanceof Error ? error.message : 'unknown fault',
  }),
);
