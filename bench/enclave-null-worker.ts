// bench/enclave.ts only: the enclave worker with the executor's null cipher (every encryption
// step the identity, src/enclave/core/executor.ts ExecutorCipher), so the bench can compare the
// same worker path with encryption switched off. Never used by a node. It has the same
// signature pool as src/enclave/worker.ts, so the batch rows of both paths are comparable.
import { runEnclaveWorker } from '../src/enclave/boundary/worker-entry.js';
import { SignaturePool } from '../src/enclave/core/signature-pool.js';
import { buildHandlers, describeFault } from '../src/enclave/handlers.js';

const signatures = SignaturePool.lazy();
try {
  runEnclaveWorker((side, init) => buildHandlers(side, init, { cipher: 'null', signatures }), describeFault);
} finally {
  signatures.stop();
}
