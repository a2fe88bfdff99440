// The enclave's ECALL table (docs/adr/006-enclave-calls.md), built inside the worker: everything
// secret lives in that thread. The host gives only public init data (home path, genesis
// attestation policy); the sealing key is loaded here, the master seed is created or unsealed
// here, and every answer that leaves is ciphertext, a public key, a hash, a gas figure or an
// error code.
import type { EcallHandler, EnclaveSide } from './boundary/enclave-side.js';
import type { BoundaryFault } from './boundary/fault.js';
import { ShroudError } from '../errors.js';
import { EnclaveError } from './errors.js';
import { KeyVault } from './core/keys.js';
import { Executor, type ExecutorOptions, type Ocalls } from './core/executor.js';
import { loadSealingKey } from './core/sealing-key.js';
import { enclaveMeasurement } from './core/measurement.js';
import {
  decodeMessage,
  ECALL,
  EMPTY,
  encodeMessage,
  decodeBlobs,
  encodeReadState,
  encodeReadStateBatch,
  OCALL,
  type AcceptSeedRequest,
  type BlockRandomRequest,
  type EnclaveInit,
  type QueryRequest,
  type RegisterNodeRequest,
  type RunContractRequest,
} from './protocol.js';
import { decodeBatchRequest, decodeRunRequest, encodeBatchResult, encodeRunResult } from './run-frames.js';

function readInit(init: unknown): EnclaveInit {
  const value = init as Partial<EnclaveInit> | null;
  if (!value || typeof value.home !== 'string' || typeof value.policy !== 'object' || value.policy === null) {
    throw new EnclaveError('BAD_REQUEST', 'the enclave needs {home, policy} at start');
  }
  return value as EnclaveInit;
}

function ocallsOver(side: EnclaveSide): Ocalls {
  const orNull = (answer: Uint8Array) => (answer.length === 0 ? null : answer);
  return {
    readState: (contract, diskKey) => orNull(side.ocall(OCALL.readState, encodeReadState(contract, diskKey))),
    readStateBatch: (contract, diskKeys) =>
      decodeBlobs(
        side.ocall(OCALL.readStateBatch, encodeReadStateBatch(contract, diskKeys)),
        diskKeys.length,
      ),
    getCode: (codeHash) => orNull(side.ocall(OCALL.getCode, codeHash)),
    contractInfo: (address) => orNull(side.ocall(OCALL.contractInfo, new TextEncoder().encode(address))),
    queryChain: (request) => side.ocall(OCALL.queryChain, request),
  };
}

/**
 * Builds the ECALL table over the key vault and the execution core. The enclave worker passes
 * `{ signatures }` (its signature pool); `cipher: 'null'` is for in-repo measurements only
 * (bench/enclave-null-worker.ts).
 */
export function buildHandlers(
  side: EnclaveSide,
  rawInit: unknown,
  executorOptions: ExecutorOptions = {},
): ReadonlyMap<number, EcallHandler> {
  const init = readInit(rawInit);
  const vault = new KeyVault(() => loadSealingKey(init.home), init.policy, enclaveMeasurement());
  const executor = new Executor(vault, ocallsOver(side), init.addressPrefix ?? 'shroud', executorOptions);
  const handler =
    <Request, Response>(run: (request: Request) => Response): EcallHandler =>
    (payload) =>
      encodeMessage(run(decodeMessage<Request>(payload)));
  // Every ECALL but a batch and a query ends a pipelined chain (Executor.endPipelineChain).
  const endingChain =
    (run: EcallHandler): EcallHandler =>
    (payload) => {
      executor.endPipelineChain();
      return run(payload);
    };
  return new Map<number, EcallHandler>([
    [ECALL.bootstrap, endingChain(handler(() => vault.bootstrap()))],
    [
      ECALL.start,
      endingChain(handler((request: { sealedSeed: Uint8Array }) => vault.start(request.sealedSeed))),
    ],
    [ECALL.newRegistrationKey, endingChain(handler(() => vault.newRegistrationKey()))],
    [ECALL.registerNode, endingChain(handler((request: RegisterNodeRequest) => vault.registerNode(request)))],
    [ECALL.acceptSeed, endingChain(handler((request: AcceptSeedRequest) => vault.acceptSeed(request)))],
    [ECALL.runContract, endingChain(handler((request: RunContractRequest) => executor.runContract(request)))],
    [
      ECALL.runContractAhead,
      // Compact frames (run-frames.ts): the hot call, and a strictly checked decoder of host input.
      endingChain((payload) => {
        const { request, ahead } = decodeRunRequest(payload);
        const result = executor.runContract(request, ahead);
        return encodeRunResult({ result, next: executor.readAheadFor(request.contract) });
      }),
    ],
    [
      ECALL.runContractBatch,
      (payload) => {
        const { requests, ahead, chain } = decodeBatchRequest(payload);
        return encodeBatchResult(executor.runBatch(requests, ahead, chain));
      },
    ],
    [ECALL.query, handler((request: QueryRequest) => executor.query(request))],
    [
      ECALL.blockRandom,
      endingChain((payload) => {
        vault.blockRandom(decodeMessage<BlockRandomRequest>(payload));
        return EMPTY;
      }),
    ],
  ]);
}

/**
 * What crosses when an ECALL fails: typed errors keep their code and message (messages never
 * carry secrets or plaintext, src/errors.ts); anything else becomes a generic fault, since a
 * raw exception's text could.
 */
export function describeFault(error: unknown): BoundaryFault {
  if (error instanceof ShroudError) {
    const typed = error as ShroudError;
    return { code: typed.code, message: typed.message };
  }
  return { code: 'ENCLAVE_FAULT', message: 'the enclave failed on an internal error' };
}
