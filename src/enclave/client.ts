// The host side of the enclave (docs/adr/006-enclave-calls.md): starts the worker, offers one
// typed async method per ECALL and serves the enclave's OCALLs from the host's services.
import type { ResourceLimits } from 'node:worker_threads';
import { EnclaveWorker, type Crossing } from './boundary/host-side.js';
import { BoundaryError } from './boundary/channel.js';
import {
  decodeMessage,
  decodeReadState,
  decodeReadStateBatch,
  ECALL,
  encodeBlobs,
  EMPTY,
  encodeMessage,
  OCALL,
  type AcceptSeedRequest,
  type BatchChain,
  type BlockRandomRequest,
  type EnclaveInit,
  type EnclaveServices,
  type GenesisPolicy,
  type NetworkKeys,
  type QueryRequest,
  type QueryResult,
  type RegisterNodeRequest,
  type RegisterNodeResult,
  type RegistrationKey,
  type RunContractRequest,
  type RunContractResult,
  type SealedNetworkKeys,
} from './protocol.js';
import { decodeBatchResult, decodeRunResult, encodeBatchRequest, encodeRunRequest } from './run-frames.js';

export interface EnclaveStartOptions {
  /** The node's home directory (the enclave keeps its sealing key there). */
  home: string;
  /** Attestation policy from genesis: trusted authorities, allowed measurements, max age. */
  genesisPolicy: GenesisPolicy;
  /** The host's OCALL implementations (synchronous). */
  services: EnclaveServices;
  /** Heap limits of the enclave thread; its stack size is always ENCLAVE_STACK_SIZE_MB. */
  resourceLimits?: Omit<ResourceLimits, 'stackSizeMb'>;
  /** Sees every frame that crosses the boundary (audits, canary tests). */
  tap?: (crossing: Crossing) => void;
  addressPrefix?: string;
  /** Largest frame, default 64 MiB. */
  channelCapacityBytes?: number;
  /**
   * Adaptive spinning at the boundary (default true, boundary/spin-wait.ts): crossings cost ~1 µs
   * instead of a thread wake-up, for bounded CPU spent spinning. Set false when the machine runs
   * more busy threads than it has cores (several validators on one small host).
   */
  spin?: boolean;
  /**
   * While an ECALL makes OCALLs, the host serves them synchronously for slices of this many ms,
   * yielding one event-loop turn between slices (boundary/host-side.ts; default 2). 0 = serve
   * every OCALL that the spin misses from the event loop (the session-2 behaviour).
   */
  syncSliceMs?: number;
}

/**
 * The enclave thread's stack, fixed in code so it is the same on every node. Contract-to-contract
 * queries nest wasm instances on one stack (at most MAX_QUERY_DEPTH = 10 below the outer call),
 * and each instance's own meter bounds it to ≈ 222 KB (docs/adr/003-gas-metering.md: 16,384
 * metered + 2,048 unmetered units at ≤ 12 bytes per unit). 11 × 222 KB ≈ 2.4 MB < 8 MB, so the
 * deterministic stack trap always fires before V8's own, machine-dependent limit.
 */
export const ENCLAVE_STACK_SIZE_MB = 8;

const workerEntry = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

/** Serves one OCALL from the host's services (exported for bench/enclave.ts, not from index.ts). */
export function serveOcall(services: EnclaveServices, tag: number, payload: Uint8Array): Uint8Array {
  switch (tag) {
    case OCALL.readState: {
      const { contract, diskKey } = decodeReadState(payload);
      return services.readState(contract, diskKey) ?? EMPTY;
    }
    case OCALL.readStateBatch: {
      const { contract, diskKeys } = decodeReadStateBatch(payload);
      return encodeBlobs(diskKeys.map((diskKey) => services.readState(contract, diskKey)));
    }
    case OCALL.getCode:
      return services.getCode(payload) ?? EMPTY;
    case OCALL.contractInfo:
      return services.contractInfo(new TextDecoder().decode(payload)) ?? EMPTY;
    case OCALL.queryChain:
      return services.queryChain(payload);
    default:
      throw new Error(`unknown OCALL tag ${tag}`);
  }
}

