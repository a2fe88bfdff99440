// bench/enclave.ts only: the enclave worker with the executor's null cipher (every encryption
// step the identity, src/enclave/core/executor.ts ExecutorCipher), so the bench can compare the
// same worker path with encryption switched off. Never used by a node.
import { runEnclaveWorker } from '../src/enclave/boundary/worker-entry.js';
import { buildHandlers, describeFault } from '../src/enclave/handlers.js';

runEnclaveWorker((side, init) => buildHandlers(side, init, { cipher: 'null' }), describeFault);
