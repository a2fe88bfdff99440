// The enclave worker's entry module (docs/adr/006-enclave-calls.md): serves the ECALL table of
// handlers.ts over the boundary channel until the host shuts it down.
import { runEnclaveWorker } from './boundary/worker-entry.js';
import { buildHandlers, describeFault } from './handlers.js';

runEnclaveWorker((side, init) => buildHandlers(side, init), describeFault);