/**
 * A running enclave. Failed ECALLs reject with `EnclaveCallError` whose `enclaveCode` is the
 * enclave's own error code (e.g. `SIGNATURE_INVALID`); a dead worker rejects with
 * `BoundaryError` `ENCLAVE_CRASHED`.
 */
export class Enclave {
  /**
   * Per contract, the disk keys the enclave asked to get with that contract's next call (public:
   * slots its last call read). Read from the services right before the ECALL crosses.
   */
  private readonly readAhead = new Map<string, Uint8Array[]>();

  private constructor(
    private readonly worker: EnclaveWorker,
    private readonly services: EnclaveServices,
    private readonly served: { ocalls: number },
  ) {}

  /**
   * OCALLs served since start. The app's pipelined batches watch it: a speculative ECALL's
   * first OCALL (the batch prefetch) is answered from the event loop, so the host yields to it
   * before applying the previous batch (ADR 007 "Pipelined batches").
   */
  get ocallsServed(): number {
    return this.served.ocalls;
  }

  /**
   * Starts the enclave worker. The enclave holds no seed yet: call `bootstrap` (genesis),
   * `start` (a sealed seed from an earlier run) or `newRegistrationKey` + `acceptSeed` (join).
   * @throws BoundaryError ENCLAVE_CRASHED if the worker fails to start.
   */
  static start(options: EnclaveStartOptions): Promise<Enclave> {
    return Enclave.startWorker(workerEntry, options);
  }

  /**
   * The same client over another worker entry: for in-repo measurements only (bench/enclave.ts
   * runs bench/enclave-null-worker.ts, the null cipher, through the same client code as the
   * real worker). A node always uses `start`.
   */
  static async startWorker(entry: URL, options: EnclaveStartOptions): Promise<Enclave> {
    const init: EnclaveInit = {
      home: options.home,
      policy: options.genesisPolicy,
      ...(options.addressPrefix === undefined ? {} : { addressPrefix: options.addressPrefix }),
    };
    const served = { ocalls: 0 };
    const worker = await EnclaveWorker.start({
      entry,
      init,
      ocall: (tag, payload) => {
        served.ocalls++;
        return serveOcall(options.services, tag, payload);
      },
      resourceLimits: { ...options.resourceLimits, stackSizeMb: ENCLAVE_STACK_SIZE_MB },
      ...(options.tap ? { tap: options.tap } : {}),
      ...(options.channelCapacityBytes ? { channelCapacityBytes: options.channelCapacityBytes } : {}),
      ...(options.spin === undefined ? {} : { spin: options.spin }),
      ...(options.syncSliceMs === undefined ? {} : { syncSliceMs: options.syncSliceMs }),
    });
    return new Enclave(worker, options.services, served);
  }

  private async call<T>(tag: number, request: unknown): Promise<T> {
    return decodeMessage<T>(await this.worker.ecall(tag, encodeMessage(request)));
  }

  /** Genesis: the enclave creates the master seed and returns the network public keys and the sealed seed. */
  bootstrap(): Promise<SealedNetworkKeys> {
    return this.call(ECALL.bootstrap, null);
  }

  /** Opens this node's sealed seed (a restart). */
  start(sealedSeed: Uint8Array): Promise<NetworkKeys> {
    return this.call(ECALL.start, { sealedSeed });
  }

  /** A joining node: a registration key for the attestation quote, and the enclave's measurement. */
  newRegistrationKey(): Promise<RegistrationKey> {
    return this.call(ECALL.newRegistrationKey, null);
  }

  /** A validator: verifies a quote at the block time and encrypts the seed to the node. */
  registerNode(request: RegisterNodeRequest): Promise<RegisterNodeResult> {
    return this.call(ECALL.registerNode, request);
  }

  /** A joining node: decrypts its encrypted seed and returns it sealed. */
  acceptSeed(request: AcceptSeedRequest): Promise<SealedNetworkKeys> {
    return this.call(ECALL.acceptSeed, request);
  }

