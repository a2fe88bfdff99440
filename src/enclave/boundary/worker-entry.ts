// Helpers for an enclave worker's entry module: read the channel, announce readiness, serve.

import { parentPort, workerData } from 'node:worker_threads';
import { EnclaveSide, type EcallHandler } from './enclave-side.js';
import type { BoundaryFault } from './fault.js';

interface EnclaveWorkerData {
  channel: SharedArrayBuffer;
  init: unknown;
  /** Adaptive spinning on the enclave side (default true). */
  spin?: boolean;
}

function readWorkerData(): EnclaveWorkerData {
  const data = workerData as Partial<EnclaveWorkerData> | null;
  if (!data || !(data.channel instanceof SharedArrayBuffer)) {
    throw new Error('enclave worker started without a boundary channel');
  }
  return { channel: data.channel, init: data.init, spin: data.spin !== false };
}

/**
 * Runs an enclave worker: builds the handlers from the host's public init data, tells the host
 * it is ready, then serves ECALLs until shutdown. Never returns before shutdown.
 */
export function runEnclaveWorker(
  buildHandlers: (side: EnclaveSide, init: unknown) => ReadonlyMap<number, EcallHandler>,
  describeFault: (error: unknown) => BoundaryFault,
): void {
  if (!parentPort) throw new Error('runEnclaveWorker must run inside a worker thread');
  const data = readWorkerData();
  const side = new EnclaveSide(data.channel, data.spin);
  const handlers = buildHandlers(side, data.init);
  parentPort.postMessage('ready');
  side.serve(handlers, describeFault);
  parentPort.close();
}
