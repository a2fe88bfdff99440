// The enclave worker's entry module (docs/adr/006-enclave-calls.md): serves the ECALL table of
// handlers.ts over the boundary channel until the host shuts it down.
import { runEnclaveWorker } from './boundary/worker-entry.js';
import { SignaturePool } from './core/signature-pool.js';
import { buildHandlers, describeFault } from './handlers.js';

// The enclave's own signature thread (core/signature-pool.ts), inside the trust boundary: batches
// verify later calls' signatures there while earlier calls run. Its thread starts with the
// enclave, so it is up (loaded and compiled) before block 1 rather than being started by
// block 1's first batch (session 5: ~600 µs CPU per tx in block 1 vs ~60 later). Until it is up,
// or if it cannot start (null), every signature is verified in this thread, as before.
const signatures = SignaturePool.start();
try {
  runEnclaveWorker((side, init) => buildHandlers(side, init, { signatures }), describeFault);
} finally {
  signatures?.stop();
}