  /** Runs a contract call (user or callback) and returns only public or encrypted results. */
  async runContract(request: RunContractRequest): Promise<RunContractResult> {
    // The read-ahead travels with the call (ECALL runContractAhead, ADR 006 "As built"): the
    // blobs are read when the call's turn comes, so they are the store the enclave would see
    // through readState.
    const payload = () => {
      let diskKeys = this.readAhead.get(request.contract) ?? [];
      let blobs: (Uint8Array | null)[];
      try {
        blobs = diskKeys.map((diskKey) => this.services.readState(request.contract, diskKey));
      } catch {
        // A failing store: send no read-ahead, so the failure surfaces through the enclave's own
        // readState OCALL as the typed OCALL_FAILED it has always been.
        diskKeys = [];
        blobs = [];
      }
      return encodeRunRequest({ request, ahead: { diskKeys, blobs } });
    };
    const { result, next } = decodeRunResult(await this.worker.ecall(ECALL.runContractAhead, payload));
    this.rememberReadAhead(request.contract, next);
    return result;
  }

  /**
   * Runs consecutive contract calls in one ECALL (ADR 006 "As built", batches): the results are
   * exactly those of `runContract` on each in turn with each successful result's writes applied
   * to the store before the next call — provided the caller applies them so, and changes nothing
   * else the enclave can read (code, registry, bank) between them. So batch only calls whose
   * successful results you will apply unconditionally (e.g. each the last message of its
   * transaction, with gas accounting that cannot fail afterwards).
   *
   * The enclave may run fewer than all: the results come back for `requests[0..k)`, k ≥ 1.
   * It stops after a failed call or one with messages or a reply (the host acts on it first),
   * and before a later call that needs code, the registry or a bank query, or that it refuses.
   * Apply the k results, act on the last one, then call again with `requests.slice(k)`.
   *
   * `chain` pipelines batches (ADR 006 "Pipelined batches"): with `chain.id` non-zero the
   * enclave keeps this batch's writes if all its calls ran and succeeded; with `chain.after`
   * non-zero the batch is speculative: it runs as if the host had already applied the writes of
   * batch `after` (and of that batch's own chain), so the host may apply those while it runs.
   * Its results are valid only if the host then applied every result of `after` as is, and
   * changed nothing else the enclave reads but bank and account state (a speculative call
   * never asks the host for anything but state slots). A speculative batch may answer no result.
   * @throws EnclaveCallError when the enclave refuses the first call (as runContract would), or
   *   a speculative batch whose `after` is not the kept batch.
   */
  async runContractBatch(
    requests: readonly RunContractRequest[],
    chain?: BatchChain,
  ): Promise<RunContractResult[]> {
    const payload = () => {
      const contracts = [...new Set(requests.map((request) => request.contract))];
      const ahead = contracts.flatMap((contract) => {
        const diskKeys = this.readAhead.get(contract) ?? [];
        if (diskKeys.length === 0) return [];
        try {
          return [
            {
              contract,
              diskKeys,
              blobs: diskKeys.map((diskKey) => this.services.readState(contract, diskKey)),
            },
          ];
        } catch {
          return []; // as in runContract: the failure surfaces through the enclave's readState
        }
      });
      return encodeBatchRequest(
        chain === undefined ? { requests: [...requests], ahead } : { requests: [...requests], ahead, chain },
      );
    };
    const { results, next } = decodeBatchResult(await this.worker.ecall(ECALL.runContractBatch, payload));
    const speculative = chain !== undefined && chain.after !== 0;
    if ((results.length === 0 && !speculative) || results.length > requests.length) {
      throw new BoundaryError(
        'PROTOCOL_VIOLATION',
        `the enclave answered a batch of ${requests.length} with ${results.length} results`,
      );
    }
    for (const { contract, diskKeys } of next) this.rememberReadAhead(contract, diskKeys);
    return results;
  }

  private rememberReadAhead(contract: string, next: Uint8Array[]): void {
    if (next.length === 0) this.readAhead.delete(contract);
    else {
      if (!this.readAhead.has(contract) && this.readAhead.size >= 4096) this.readAhead.clear();
      this.readAhead.set(contract, next);
    }
  }

  /** Runs an encrypted query; the answer is encrypted for the querier. */
  query(request: QueryRequest): Promise<QueryResult> {
    return this.call(ECALL.query, request);
  }

  /** Derives the block's random inside the enclave (nothing comes back). */
  async blockRandom(request: BlockRandomRequest): Promise<void> {
    await this.worker.ecall(ECALL.blockRandom, encodeMessage(request));
  }

  /** Stops the worker. */
  stop(): Promise<void> {
    return this.worker.stop();
  }
}
