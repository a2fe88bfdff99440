// The enclave side of bench/ocall.ts: a worker whose one ECALL makes OCALLs spaced by busy work,
// timing each OCALL's round trip (this thread's clock; a bench fixture, never the enclave).
import { runEnclaveWorker } from '../src/enclave/boundary/worker-entry.js';
import type { EcallHandler } from '../src/enclave/boundary/enclave-side.js';

/** ECALL 1: u32 count, u32 gap (µs of busy work before each OCALL) → count f64 round trips (µs). */
export const ECALL_SPACED_OCALLS = 1;
export const OCALL_READ = 2;

runEnclaveWorker(
  (side) =>
    new Map<number, EcallHandler>([
      [
        ECALL_SPACED_OCALLS,
        (payload) => {
          const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
          const count = view.getUint32(0);
          const gapMs = view.getUint32(4) / 1000;
          const times = new Float64Array(count);
          const key = new Uint8Array(40);
          for (let i = 0; i < count; i++) {
            const until = performance.now() + gapMs;
            while (performance.now() < until); // the contract's work between two reads
            key[0] = i & 0xff;
            const start = performance.now();
            side.ocall(OCALL_READ, key);
            times[i] = (performance.now() - start) * 1000;
          }
          return new Uint8Array(times.buffer);
        },
      ],
    ]),
  (error) => ({ code: 'BENCH_FAULT', message: error instanceof Error ? error.message : 'fault' }),
);
