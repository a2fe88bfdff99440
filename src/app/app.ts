// ShroudApp: the deterministic state machine behind the ABCI-shaped interface (DESIGN.md §2,
// §7; docs/adr/007-app-state-machine.md). Modules auth, bank, compute, registration and
// staking, SDK gas and fees, the tx index. No clock, no randomness, no I/O but the Store and
// the enclave: the block time and the proposer come in the requests.
import {
  addressFromPublicKey,
  bytesToHex,
  concatBytes,
  hexToBytes,
  secp256k1Verify,
  sha256,
  toBech32,
  utf8Decode,
  utf8Encode,
} from '../crypto/index.js';
import { signBytes, tryDecodeTx, txHash, type DecodedTx } from '../codec/index.js';
import {
  EnclaveCallError,
  type Enclave,
  type EnclaveServices,
  type OutputAttribute,
  type OutputMessage,
  type PublicCoin,
  type RunContractRequest,
  type RunContractResult,
  type UserAuth,
  type CallbackAuth,
} from '../enclave/index.js';
import { validateContractCode, VmError } from '../vm/index.js';
import type { BlockBatch, Store } from '../store/index.js';
import {
  TxCode,
  codespaceOf,
  type AbciApplication,
  type AbciEvent,
  type ExecTxResult,
  type RequestCheckTx,
  type RequestFinalizeBlock,
  type RequestInfo,
  type RequestInitChain,
  type RequestPrepareProposal,
  type RequestProcessProposal,
  type RequestQuery,
  type ResponseCheckTx,
  type ResponseCommit,
  type ResponseFinalizeBlock,
  type ResponseInfo,
  type ResponseInitChain,
  type ResponsePrepareProposal,
  type ResponseProcessProposal,
  type ResponseQuery,
  type ValidatorUpdate,
} from './abci.js';
import { GasMeter, TxContext, TxFailure, type StateReader } from './context.js';
import { AppError } from './errors.js';
import { SignatureVerifier, packable, type VerifyItem } from './verifier.js';
import { decodeTxRecord, encodeTxRecord } from './txrecord.js';
import { POWER_REDUCTION, type Genesis } from './genesis.js';
import {
  KEYS,
  META,
  decodeAccount,
  decodeAmount,
  decodeCode,
  decodeContract,
  decodeU64,
  decodeUnbonding,
  decodeValidator,
  encodeAccount,
  encodeAmount,
  encodeCode,
  encodeContract,
  encodeU64,
  encodeUnbonding,
  encodeValidator,
  type AccountRecord,
  type ContractRecord,
} from './state.js';

export const APP_VERSION = 1n;
/** Wasm gas cap of one call (CONTRACT_ABI §6: min(remaining × 1000, 10^10)). */
const MAX_WASM_GAS = 10_000_000_000n;
/** Most calls sent in one runContractBatch (bounds the work redone when a prediction misses). */
const CONTRACT_BATCH_MAX = 64;
/** Contract-to-contract message depth (CONTRACT_ABI §6: max call depth 100). */
const MAX_CALL_DEPTH = 100;
/** Smart query gas limit in SDK gas (CONTRACT_ABI §6 default). */
const QUERY_GAS_LIMIT = 10_000_000n;
/** Signature-cache entries (checkTx verified → finalizeBlock skips a second verify). */
const VERIFIED_CACHE_MAX = 200_000;
/** Decoded-tx cache entries. */
const DECODED_CACHE_MAX = 50_000;
/** Signer-address cache entries (one per distinct signer key). */
const SIGNER_CACHE_MAX = 100_000;
/** Txs per signature-worker request in checkTxBatch (the worker runs one chunk ahead). */
const VERIFY_CHUNK = 50;

/** Byte equality (public keys: no secret, no constant time needed). */
function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/** Module accounts (no private key exists: the addresses are hashes of a name). */
export const MODULE_ADDRESSES = {
  feeCollector: moduleAddress('fee_collector'),
  bondedPool: moduleAddress('bonded_tokens_pool'),
  notBondedPool: moduleAddress('not_bonded_tokens_pool'),
} as const;

function moduleAddress(name: string): string {
  return toBech32('shroud', sha256(utf8Encode(`shroud/v1/module/${name}`)).subarray(0, 20));
}

/**
 * A contract's address: bech32(sha256("shroud/v1/contract" ‖ 0 ‖ u64be(code id) ‖ label)), 32
 * bytes. Labels are unique, so (code id, label) names one contract, and a client can compute
 * the address before instantiating (the envelope binds `code:<id>/<label>`).
 */
export function contractAddressOf(codeId: bigint, label: string): string {
  return toBech32(
    'shroud',
    sha256(concatBytes(utf8Encode('shroud/v1/contract\u0000'), encodeU64(codeId), utf8Encode(label))),
  );
}

/** Consensus address of an ed25519 key: sha256(pubkey)[0..20] (CometBFT). */
export function consensusAddress(publicKey: Uint8Array): Uint8Array {
  return sha256(publicKey).subarray(0, 20);
}

interface Coin {
  denom: string;
  amount: bigint;
}

interface CheckState {
  sequence: bigint;
  spent: Map<string, bigint>;
}

/** What a prepared tx needs from checks (shared by checkTx and finalizeBlock). */
interface Checked {
  decoded: DecodedTx;
  hash: Uint8Array;
  signer: string;
  account: AccountRecord;
  fee: Coin[];
  gasLimit: bigint;
  /** Coins the signer moves out in this tx beyond the fee (sends, funds, bonds). */
  outflow: Coin[];
}

type CheckResult = { ok: true; value: Checked } | { ok: false; code: number; log: string; gasWanted: bigint };

interface BlockState {
  batch: BlockBatch;
  height: bigint;
  timeNanos: bigint;
  callIndex: number;
  txIndex: number;
  /** Validators touched in this block → their power at block start. */
  touched: Map<string, bigint>;
  response: ResponseFinalizeBlock | null;
  /** The block's txs (contract-call batches look ahead in them). */
  txs: readonly Uint8Array[];
  /**
   * Results the enclave computed ahead in a batch (runContractBatch), each for the exact
   * request it answers; valid only while every earlier call of the batch was applied as is.
   */
  ahead: { request: RunContractRequest; result: RunContractResult }[];
  /** True once the executing tx's top-level call came from (or started) a batch. */
  batchedTx: boolean;
  /**
   * The speculative batch in flight (ADR 007 "Pipelined batches"): the enclave runs the calls
   * predicted after the last batch while the host applies that batch's results. Usable only for
   * the very request the tx after them makes, once `ahead` was consumed without a reset.
   */
  speculation: Speculation | null;
  /** The last speculative ECALL started in this block: awaited before the block ends. */
  inFlight: Promise<unknown> | null;
  /** sha256 of each of `txs`, computed once (prediction, execution and the tx index need it). */
  hashes: (Uint8Array | undefined)[];
}

/**
 * What predicting a batch needs from the call that started the chain: the request (contract,
 * code hash, block) and the tx's gas used before it (the same for each single-execute tx of the
 * same contract but for the tx size, whose length is `txBytes`).
 */
interface CallTemplate {
  first: RunContractRequest;
  usedBefore: bigint;
  txBytes: number;
}

interface Speculation {
  requests: RunContractRequest[];
  /** `enclave.ocallsServed` when it was sent; `started` once an OCALL was served since, or it ended. */
  ocallMark: number;
  started: boolean;
  /** The enclave's results (possibly none), or null if the ECALL failed. */
  results: Promise<RunContractResult[] | null>;
  template: CallTemplate;
  /** Chain id of this batch (the next speculation names it as `after`). */
  id: number;
}

/** The hash of the block's tx `index`, computed at most once per block. */
function blockTxHash(block: BlockState, index: number): Uint8Array {
  let hash = block.hashes[index];
  if (hash === undefined) {
    hash = txHash(block.txs[index] as Uint8Array);
    block.hashes[index] = hash;
  }
  return hash;
}

interface CallContext {
  ctx: TxContext;
  txHash: Uint8Array;
  events: AbciEvent[];
  /** 0 for the tx's own contract calls, +1 per level of contract messages (event `call_depth`). */
  depth: number;
}

/** What commit needs from a mempool (structural: the app does not import the mempool layer). */
export interface MempoolCommitLock {
  lockForCommit(): Promise<void>;
  unlock(): void;
}

export interface ShroudAppOptions {
  store: Store;
  genesis: Genesis;
  /**
   * Run consecutive single-execute txs' contract calls in one enclave call (ADR 007 "Contract
   * call batches"); default true. Results are identical either way; false is for comparison.
   */
  contractBatching?: boolean;
  /**
   * Pipeline contract-call batches (ADR 007 "Pipelined batches"): when a batch's results come
   * back, the enclave starts the next predicted batch (speculatively, on top of the first one's
   * writes) while the host applies them. Results are identical either way; default true.
   */
  contractPipelining?: boolean;
  /**
   * Most calls one batch may send (2 to 64, default 64; a lower bound makes more, shorter
   * batches: tests chain many pipelined batches in a small block).
   */
  contractBatchMax?: number;
}

/** A transaction result as indexed by hash (`/tx/<hash>`). */
export interface IndexedTx {
  height: bigint;
  index: number;
  result: ExecTxResult;
}

function attr(key: string, value: string, index = true) {
  return { key, value, index };
}

function coinsText(coins: readonly Coin[]): string {
  return coins.map((c) => `${c.amount}${c.denom}`).join(',');
}

function toCoins(coins: readonly { denom: string; amount: string }[]): Coin[] {
  return coins.map((c) => ({ denom: c.denom, amount: BigInt(c.amount) }));
}

/** The request of an `execute` message (one builder for the call and its batch prediction). */
function executeSpec(
  v: {
    contract: string;
    sender: string;
    sentFunds: readonly { denom: string; amount: string }[];
    msg: Uint8Array;
  },
  codeHash: Uint8Array,
  auth: UserAuth,
): Omit<RunContractRequest, 'block' | 'txIndex' | 'callIndex' | 'gasLimit'> {
  return {
    entry: 'execute',
    contract: v.contract,
    codeHash: bytesToHex(codeHash),
    sender: v.sender,
    funds: publicCoins(v.sentFunds),
    envelope: v.msg,
    auth,
  };
}

function publicCoins(coins: readonly { denom: string; amount: string }[]): PublicCoin[] {
  return coins.map((c) => ({ denom: c.denom, amount: c.amount }));
}

function addCoins(into: Map<string, bigint>, coins: readonly Coin[]): void {
  for (const coin of coins) into.set(coin.denom, (into.get(coin.denom) ?? 0n) + coin.amount);
}

/**
 * The Shroud application. Construct it with an open Store and the parsed genesis, start the
 * enclave with `app.enclaveServices`, then `attachEnclave` before the first block.
 */
export class ShroudApp implements AbciApplication {
  readonly store: Store;
  readonly genesis: Genesis;
  private enclave: Enclave | null = null;
  private block: BlockState | null = null;
  /** The first block's batch holding the genesis state, between initChain and block 1. */
  private genesisBatch: BlockBatch | null = null;
  /**
   * The genesis state as checkTx sees it from initChain until block 1 commits: a copy, because
   * block 1 continues the genesis batch and the store has nothing committed until then.
   */
  private genesisView: StateReader | null = null;
  private checkStates = new Map<string, CheckState>();
  private readonly verified = new Set<string>();
  private readonly decoded = new Map<string, DecodedTx>();
  /** Signature worker of checkTxBatch (startSignatureWorker), if started. */
  private verifier: SignatureVerifier | null = null;
  private verifiedAheadCount = 0;
  /** Signer key (latin1) → account address; see signerAddress. */
  private readonly signers = new Map<string, string>();
  /** What the enclave's OCALLs read from while an ECALL runs (batch during blocks, store for queries). */
  private reader: StateReader;
  private enclaveQueue: Promise<unknown> = Promise.resolve();
  readonly enclaveServices: EnclaveServices;
  private readonly contractBatching: boolean;
  private readonly contractPipelining: boolean;
  /** Chain id of the last batch sent (ADR 006 "Pipelined batches"): 1 to 2^32 - 1, never 0. */
  private batchId = 0;
  /**
   * Calls the next batch may send: twice what the last batch answered (2 to
   * CONTRACT_BATCH_MAX), so blocks whose calls stop every batch early (messages, failures) do
   * not pay for predicting and sending requests the enclave will not run.
   */
  private contractBatchLimit: number;
  private readonly contractBatchMax: number;
  /**
   * Speculative batches started and those whose results were used (ADR 007 "Pipelined
   * batches"), since start: for tests and benchmarks.
   */
  readonly pipelineStats = { started: 0, used: 0 };
  private mempoolLock: MempoolCommitLock | null = null;

  constructor(options: ShroudAppOptions) {
    this.store = options.store;
    this.genesis = options.genesis;
    this.contractBatching = options.contractBatching ?? true;
    this.contractPipelining = options.contractPipelining ?? true;
    this.contractBatchMax = Math.min(
      CONTRACT_BATCH_MAX,
      Math.max(2, options.contractBatchMax ?? CONTRACT_BATCH_MAX),
    );
    this.contractBatchLimit = this.contractBatchMax;
    this.reader = this.store;
    this.enclaveServices = {
      readState: (contract, diskKey) => this.ocallRead(KEYS.contractState(contract, diskKey)) ?? null,
      getCode: (codeHash) => this.reader.get(KEYS.wasm(codeHash)) ?? null,
      contractInfo: (address) => {
        const record = this.reader.get(KEYS.contract(address));
        return record === undefined ? null : decodeContract(record).codeHash;
      },
      queryChain: (request) => this.queryChain(request),
    };
  }

  /** Gives the app its running enclave (started with `enclaveServices`, seed opened). */
  attachEnclave(enclave: Enclave): void {
    this.enclave = enclave;
  }

  // --- ABCI: info / initChain -----------------------------------------------------------

  info(_request: RequestInfo): Promise<ResponseInfo> {
    const info = this.store.info();
    return Promise.resolve({
      data: 'shroud',
      version: '0.1.0',
      appVersion: APP_VERSION,
      lastBlockHeight: info.height,
      lastBlockAppHash: info.appHash,
    });
  }

  /**
   * Writes the genesis state into the batch of the first block (the genesis initial_height,
   * 1 unless set) and returns its app hash; the first FinalizeBlock continues that batch, so
   * genesis and the first block commit together (CometBFT replays InitChain if the app crashes
   * before its first Commit).
   * @throws {AppError} ALREADY_INITIALIZED, GENESIS_MISMATCH, OUT_OF_ORDER.
   */
  initChain(request: RequestInitChain): Promise<ResponseInitChain> {
    if (request.chainId !== this.genesis.chainId) {
      throw new AppError(
        'GENESIS_MISMATCH',
        `initChain for chain "${request.chainId}", genesis is "${this.genesis.chainId}"`,
      );
    }
    if (request.initialHeight !== this.genesis.initialHeight) {
      throw new AppError(
        'GENESIS_MISMATCH',
        `initChain at initial height ${request.initialHeight}, genesis says ${this.genesis.initialHeight}`,
      );
    }
    if (this.store.info().height !== 0n) {
      throw new AppError(
        'ALREADY_INITIALIZED',
        'the store already has committed blocks: initChain runs once',
      );
    }
    if (this.genesisBatch !== null) throw new AppError('OUT_OF_ORDER', 'initChain called twice');
    // The first block may have any height (CometBFT genesis initial_height, ≥ 1).
    const batch = this.store.beginInitialBlock(request.initialHeight);
    const ctx = new TxContext(batch, null, this.genesis.params.gas);
    batch.set(KEYS.chainId, utf8Encode(this.genesis.chainId));
    for (const account of this.genesis.accounts) {
      this.ensureAccount(ctx, account.address);
      for (const coin of account.coins) this.addBalance(ctx, account.address, coin.denom, coin.amount);
    }
    const updates: ValidatorUpdate[] = [];
    for (const validator of this.genesis.validators) {
      this.ensureAccount(ctx, validator.operatorAddress);
      ctx.set(
        KEYS.validator(validator.operatorAddress),
        encodeValidator({
          consensusPublicKey: validator.consensusPublicKey,
          tokens: validator.selfBond,
          moniker: validator.moniker,
        }),
      );
      ctx.set(
        KEYS.validatorByConsensus(consensusAddress(validator.consensusPublicKey)),
        utf8Encode(validator.operatorAddress),
      );
      ctx.set(
        KEYS.delegation(validator.operatorAddress, validator.operatorAddress),
        encodeAmount(validator.selfBond),
      );
      this.addBalance(ctx, MODULE_ADDRESSES.bondedPool, this.genesis.params.bondDenom, validator.selfBond);
      updates.push({ pubKey: validator.consensusPublicKey, power: validator.selfBond / POWER_REDUCTION });
    }
    this.genesisBatch = batch;
    const genesisState = new Map<string, Uint8Array>();
    for (const entry of batch.entries()) genesisState.set(bytesToHex(entry.key), entry.value);
    this.genesisView = { get: (key) => genesisState.get(bytesToHex(key))?.slice() };
    return Promise.resolve({ validators: updates, appHash: batch.hash() });
  }

  // --- ABCI: checkTx ----------------------------------------------------------------------

  /**
   * Checks a transaction against committed state plus this node's pending check-state (so a
   * sender's consecutive txs in one block pass). Never throws for bad input: the code says why.
   */
  checkTx(request: RequestCheckTx): ResponseCheckTx {
    return this.checkTxHashed(request, undefined);
  }

  /** checkTx with the tx's hash when the caller already has it (checkTxBatch). */
  private checkTxHashed(request: RequestCheckTx, hash: Uint8Array | undefined): ResponseCheckTx {
    // Until block 1 commits the genesis state is only in its batch: check against a copy of it
    // (as the Cosmos SDK's InitChain sets its check-state), later against committed state.
    const reader: StateReader = this.genesisView ?? this.store;
    const checked = this.check(request.tx, reader, this.nextHeight(), true, hash);
    if (!checked.ok) return this.checkResponse(checked.code, checked.log, checked.gasWanted);
    const value = checked.value;
    const pending = this.checkStates.get(value.signer);
    const expected = pending?.sequence ?? value.account.sequence;
    const sequence = value.decoded.authInfo.signer?.sequence ?? 0n;
    if (sequence !== expected) {
      return this.checkResponse(
        TxCode.WRONG_SEQUENCE,
        `account sequence mismatch, expected ${expected}, got ${sequence}`,
        value.gasLimit,
      );
    }
    const spent = new Map(pending?.spent ?? []);
    addCoins(spent, value.fee);
    addCoins(spent, value.outflow);
    for (const [denom, amount] of spent) {
      const balance = decodeAmount(reader.get(KEYS.balance(value.signer, denom)));
      if (balance < amount) {
        return this.checkResponse(
          TxCode.INSUFFICIENT_FUNDS,
          `insufficient funds: ${balance}${denom} < ${amount}${denom} needed for fees and transfers of pending txs`,
          value.gasLimit,
        );
      }
    }
    this.checkStates.set(value.signer, { sequence: sequence + 1n, spent });
    const feeAmount = value.fee.find((c) => c.denom === this.genesis.params.feeDenom)?.amount ?? 0n;
    return {
      ...this.checkResponse(TxCode.OK, '', value.gasLimit),
      sender: value.signer,
      sequence,
      priority: (feeAmount * 1_000_000n) / value.gasLimit,
    };
  }

  /**
   * Starts the signature worker used by checkTxBatch (optional; ADR 007 "checkTx").
   * @returns false if the worker could not start (checkTxBatch then verifies on this thread).
   */
  startSignatureWorker(): Promise<boolean> {
    this.verifier ??= new SignatureVerifier();
    return this.verifier.ready;
  }

  /** Signatures the worker verified ahead for checkTxBatch since start (tests, benchmarks). */
  get signaturesVerifiedAhead(): number {
    return this.verifiedAheadCount;
  }

  /** Stops the signature worker (idempotent). */
  async stopSignatureWorker(): Promise<void> {
    const verifier = this.verifier;
    this.verifier = null;
    await verifier?.close();
  }

  /**
   * checkTx for several transactions, in order, with the same responses as calling checkTx
   * on each. With the signature worker running, the signatures of the next chunk are
   * verified on the worker while this thread checks the current one (results fill the
   * verified-signature cache; checkTx still decides every tx).
   */
  async checkTxBatch(requests: readonly RequestCheckTx[]): Promise<ResponseCheckTx[]> {
    const verifier = this.verifier;
    if (verifier === null || !verifier.usable) return requests.map((request) => this.checkTx(request));
    const reader: StateReader = this.genesisView ?? this.store;
    const maxTxBytes = this.genesis.params.maxTxBytes;
    const stage = (chunk: readonly RequestCheckTx[]) => {
      // Hashed once here for the worker's item and for checkTx (too large: checkTx refuses first).
      const hashes = chunk.map((request) =>
        request.tx.length > maxTxBytes ? undefined : txHash(request.tx),
      );
      const staged = chunk
        .map((request, i) => this.verifyItem(request.tx, reader, hashes[i]))
        .filter((x): x is { cacheKey: string; item: VerifyItem } => x !== null);
      const results =
        staged.length === 0 ? Promise.resolve(null) : verifier.verify(staged.map((x) => x.item));
      return { chunk, hashes, staged, results };
    };
    const out: ResponseCheckTx[] = [];
    let next = stage(requests.slice(0, VERIFY_CHUNK));
    for (let start = 0; start < requests.length; start += VERIFY_CHUNK) {
      const current = next;
      if (start + VERIFY_CHUNK < requests.length) {
        next = stage(requests.slice(start + VERIFY_CHUNK, start + 2 * VERIFY_CHUNK));
      }
      const results = await current.results;
      current.staged.forEach((x, i) => {
        if (results?.[i] !== 1) return;
        this.addVerified(x.cacheKey);
        this.verifiedAheadCount++;
      });
      current.chunk.forEach((request, i) => out.push(this.checkTxHashed(request, current.hashes[i])));
    }
    return out;
  }

  private checkResponse(code: number, log: string, gasWanted: bigint): ResponseCheckTx {
    return {
      code,
      data: new Uint8Array(0),
      log,
      gasWanted,
      gasUsed: 0n,
      events: [],
      codespace: codespaceOf(code),
    };
  }

  /** Stateless and account checks shared by checkTx and finalizeBlock (sequence checked by callers). */
  private check(
    txBytes: Uint8Array,
    reader: StateReader,
    height: bigint,
    useCache: boolean,
    knownHash?: Uint8Array,
  ): CheckResult {
    const params = this.genesis.params;
    if (txBytes.length > params.maxTxBytes) {
      return {
        ok: false,
        code: TxCode.TX_TOO_LARGE,
        log: `tx has ${txBytes.length} bytes, limit ${params.maxTxBytes}`,
        gasWanted: 0n,
      };
    }
    const hash = knownHash ?? txHash(txBytes);
    const decodedResult = this.decode(txBytes, hash);
    if (!decodedResult.ok) {
      return {
        ok: false,
        code: TxCode.TX_DECODE,
        log: `tx decode: ${decodedResult.error.message}`,
        gasWanted: 0n,
      };
    }
    const decoded = decodedResult.value;
    const fee = decoded.authInfo.fee;
    const signerInfo = decoded.authInfo.signer;
    const gasLimit = fee?.gasLimit ?? 0n;
    const fail = (code: number, log: string): CheckResult => ({ ok: false, code, log, gasWanted: gasLimit });
    if (fee === undefined || signerInfo === undefined)
      return fail(TxCode.TX_DECODE, 'tx has no fee or signer');
    if (gasLimit > params.blockGasLimit) {
      return fail(
        TxCode.INVALID_GAS_LIMIT,
        `gas limit ${gasLimit} exceeds the block gas limit ${params.blockGasLimit}`,
      );
    }
    const timeout = decoded.body.timeoutHeight;
    if (timeout !== 0n && height > timeout) {
      return fail(
        TxCode.TX_TIMEOUT_HEIGHT,
        `tx timed out at height ${timeout}; the block height is ${height}`,
      );
    }
    const signer = this.signerAddress(signerInfo.publicKey);
    if (signer === null)
      return fail(TxCode.INVALID_PUBKEY, 'the signer public key is not a compressed secp256k1 point');
    // Fee: at least ceil(gas_limit × min price) of the fee denom, only known denoms.
    const feeCoins = toCoins(fee.amount);
    const price = params.minGasPrices.find((p) => p.denom === params.feeDenom);
    const required =
      price === undefined ? 0n : (gasLimit * price.numerator + price.denominator - 1n) / price.denominator;
    const paid = feeCoins.find((c) => c.denom === params.feeDenom)?.amount ?? 0n;
    if (feeCoins.some((c) => c.denom !== params.feeDenom)) {
      return fail(TxCode.INSUFFICIENT_FEE, `fees are paid in ${params.feeDenom} only`);
    }
    if (paid < required) {
      return fail(
        TxCode.INSUFFICIENT_FEE,
        `insufficient fee: got ${paid}${params.feeDenom}, required ${required}${params.feeDenom}`,
      );
    }
    const accountBytes = reader.get(KEYS.account(signer));
    if (accountBytes === undefined)
      return fail(TxCode.UNKNOWN_ADDRESS, `account ${signer} does not exist: fund it first`);
    const account = decodeAccount(accountBytes);
    if (account.publicKey.length > 0 && !bytesEqual(account.publicKey, signerInfo.publicKey)) {
      return fail(TxCode.INVALID_PUBKEY, 'the signer key is not the key of this account');
    }
    const cacheKey = `${bytesToHex(hash)}/${account.number}`;
    if (!useCache || !this.verified.has(cacheKey)) {
      const signature = decoded.tx.signatures[0];
      let valid: boolean;
      try {
        valid =
          signature !== undefined &&
          secp256k1Verify(this.signDigest(decoded, account.number), signature, signerInfo.publicKey);
      } catch {
        valid = false;
      }
      if (!valid)
        return fail(
          TxCode.UNAUTHORIZED,
          'signature verification failed: check account number, chain id and sequence',
        );
      this.addVerified(cacheKey);
    }
    const outflow: Coin[] = [];
    for (const [i, message] of decoded.body.messages.entries()) {
      const sum = message.sum;
      let sender: string;
      switch (sum.case) {
        case 'send':
          sender = sum.value.fromAddress;
          outflow.push(...toCoins(sum.value.amount));
          break;
        case 'storeCode':
        case 'registerNode':
          sender = sum.value.sender;
          break;
        case 'instantiateContract':
          sender = sum.value.sender;
          outflow.push(...toCoins(sum.value.initFunds));
          break;
        case 'executeContract':
          sender = sum.value.sender;
          outflow.push(...toCoins(sum.value.sentFunds));
          break;
        case 'migrateContract':
          sender = sum.value.sender;
          break;
        case 'createValidator':
          sender = sum.value.operatorAddress;
          if (sum.value.selfBond) outflow.push(...toCoins([sum.value.selfBond]));
          break;
        case 'delegate':
          sender = sum.value.delegatorAddress;
          if (sum.value.amount) outflow.push(...toCoins([sum.value.amount]));
          break;
        case 'undelegate':
          sender = sum.value.delegatorAddress;
          break;
        default:
          return fail(TxCode.UNKNOWN_REQUEST, `message ${i} has no known type`);
      }
      if (sender !== signer)
        return fail(TxCode.UNAUTHORIZED, `message ${i}: sender ${sender} is not the signer ${signer}`);
    }
    return { ok: true, value: { decoded, hash, signer, account, fee: feeCoins, gasLimit, outflow } };
  }

  /** sha256 of the bytes the signer signed (ADR 002 sign doc with this chain and account). */
  private signDigest(decoded: DecodedTx, accountNumber: bigint): Uint8Array {
    return sha256(
      signBytes({
        bodyBytes: decoded.tx.bodyBytes,
        authInfoBytes: decoded.tx.authInfoBytes,
        chainId: this.genesis.chainId,
        accountNumber,
      }),
    );
  }

  private addVerified(cacheKey: string): void {
    if (this.verified.size >= VERIFIED_CACHE_MAX) this.verified.clear();
    this.verified.add(cacheKey);
  }

  /**
   * What the signature worker must verify for `txBytes` (and the cache key of the result),
   * or null when there is nothing to do ahead: already verified, or a tx checkTx rejects
   * before its signature anyway.
   */
  private verifyItem(
    txBytes: Uint8Array,
    reader: StateReader,
    hash: Uint8Array | undefined,
  ): { cacheKey: string; item: VerifyItem } | null {
    if (hash === undefined || txBytes.length > this.genesis.params.maxTxBytes) return null;
    const decoded = this.decode(txBytes, hash);
    if (!decoded.ok) return null;
    const signerInfo = decoded.value.authInfo.signer;
    const signature = decoded.value.tx.signatures[0];
    if (signerInfo === undefined || signature === undefined) return null;
    const signer = this.signerAddress(signerInfo.publicKey);
    const accountBytes = signer === null ? undefined : reader.get(KEYS.account(signer));
    if (accountBytes === undefined) return null;
    const accountNumber = decodeAccount(accountBytes).number;
    const cacheKey = `${bytesToHex(hash)}/${accountNumber}`;
    if (this.verified.has(cacheKey)) return null;
    let digest: Uint8Array;
    try {
      digest = this.signDigest(decoded.value, accountNumber);
    } catch {
      return null;
    }
    const item = { digest, signature, publicKey: signerInfo.publicKey };
    return packable(item) ? { cacheKey, item } : null;
  }

  /**
   * The account address of a signer key, or null if the key is not a valid compressed
   * secp256k1 point. Memoized by key (bounded): the point check and bech32 cost ~30 µs, paid
   * by checkTx and again by finalizeBlock for every tx of a sender (bench/RESULTS.md "app").
   */
  private signerAddress(publicKey: Uint8Array): string | null {
    const key = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('latin1');
    const cached = this.signers.get(key);
    if (cached !== undefined) return cached;
    let address: string;
    try {
      address = addressFromPublicKey(publicKey);
    } catch {
      return null;
    }
    if (this.signers.size >= SIGNER_CACHE_MAX) this.signers.clear();
    this.signers.set(key, address);
    return address;
  }

  /**
   * Strict decode, memoized by tx hash: a tx is decoded once in checkTx and found again in
   * prepare/process/finalize (each strict decode costs ~0.1-0.2 ms, bench/RESULTS.md "enclave").
   * Only successes are kept; the cache is bounded and entries leave when their block executes.
   */
  private decode(txBytes: Uint8Array, hash: Uint8Array): ReturnType<typeof tryDecodeTx> {
    const key = bytesToHex(hash);
    const cached = this.decoded.get(key);
    if (cached !== undefined) return { ok: true, value: cached };
    // Decoded from a copy: the decoded fields are views into the bytes, which the caller may reuse.
    const result = tryDecodeTx(Uint8Array.from(txBytes), { maxTxBytes: this.genesis.params.maxTxBytes });
    if (result.ok) {
      if (this.decoded.size >= DECODED_CACHE_MAX) this.decoded.clear();
      this.decoded.set(key, result.value);
    }
    return result;
  }

  // --- ABCI: proposals ------------------------------------------------------------------

  /** Keeps txs in order while they fit the block's gas and byte limits; drops undecodable ones. */
  prepareProposal(request: RequestPrepareProposal): Promise<ResponsePrepareProposal> {
    const maxBytes = BigInt(Math.min(Number(request.maxTxBytes), Number(this.genesis.params.maxBlockBytes)));
    let bytes = 0n;
    let gas = 0n;
    const txs: Uint8Array[] = [];
    for (const tx of request.txs) {
      const gasWanted = this.gasWanted(tx);
      if (gasWanted === null) continue;
      if (bytes + BigInt(tx.length) > maxBytes || gas + gasWanted > this.genesis.params.blockGasLimit)
        continue;
      bytes += BigInt(tx.length);
      gas += gasWanted;
      txs.push(tx);
    }
    return Promise.resolve({ txs });
  }

  /** Rejects a block with an undecodable tx or over the gas or byte limits. */
  processProposal(request: RequestProcessProposal): Promise<ResponseProcessProposal> {
    let bytes = 0n;
    let gas = 0n;
    for (const tx of request.txs) {
      const gasWanted = this.gasWanted(tx);
      if (gasWanted === null) return Promise.resolve({ status: 'reject' });
      bytes += BigInt(tx.length);
      gas += gasWanted;
    }
    const ok = bytes <= this.genesis.params.maxBlockBytes && gas <= this.genesis.params.blockGasLimit;
    return Promise.resolve({ status: ok ? 'accept' : 'reject' });
  }

  private gasWanted(tx: Uint8Array): bigint | null {
    const decoded = this.decode(tx, txHash(tx));
    if (!decoded.ok) return null;
    return decoded.value.authInfo.fee?.gasLimit ?? null;
  }

  // --- ABCI: finalizeBlock / commit -----------------------------------------------------

  /**
   * Executes a block: matures unbondings, derives the block random in the enclave, runs every
   * tx (fee first, then its messages atomically), pays the fees to the proposer and returns the
   * results, validator updates and the app hash the block will commit.
   * @throws {AppError} NOT_INITIALIZED, OUT_OF_ORDER (a block already pending or wrong height).
   */
  async finalizeBlock(request: RequestFinalizeBlock): Promise<ResponseFinalizeBlock> {
    const enclave = this.requireEnclave();
    const info = this.store.info();
    if (info.height === 0n && this.genesisBatch === null)
      throw new AppError('NOT_INITIALIZED', 'finalizeBlock before initChain');
    if (this.block !== null) throw new AppError('OUT_OF_ORDER', 'finalizeBlock while a block awaits commit');
    const expected = this.nextHeight();
    if (request.height !== expected) {
      throw new AppError('OUT_OF_ORDER', `finalizeBlock for height ${request.height}, expected ${expected}`);
    }
    const batch = this.genesisBatch ?? this.store.beginBlock(request.height);
    this.genesisBatch = null;
    const block: BlockState = {
      batch,
      height: request.height,
      timeNanos: request.timeNanos,
      callIndex: 0,
      txIndex: 0,
      touched: new Map(),
      response: null,
      txs: request.txs,
      ahead: [],
      batchedTx: false,
      speculation: null,
      inFlight: null,
      hashes: [],
    };
    this.block = block;
    try {
      await this.withEnclave(() =>
        enclave.blockRandom({ height: request.height, previousAppHash: info.appHash }),
      );
      const free = new TxContext(batch, null, this.genesis.params.gas);
      const events = this.matureUnbondings(free, block);
      const txResults: ExecTxResult[] = [];
      for (const [index, tx] of request.txs.entries()) {
        await this.letSpeculationStart(block);
        block.txIndex = index;
        block.batchedTx = false;
        const hash = blockTxHash(block, index);
        const result = await this.deliverTx(block, tx, hash);
        // The batch assumed this call's writes were kept: if the tx failed after its call (gas
        // charge, dispatch), later results saw writes that were reverted.
        if (block.batchedTx && result.code !== TxCode.OK) dropAhead(block);
        txResults.push(result);
        if (result.code === TxCode.TX_DECODE) continue;
        batch.setMeta(META.tx(hash), encodeTxRecord({ height: request.height, index, result }));
      }
      // A dropped speculative ECALL may still run: its OCALLs read this batch, which must stay
      // as it is until it ends (ADR 006 "What the app must keep").
      await drainSpeculation(block);
      events.push(...this.payFees(free, request.proposerAddress));
      batch.setMeta('app/lastBlockTime', encodeU64(request.timeNanos));
      const validatorUpdates = this.validatorUpdates(block);
      // Waits for the hashing worker without blocking the event loop (checkTx, RPC, gossip run).
      const appHash = await batch.hashAsync();
      const response: ResponseFinalizeBlock = { events, txResults, validatorUpdates, appHash };
      block.response = response;
      return response;
    } catch (error) {
      // A failure here is a node fault (enclave crash, store error), not a tx's: nothing of
      // the block is kept; the driver must stop or retry the whole block.
      await drainSpeculation(block);
      batch.discard();
      this.block = null;
      throw error;
    }
  }

  /**
   * Commits the finalized block atomically (state and tx index) and resets the check-state.
   * @throws {AppError} OUT_OF_ORDER without a finalized block.
   */
  commit(): Promise<ResponseCommit> {
    const block = this.block;
    if (block === null || block.response === null)
      throw new AppError('OUT_OF_ORDER', 'commit without a finalized block');
    block.response = null; // a second commit before this one ran is out of order too
    // Behind any ECALL in flight: a query ECALL reads committed state through OCALLs while it
    // runs, and the host now serves them from the event loop (ADR 006 "Asynchronous host
    // wait"), so committing in between would tear its answer.
    const run = () =>
      this.withEnclave(() => {
        block.batch.commit();
        this.block = null;
        this.genesisView = null;
        // Pending txs are re-checked by the mempool against the new state (ADR 007).
        this.checkStates = new Map();
        return Promise.resolve({ retainHeight: 0n });
      });
    const lock = this.mempoolLock;
    if (lock === null) return run();
    return lock
      .lockForCommit()
      .then(run)
      .catch((error: unknown) => {
        lock.unlock(); // the commit failed: no mempool update will release it
        throw error;
      });
  }

  /**
   * Makes every commit take `mempool`'s commit lock first (CometBFT: Lock, Commit, Update,
   * Unlock): the node's mempool update after the commit releases it. A node whose mempool
   * checks txs in batches needs it (Mempool.lockForCommit); null removes it.
   */
  useMempoolLock(mempool: MempoolCommitLock | null): void {
    this.mempoolLock = mempool;
  }

  /** Height of the next block: the genesis batch's (initial_height) before the first commit. */
  private nextHeight(): bigint {
    return this.genesisBatch?.height ?? this.store.info().height + 1n;
  }

  private requireEnclave(): Enclave {
    if (this.enclave === null)
      throw new AppError('NOT_INITIALIZED', 'no enclave attached: call attachEnclave first');
    return this.enclave;
  }

  /** Serializes ECALLs: the OCALL reader belongs to one call at a time. */
  private withEnclave<T>(run: () => Promise<T>, reader: StateReader = this.reader): Promise<T> {
    const next = this.enclaveQueue.then(async () => {
      const previousReader = this.reader;
      this.reader = reader;
      try {
        return await run();
      } finally {
        this.reader = previousReader;
      }
    });
    this.enclaveQueue = next.catch(() => undefined);
    return next;
  }

  private ocallRead(key: Uint8Array): Uint8Array | undefined {
    return this.reader.get(key);
  }

  private async deliverTx(block: BlockState, tx: Uint8Array, hash: Uint8Array): Promise<ExecTxResult> {
    const checked = this.check(tx, block.batch, block.height, true, hash);
    if (checked.ok) this.decoded.delete(bytesToHex(checked.value.hash));
    if (!checked.ok)
      return this.txResult(checked.code, checked.log, checked.gasWanted, 0n, [], new Uint8Array(0));
    const value = checked.value;
    const sequence = value.decoded.authInfo.signer?.sequence ?? 0n;
    if (sequence !== value.account.sequence) {
      return this.txResult(
        TxCode.WRONG_SEQUENCE,
        `account sequence mismatch, expected ${value.account.sequence}, got ${sequence}`,
        value.gasLimit,
        0n,
        [],
        new Uint8Array(0),
      );
    }
    const meter = new GasMeter(value.gasLimit);
    const ctx = new TxContext(block.batch, meter, this.genesis.params.gas);
    const free = new TxContext(block.batch, null, this.genesis.params.gas);
    // Ante: fee and sequence are kept whatever the messages do (Cosmos ante handler).
    const feeBalance = this.balance(free, value.signer, this.genesis.params.feeDenom);
    const feeAmount = value.fee[0]?.amount ?? 0n;
    if (feeBalance < feeAmount) {
      return this.txResult(
        TxCode.INSUFFICIENT_FUNDS,
        `insufficient funds to pay the fee ${coinsText(value.fee)}`,
        value.gasLimit,
        0n,
        [],
        new Uint8Array(0),
      );
    }
    this.moveCoins(free, value.signer, MODULE_ADDRESSES.feeCollector, value.fee);
    free.set(
      KEYS.account(value.signer),
      encodeAccount({
        number: value.account.number,
        sequence: sequence + 1n,
        publicKey: value.decoded.authInfo.signer?.publicKey ?? new Uint8Array(0),
      }),
    );
    const events: AbciEvent[] = [
      { type: 'tx', attributes: [attr('fee', coinsText(value.fee)), attr('fee_payer', value.signer)] },
      { type: 'tx', attributes: [attr('acc_seq', `${value.signer}/${sequence}`)] },
    ];
    let data: Uint8Array = new Uint8Array(0);
    const checkpoint = block.batch.checkpoint();
    try {
      const gas = this.genesis.params.gas;
      meter.consume(gas.txSizeCostPerByte * BigInt(tx.length), 'tx size');
      meter.consume(gas.sigVerifyCost, 'signature verification');
      const call: CallContext = { ctx, txHash: value.hash, events, depth: 0 };
      for (const [i, message] of value.decoded.body.messages.entries()) {
        const first = events.length;
        try {
          const output = await this.runMessage(block, call, value, i, message.sum);
          if (i === 0 && output !== undefined) data = output;
        } catch (error) {
          // A contract's own Err names its message (docs/sdk.md: "message index: <i>: encrypted: ...").
          if (
            error instanceof TxFailure &&
            error.code === TxCode.CONTRACT_FAILED &&
            error.data.length > 0 &&
            !error.nested
          ) {
            throw new TxFailure(
              error.code,
              `failed to execute message; message index: ${i}: encrypted: ${Buffer.from(error.data).toString('base64')}: ${error.log}`,
              error.data,
            );
          }
          throw error;
        } finally {
          // Every event of a message names it (Cosmos SDK 0.50 msg_index).
          for (const event of events.slice(first)) event.attributes.unshift(attr('msg_index', String(i)));
        }
      }
      block.batch.release(checkpoint);
      return this.txResult(TxCode.OK, '', value.gasLimit, meter.used, events, data);
    } catch (error) {
      block.batch.revert(checkpoint);
      if (!(error instanceof TxFailure)) throw error;
      return this.txResult(
        error.code,
        error.log,
        value.gasLimit,
        meter.used > value.gasLimit ? value.gasLimit : meter.used,
        events.slice(0, 2),
        error.data,
      );
    }
  }

  private txResult(
    code: number,
    log: string,
    gasWanted: bigint,
    gasUsed: bigint,
    events: AbciEvent[],
    data: Uint8Array,
  ): ExecTxResult {
    return { code, data, log, gasWanted, gasUsed, events, codespace: codespaceOf(code) };
  }

  private async runMessage(
    block: BlockState,
    call: CallContext,
    checked: Checked,
    index: number,
    sum: DecodedTx['body']['messages'][number]['sum'],
  ): Promise<Uint8Array | undefined> {
    const ctx = call.ctx;
    const userAuth = (): UserAuth => ({
      kind: 'user',
      bodyBytes: checked.decoded.tx.bodyBytes,
      authInfoBytes: checked.decoded.tx.authInfoBytes,
      accountNumber: checked.account.number,
      signature: checked.decoded.tx.signatures[0] ?? new Uint8Array(0),
      messageIndex: index,
    });
    switch (sum.case) {
      case 'send': {
        const coins = toCoins(sum.value.amount);
        this.moveCoins(ctx, sum.value.fromAddress, sum.value.toAddress, coins);
        call.events.push({
          type: 'transfer',
          attributes: [
            attr('recipient', sum.value.toAddress),
            attr('sender', sum.value.fromAddress),
            attr('amount', coinsText(coins)),
          ],
        });
        return undefined;
      }
      case 'storeCode':
        return this.storeCode(ctx, call, sum.value.sender, sum.value.wasmByteCode);
      case 'instantiateContract': {
        const v = sum.value;
        const result = await this.instantiate(block, call, {
          codeId: v.codeId,
          label: v.label,
          admin: v.admin,
          sender: v.sender,
          funds: publicCoins(v.initFunds),
          envelope: v.initMsg,
          auth: userAuth(),
          depth: 0,
        });
        return this.requireOk(result.result, call, result.address, 0);
      }
      case 'executeContract': {
        const v = sum.value;
        const record = this.requireContract(ctx, v.contract);
        this.moveCoins(ctx, v.sender, v.contract, toCoins(v.sentFunds));
        const result = await this.runContract(block, call, executeSpec(v, record.codeHash, userAuth()));
        return this.requireOk(result, call, v.contract, 0);
      }
      case 'migrateContract': {
        const v = sum.value;
        const result = await this.migrate(block, call, v.sender, v.contract, v.codeId, v.msg, userAuth());
        return this.requireOk(result, call, v.contract, 0);
      }
      case 'registerNode':
        return this.registerNode(block, call, sum.value.quote);
      case 'createValidator': {
        const v = sum.value;
        if (v.selfBond === undefined)
          throw new TxFailure(TxCode.STAKING_INVALID, 'create-validator needs a self bond');
        this.createValidator(
          block,
          ctx,
          v.operatorAddress,
          v.consensusPublicKey,
          BigInt(v.selfBond.amount),
          v.selfBond.denom,
          v.moniker,
        );
        call.events.push({ type: 'create_validator', attributes: [attr('validator', v.operatorAddress)] });
        return undefined;
      }
      case 'delegate': {
        const v = sum.value;
        if (v.amount === undefined) throw new TxFailure(TxCode.STAKING_INVALID, 'delegate needs an amount');
        this.delegate(
          block,
          ctx,
          v.delegatorAddress,
          v.validatorAddress,
          BigInt(v.amount.amount),
          v.amount.denom,
        );
        call.events.push({
          type: 'delegate',
          attributes: [attr('validator', v.validatorAddress), attr('amount', v.amount.amount)],
        });
        return undefined;
      }
      case 'undelegate': {
        const v = sum.value;
        if (v.amount === undefined) throw new TxFailure(TxCode.STAKING_INVALID, 'undelegate needs an amount');
        const completion = this.undelegate(
          block,
          ctx,
          v.delegatorAddress,
          v.validatorAddress,
          BigInt(v.amount.amount),
          v.amount.denom,
        );
        call.events.push({
          type: 'unbond',
          attributes: [
            attr('validator', v.validatorAddress),
            attr('amount', v.amount.amount),
            attr('completion_time_ns', completion.toString()),
          ],
        });
        return undefined;
      }
      default:
        throw new TxFailure(TxCode.UNKNOWN_REQUEST, `message ${index} has no known type`);
    }
  }

  // --- bank -------------------------------------------------------------------------------

  private balance(reader: StateReader, address: string, denom: string): bigint {
    return decodeAmount(reader.get(KEYS.balance(address, denom)));
  }

  private addBalance(ctx: TxContext, address: string, denom: string, delta: bigint): void {
    const next = this.balance(ctx, address, denom) + delta;
    if (next < 0n)
      throw new TxFailure(TxCode.INSUFFICIENT_FUNDS, `insufficient funds: ${address} lacks ${-next}${denom}`);
    if (next === 0n) ctx.delete(KEYS.balance(address, denom));
    else ctx.set(KEYS.balance(address, denom), encodeAmount(next));
  }

  private ensureAccount(ctx: TxContext, address: string): void {
    if (ctx.get(KEYS.account(address)) !== undefined) return;
    const number = decodeU64(ctx.get(KEYS.nextAccountNumber), 0n);
    ctx.set(KEYS.nextAccountNumber, encodeU64(number + 1n));
    ctx.set(KEYS.account(address), encodeAccount({ number, sequence: 0n, publicKey: new Uint8Array(0) }));
  }

  /** Moves coins; fails the tx (INSUFFICIENT_FUNDS) if `from` lacks any of them. */
  private moveCoins(ctx: TxContext, from: string, to: string, coins: readonly Coin[]): void {
    if (coins.length === 0) return;
    for (const coin of coins) {
      if (coin.amount === 0n) continue;
      this.addBalance(ctx, from, coin.denom, -coin.amount);
    }
    this.ensureAccount(ctx, to);
    for (const coin of coins) {
      if (coin.amount === 0n) continue;
      this.addBalance(ctx, to, coin.denom, coin.amount);
    }
  }

  /**
   * The block's fees go to the bonded validators in proportion to their voting power (ADR
   * 007 "Fees"): per denom, validator i gets floor(amount × power_i / total power), in
   * operator order; the rounding remainder goes to the proposer's operator (or stays in the
   * collector for the next block when the proposer is unknown). Validators and powers are
   * those after the block's transactions, the set its validator updates lead to.
   */
  private payFees(ctx: TxContext, proposerAddress: Uint8Array): AbciEvent[] {
    const collector = MODULE_ADDRESSES.feeCollector;
    const coins: Coin[] = [];
    for (const entry of ctx.batch.entries({
      start: KEYS.balancePrefix(collector),
      end: prefixEnd(KEYS.balancePrefix(collector)),
    })) {
      const key = utf8Decode(entry.key);
      coins.push({ denom: key.slice(key.lastIndexOf('/') + 1), amount: decodeAmount(entry.value) });
    }
    if (coins.length === 0) return [];
    const validators: Array<{ operator: string; power: bigint }> = [];
    let total = 0n;
    const prefixLength = KEYS.validatorPrefix.length;
    for (const entry of ctx.batch.entries({
      start: KEYS.validatorPrefix,
      end: prefixEnd(KEYS.validatorPrefix),
    })) {
      const power = decodeValidator(entry.value).tokens / POWER_REDUCTION;
      if (power <= 0n) continue;
      validators.push({ operator: utf8Decode(entry.key.subarray(prefixLength)), power });
      total += power;
    }
    const proposerBytes =
      proposerAddress.length === 20 ? ctx.get(KEYS.validatorByConsensus(proposerAddress)) : undefined;
    const proposer = proposerBytes === undefined ? null : utf8Decode(proposerBytes);
    const rewards = new Map<string, Coin[]>();
    const remainder: Coin[] = [];
    for (const coin of coins) {
      let paid = 0n;
      for (const validator of validators) {
        const share = (coin.amount * validator.power) / total;
        if (share === 0n) continue;
        paid += share;
        const list = rewards.get(validator.operator) ?? [];
        list.push({ denom: coin.denom, amount: share });
        rewards.set(validator.operator, list);
      }
      if (coin.amount > paid) remainder.push({ denom: coin.denom, amount: coin.amount - paid });
    }
    const events: AbciEvent[] = [];
    for (const [operator, reward] of rewards) {
      this.moveCoins(ctx, collector, operator, reward);
      events.push({
        type: 'validator_reward',
        attributes: [attr('validator', operator), attr('amount', coinsText(reward))],
      });
    }
    if (proposer !== null && remainder.length > 0) {
      this.moveCoins(ctx, collector, proposer, remainder);
      events.push({
        type: 'proposer_reward',
        attributes: [attr('validator', proposer), attr('amount', coinsText(remainder))],
      });
    }
    return events;
  }

  // --- compute ----------------------------------------------------------------------------

  private storeCode(ctx: TxContext, call: CallContext, sender: string, upload: Uint8Array): Uint8Array {
    ctx.meter?.consume(this.genesis.params.gas.storeCodeCostPerByte * BigInt(upload.length), 'store code');
    let wasm: Uint8Array;
    let codeHashHex: string;
    try {
      const validated = validateContractCode(upload);
      wasm = validated.wasm;
      codeHashHex = validated.codeHash;
    } catch (error) {
      if (error instanceof VmError)
        throw new TxFailure(TxCode.CODE_INVALID, `invalid contract code: ${error.code}: ${error.message}`);
      throw error;
    }
    const codeHash = hexToBytes(codeHashHex);
    const id = decodeU64(ctx.get(KEYS.nextCodeId), 1n);
    ctx.set(KEYS.nextCodeId, encodeU64(id + 1n));
    ctx.set(KEYS.code(id), encodeCode({ codeHash, creator: sender }));
    if (ctx.batch.get(KEYS.wasm(codeHash)) === undefined) ctx.batch.set(KEYS.wasm(codeHash), wasm);
    call.events.push({
      type: 'store_code',
      attributes: [attr('code_id', id.toString()), attr('code_hash', codeHashHex), attr('sender', sender)],
    });
    return encodeU64(id);
  }

  private requireContract(reader: StateReader, address: string): ContractRecord {
    const bytes = reader.get(KEYS.contract(address));
    if (bytes === undefined) throw new TxFailure(TxCode.NOT_FOUND, `no contract at ${address}`);
    return decodeContract(bytes);
  }

  private async instantiate(
    block: BlockState,
    call: CallContext,
    args: {
      codeId: bigint;
      label: string;
      admin: string;
      sender: string;
      funds: PublicCoin[];
      envelope: Uint8Array;
      auth: UserAuth | CallbackAuth;
      depth: number;
    },
  ): Promise<{ address: string; result: RunContractResult }> {
    const ctx = call.ctx;
    if (args.label.length === 0 || utf8Encode(args.label).length > 512) {
      throw new TxFailure(TxCode.UNKNOWN_REQUEST, 'a label must have 1 to 512 bytes');
    }
    const codeBytes = ctx.get(KEYS.code(args.codeId));
    if (codeBytes === undefined) throw new TxFailure(TxCode.NOT_FOUND, `no code with id ${args.codeId}`);
    if (ctx.get(KEYS.label(args.label)) !== undefined)
      throw new TxFailure(TxCode.LABEL_TAKEN, `label "${args.label}" is taken`);
    const code = decodeCode(codeBytes);
    const address = contractAddressOf(args.codeId, args.label);
    ctx.set(KEYS.label(args.label), utf8Encode(address));
    ctx.set(
      KEYS.contract(address),
      encodeContract({
        codeId: args.codeId,
        codeHash: code.codeHash,
        label: args.label,
        admin: args.admin,
        creator: args.sender,
      }),
    );
    this.moveCoins(ctx, args.sender, address, toCoins(args.funds));
    const result = await this.runContract(block, call, {
      entry: 'instantiate',
      contract: address,
      codeHash: bytesToHex(code.codeHash),
      codeId: args.codeId,
      label: args.label,
      sender: args.sender,
      funds: args.funds,
      envelope: args.envelope,
      auth: args.auth,
    });
    call.events.push({
      type: 'instantiate',
      attributes: [attr('contract_address', address), attr('code_id', args.codeId.toString())],
    });
    return { address, result };
  }

  private async migrate(
    block: BlockState,
    call: CallContext,
    sender: string,
    contract: string,
    codeId: bigint,
    envelope: Uint8Array,
    auth: UserAuth | CallbackAuth,
  ): Promise<RunContractResult> {
    const ctx = call.ctx;
    const record = this.requireContract(ctx, contract);
    if (record.admin === '' || record.admin !== sender)
      throw new TxFailure(TxCode.NOT_ADMIN, `${sender} is not the admin of ${contract}`);
    const codeBytes = ctx.get(KEYS.code(codeId));
    if (codeBytes === undefined) throw new TxFailure(TxCode.NOT_FOUND, `no code with id ${codeId}`);
    const code = decodeCode(codeBytes);
    ctx.set(KEYS.contract(contract), encodeContract({ ...record, codeId, codeHash: code.codeHash }));
    return this.runContract(block, call, {
      entry: 'migrate',
      contract,
      codeHash: bytesToHex(code.codeHash),
      codeId,
      sender,
      funds: [],
      envelope,
      auth,
    });
  }

  /**
   * One enclave call, charged to the tx's meter: InstanceCost + floor(wasm gas / 1000) + 1
   * (CONTRACT_ABI §6). On success its encrypted writes are applied and its events recorded;
   * the result (ok or not) is returned so submessage logic can decide.
   */
  private async runContract(
    block: BlockState,
    call: CallContext,
    spec: Omit<RunContractRequest, 'block' | 'txIndex' | 'callIndex' | 'gasLimit'>,
  ): Promise<RunContractResult> {
    const ctx = call.ctx;
    const meter = ctx.meter;
    const gas = this.genesis.params.gas;
    meter?.consume(gas.instanceCost, `${spec.entry} call`);
    const remaining = meter === null ? MAX_WASM_GAS : meter.remaining * gas.wasmGasPerSdkGas;
    const request: RunContractRequest = {
      ...spec,
      block: { height: block.height, timeNanos: block.timeNanos, chainId: this.genesis.chainId },
      txIndex: block.txIndex,
      callIndex: block.callIndex++,
      gasLimit: remaining < MAX_WASM_GAS ? remaining : MAX_WASM_GAS,
    };
    let result: RunContractResult;
    try {
      const ready = block.ahead[0];
      // A result computed ahead is used only for the very request this call makes (txIndex and
      // callIndex included): a tx of the batch that made no call (its ante failed) leaves its
      // result at the head, the next tx's request differs, and every later result is dropped.
      if (ready !== undefined && sameRequest(ready.request, request)) {
        block.ahead.shift();
        block.batchedTx = true;
        result = ready.result;
      } else {
        result = await this.runUnbatched(block, call, request, ready === undefined);
      }
    } catch (error) {
      if (error instanceof EnclaveCallError) {
        throw new TxFailure(
          TxCode.ENCLAVE_REFUSED,
          `the enclave refused the ${spec.entry} call: ${error.enclaveCode}`,
        );
      }
      throw error;
    }
    meter?.consume(result.gasUsed / gas.wasmGasPerSdkGas + 1n, `${spec.entry} wasm execution`);
    if (result.ok) {
      for (const write of result.writes) {
        const key = KEYS.contractState(spec.contract, write.diskKey);
        if (write.blob === null) ctx.delete(key);
        else ctx.set(key, write.blob);
      }
      call.events.push(...contractEvents(spec.contract, result, call.depth));
    }
    return result;
  }

  /**
   * A call whose result was not computed ahead: from the speculative batch in flight if it
   * starts with this very request (and `aheadConsumed`: the batch before it was used entirely),
   * else from a new batch of this call and the predicted ones after it, else alone. Starts the
   * next speculative batch when pipelining and the batch's results allow it.
   * @throws EnclaveCallError when the enclave refuses the call (as runContract would).
   */
  private async runUnbatched(
    block: BlockState,
    call: CallContext,
    request: RunContractRequest,
    aheadConsumed: boolean,
  ): Promise<RunContractResult> {
    const enclave = this.requireEnclave();
    const ctx = call.ctx;
    // A speculation is usable only once the batch before it was consumed entirely (no result
    // left ahead) and for the very request this call makes; anything else drops it.
    const speculation = aheadConsumed ? block.speculation : null;
    dropAhead(block);
    let batch: { requests: RunContractRequest[]; results: RunContractResult[] } | null = null;
    let template: CallTemplate | null = null;
    let batchId = 0;
    if (speculation !== null && sameRequest(speculation.requests[0] as RunContractRequest, request)) {
      const results = await speculation.results;
      if (results !== null && results.length > 0) {
        batch = { requests: speculation.requests, results };
        this.pipelineStats.used++;
        template = speculation.template;
        batchId = speculation.id;
      }
    }
    if (batch === null) {
      const meter = ctx.meter;
      template =
        call.depth === 0 && meter !== null
          ? {
              first: request,
              usedBefore: meter.used,
              txBytes: (block.txs[block.txIndex] as Uint8Array).length,
            }
          : null;
      const following =
        template === null ? [] : this.predictCalls(block, template, block.txIndex + 1, request.callIndex + 1);
      // OCALLs read the block's batch UNMETERED: whether the enclave asks the host for a
      // contract's code or state depends on its per-process caches (code cache, read-ahead),
      // so charging them would make gas_used — and CometBFT's LastResultsHash — depend on
      // the node's history. Storage reads are charged inside the VM (HOST_GAS.dbRead per
      // db_read) and code loading by instanceCost: the same on every node.
      if (following.length === 0) return this.withEnclave(() => enclave.runContract(request), ctx.batch);
      const requests = [request, ...following];
      const chain = this.contractPipelining ? { id: this.nextBatchId(), after: 0 } : undefined;
      batchId = chain?.id ?? 0;
      const results = await this.withEnclave(() => enclave.runContractBatch(requests, chain), ctx.batch);
      batch = { requests, results };
    }
    const { requests, results } = batch;
    block.batchedTx = true;
    this.contractBatchLimit = Math.min(this.contractBatchMax, Math.max(2, 2 * results.length));
    block.ahead = results
      .slice(1)
      .map((r, i) => ({ request: requests[i + 1] as RunContractRequest, result: r }));
    if (template !== null && batchId !== 0) this.speculate(block, template, requests, results, batchId);
    return results[0] as RunContractResult; // a batch answers at least one; a speculation: checked
  }

  /**
   * Starts the batch predicted after `requests` (ADR 007 "Pipelined batches") as a speculative
   * ECALL on top of batch `after`'s writes, if every call of that batch ran and succeeded with
   * nothing for the host to act on (otherwise the host does more than apply writes, and the
   * enclave kept no overlay). Not awaited: the host applies `results` meanwhile.
   */
  private speculate(
    block: BlockState,
    template: CallTemplate,
    requests: readonly RunContractRequest[],
    results: readonly RunContractResult[],
    after: number,
  ): void {
    if (!this.contractPipelining || results.length !== requests.length) return;
    if (!results.every((r) => r.ok && r.messages.length === 0 && r.reply === undefined)) return;
    const last = requests[requests.length - 1] as RunContractRequest;
    const next = this.predictCalls(block, template, last.txIndex + 1, last.callIndex + 1);
    if (next.length === 0) return;
    const enclave = this.requireEnclave();
    const id = this.nextBatchId();
    const answer = this.withEnclave(() => enclave.runContractBatch(next, { id, after }), block.batch);
    // Any failure only loses the speculation: the tx then runs in the known state, where a real
    // fault (a crashed enclave) surfaces.
    const settled = answer.then(
      (r) => r,
      () => null,
    );
    this.pipelineStats.started++;
    const speculation: Speculation = {
      requests: next,
      ocallMark: enclave.ocallsServed,
      started: false,
      results: settled,
      template,
      id,
    };
    void settled.then(() => (speculation.started = true));
    block.speculation = speculation;
    block.inFlight = settled;
  }

  /**
   * Yields one event-loop turn while the speculative ECALL just sent has had no OCALL served.
   * Its first OCALL (the batch prefetch, ADR 006 session 3) is answered from the event loop
   * once the host's synchronous slice is over (ADR 006 "Asynchronous host wait"): applying the
   * previous batch in one run of microtasks would hold it, and the enclave, until the host is
   * done — measured under load, the two threads then hardly overlapped. Once that OCALL is
   * served (or the ECALL ended) the host applies without yielding.
   */
  private async letSpeculationStart(block: BlockState): Promise<void> {
    const speculation = block.speculation;
    if (speculation === null || speculation.started) return;
    if (this.requireEnclave().ocallsServed !== speculation.ocallMark) {
      speculation.started = true;
      return;
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** The next batch chain id (1 to 2^32 - 1: 0 means no chain). */
  private nextBatchId(): number {
    this.batchId = this.batchId >= 0xffff_ffff ? 1 : this.batchId + 1;
    return this.batchId;
  }

  /**
   * The requests the txs after the current one would make if each is a single `execute` of the
   * same contract without funds and its ante passes (ADR 007 "Contract call batches"): the
   * same pre-call gas as the current tx but for its size. A wrong guess costs only work: each
   * result is used only for a request deep-equal to the one the tx then really makes, and
   * only while every earlier call of the batch was applied as is (finalizeBlock drops the rest).
   * The enclave runs bank queries only for the first call, which runs in one-by-one state.
   */
  private predictCalls(
    block: BlockState,
    template: CallTemplate,
    from: number,
    callIndex: number,
  ): RunContractRequest[] {
    const { first, usedBefore } = template;
    if (!this.contractBatching || first.entry !== 'execute' || first.funds.length > 0) return [];
    const gas = this.genesis.params.gas;
    const out: RunContractRequest[] = [];
    for (let j = from; j < block.txs.length && out.length < this.contractBatchLimit - 1; j++) {
      const tx = block.txs[j] as Uint8Array;
      if (tx.length > this.genesis.params.maxTxBytes) break;
      const decoded = this.decode(tx, blockTxHash(block, j));
      if (!decoded.ok) break;
      const d = decoded.value;
      const sum = d.body.messages.length === 1 ? d.body.messages[0]?.sum : undefined;
      if (sum?.case !== 'executeContract' || sum.value.contract !== first.contract) break;
      if (sum.value.sentFunds.length > 0) break;
      const signer = d.authInfo.signer;
      const address = signer === undefined ? null : this.signerAddress(signer.publicKey);
      const account = address === null ? undefined : block.batch.get(KEYS.account(address));
      if (signer === undefined || account === undefined) break;
      const used = usedBefore + gas.txSizeCostPerByte * BigInt(tx.length - template.txBytes);
      const remaining = (d.authInfo.fee?.gasLimit ?? 0n) - used;
      if (remaining <= 0n) break;
      const wasm = remaining * gas.wasmGasPerSdkGas;
      const spec = executeSpec(sum.value, hexToBytes(first.codeHash), {
        kind: 'user',
        bodyBytes: d.tx.bodyBytes,
        authInfoBytes: d.tx.authInfoBytes,
        accountNumber: decodeAccount(account).number,
        signature: d.tx.signatures[0] ?? new Uint8Array(0),
        messageIndex: 0,
      });
      out.push({
        ...spec,
        block: first.block,
        txIndex: j,
        callIndex: callIndex + out.length,
        gasLimit: wasm < MAX_WASM_GAS ? wasm : MAX_WASM_GAS,
      });
    }
    return out;
  }

  /** A top-level call must succeed; then its messages are dispatched. Returns its sealed data. */
  private async requireOk(
    result: RunContractResult,
    call: CallContext,
    contract: string,
    depth: number,
  ): Promise<Uint8Array> {
    if (!result.ok) throw callFailure(result);
    await this.dispatch(call, contract, result, depth + 1);
    return result.data ?? new Uint8Array(0);
  }

  /** Runs a contract's output messages in order, depth first (CosmWasm semantics). */
  private async dispatch(
    call: CallContext,
    caller: string,
    result: RunContractResult,
    depth: number,
  ): Promise<void> {
    if (!result.ok) return;
    if (depth > MAX_CALL_DEPTH)
      throw new TxFailure(TxCode.CONTRACT_FAILED, `contract call depth over ${MAX_CALL_DEPTH}`);
    const block = this.block as BlockState;
    call.depth++;
    try {
      for (const message of result.messages)
        await this.dispatchOne(block, call, caller, message, result.txHash, depth);
    } finally {
      call.depth--;
    }
  }

  private async dispatchOne(
    block: BlockState,
    call: CallContext,
    caller: string,
    message: OutputMessage,
    txHashBytes: Uint8Array,
    depth: number,
  ): Promise<void> {
    const ctx = call.ctx;
    switch (message.kind) {
      case 'bank_send': {
        const coins = toCoins(message.amount);
        this.moveCoins(ctx, caller, message.toAddress, coins);
        call.events.push({
          type: 'transfer',
          attributes: [
            attr('recipient', message.toAddress),
            attr('sender', caller),
            attr('amount', coinsText(coins)),
          ],
        });
        return;
      }
      case 'bank_burn':
        for (const coin of toCoins(message.amount)) this.addBalance(ctx, caller, coin.denom, -coin.amount);
        return;
      case 'wasm_update_admin':
      case 'wasm_clear_admin': {
        const record = this.requireContract(ctx, message.contract);
        if (record.admin !== caller)
          throw new TxFailure(TxCode.NOT_ADMIN, `${caller} is not the admin of ${message.contract}`);
        const admin = message.kind === 'wasm_update_admin' ? message.admin : '';
        ctx.set(KEYS.contract(message.contract), encodeContract({ ...record, admin }));
        return;
      }
      case 'wasm':
        return this.subMessage(block, call, caller, message, txHashBytes, depth);
      default:
        throw new TxFailure(
          TxCode.UNSUPPORTED_MESSAGE,
          `contract ${caller} emitted an unsupported message (${message.type})`,
        );
    }
  }

  /**
   * A wasm message with submessage semantics: its own checkpoint; on failure its writes revert
   * and, if reply_on asks for errors, the enclave's authenticated reply goes to the caller,
   * else the whole tx fails. On success the reply goes if reply_on asks for successes.
   */
  private async subMessage(
    block: BlockState,
    call: CallContext,
    caller: string,
    message: Extract<OutputMessage, { kind: 'wasm' }>,
    txHashBytes: Uint8Array,
    depth: number,
  ): Promise<void> {
    const ctx = call.ctx;
    const auth: CallbackAuth = {
      kind: 'callback',
      callbackSignature: message.callbackSignature,
      txHash: txHashBytes,
    };
    const checkpoint = ctx.batch.checkpoint();
    // Events of a failed submessage are dropped with its writes (CosmWasm semantics).
    const eventMark = call.events.length;
    let result: RunContractResult | undefined;
    let target = message.contract;
    let failure: TxFailure | undefined;
    try {
      if (message.entry === 'instantiate') {
        const outcome = await this.instantiate(block, call, {
          codeId: message.codeId ?? 0n,
          label: message.label ?? '',
          admin: message.admin ?? '',
          sender: caller,
          funds: message.funds,
          envelope: message.envelope,
          auth,
          depth,
        });
        target = outcome.address;
        result = outcome.result;
      } else if (message.entry === 'migrate') {
        result = await this.migrate(
          block,
          call,
          caller,
          message.contract,
          message.codeId ?? 0n,
          message.envelope,
          auth,
        );
      } else {
        const record = this.requireContract(ctx, message.contract);
        if (bytesToHex(record.codeHash) !== message.codeHash) {
          throw new TxFailure(
            TxCode.CONTRACT_FAILED,
            `code hash of ${message.contract} does not match the message`,
          );
        }
        this.moveCoins(ctx, caller, message.contract, toCoins(message.funds));
        result = await this.runContract(block, call, {
          entry: 'execute',
          contract: message.contract,
          codeHash: message.codeHash,
          sender: caller,
          funds: message.funds,
          envelope: message.envelope,
          auth,
        });
      }
      if (!result.ok) failure = callFailure(result);
      else await this.dispatch(call, target, result, depth + 1);
    } catch (error) {
      if (!(error instanceof TxFailure) || error.code === TxCode.OUT_OF_GAS) {
        ctx.batch.revert(checkpoint);
        throw error;
      }
      failure = error;
    }
    const reply = result?.reply;
    if (failure !== undefined) {
      ctx.batch.revert(checkpoint);
      call.events.length = eventMark;
      // Without the callee's reply envelope (refused before it ran, or its own messages
      // failed after a success) the host cannot forge an error reply: the tx fails.
      if (
        reply === undefined ||
        (message.replyOn !== 'error' && message.replyOn !== 'always') ||
        (result?.ok ?? false)
      ) {
        if (failure.nested) throw failure;
        // The sealed error of a callee is under the callee's key, not the user's tx key: it
        // stays in `data` but is not labelled as the message's own error.
        throw new TxFailure(
          failure.code,
          `a submessage to ${target} failed: ${failure.log}`,
          failure.data,
          true,
        );
      }
    } else {
      ctx.batch.release(checkpoint);
      if (reply === undefined || (message.replyOn !== 'success' && message.replyOn !== 'always')) return;
    }
    const replyResult = await this.runContract(block, call, {
      entry: 'reply',
      contract: reply.contract,
      codeHash: bytesToHex(this.requireContract(ctx, reply.contract).codeHash),
      sender: target,
      funds: [],
      envelope: reply.envelope,
      auth: { kind: 'callback', callbackSignature: reply.callbackSignature, txHash: txHashBytes },
    });
    if (!replyResult.ok) {
      const error = callFailure(replyResult);
      throw new TxFailure(
        error.code,
        `the reply to ${reply.contract} failed: ${error.log}`,
        error.data,
        true,
      );
    }
    await this.dispatch(call, reply.contract, replyResult, depth + 1);
  }

  // --- registration -------------------------------------------------------------------------

  private async registerNode(block: BlockState, call: CallContext, quote: Uint8Array): Promise<Uint8Array> {
    const enclave = this.requireEnclave();
    call.ctx.meter?.consume(this.genesis.params.gas.instanceCost, 'register node');
    let registered;
    try {
      registered = await this.withEnclave(() =>
        enclave.registerNode({ quote, blockTimeSeconds: block.timeNanos / 1_000_000_000n }),
      );
    } catch (error) {
      if (error instanceof EnclaveCallError)
        throw new TxFailure(TxCode.QUOTE_REFUSED, `quote refused: ${error.enclaveCode}`);
      throw error;
    }
    call.ctx.set(KEYS.registration(registered.registrationPublicKey), registered.encryptedSeed);
    call.events.push({
      type: 'register_node',
      attributes: [attr('registration_key', bytesToHex(registered.registrationPublicKey))],
    });
    return registered.encryptedSeed;
  }

  // --- staking ------------------------------------------------------------------------------

  private touchValidator(block: BlockState, ctx: TxContext, operator: string): void {
    if (block.touched.has(operator)) return;
    const bytes = ctx.batch.get(KEYS.validator(operator));
    block.touched.set(operator, bytes === undefined ? 0n : decodeValidator(bytes).tokens / POWER_REDUCTION);
  }

  private requireBondDenom(denom: string): void {
    if (denom !== this.genesis.params.bondDenom) {
      throw new TxFailure(
        TxCode.STAKING_INVALID,
        `bonds are in ${this.genesis.params.bondDenom}, not ${denom}`,
      );
    }
  }

  private createValidator(
    block: BlockState,
    ctx: TxContext,
    operator: string,
    key: Uint8Array,
    amount: bigint,
    denom: string,
    moniker: string,
  ): void {
    this.requireBondDenom(denom);
    if (key.length !== 32)
      throw new TxFailure(TxCode.STAKING_INVALID, 'the consensus key must be 32 bytes (ed25519)');
    if (ctx.get(KEYS.validator(operator)) !== undefined)
      throw new TxFailure(TxCode.STAKING_INVALID, `${operator} is already a validator`);
    if (ctx.get(KEYS.validatorByConsensus(consensusAddress(key))) !== undefined) {
      throw new TxFailure(TxCode.STAKING_INVALID, 'this consensus key is already used');
    }
    if (amount < POWER_REDUCTION)
      throw new TxFailure(TxCode.STAKING_INVALID, `the self bond must be at least ${POWER_REDUCTION}`);
    this.touchValidator(block, ctx, operator);
    this.moveCoins(ctx, operator, MODULE_ADDRESSES.bondedPool, [{ denom, amount }]);
    ctx.set(KEYS.validator(operator), encodeValidator({ consensusPublicKey: key, tokens: amount, moniker }));
    ctx.set(KEYS.validatorByConsensus(consensusAddress(key)), utf8Encode(operator));
    ctx.set(KEYS.delegation(operator, operator), encodeAmount(amount));
  }

  private delegate(
    block: BlockState,
    ctx: TxContext,
    delegator: string,
    operator: string,
    amount: bigint,
    denom: string,
  ): void {
    this.requireBondDenom(denom);
    const bytes = ctx.get(KEYS.validator(operator));
    if (bytes === undefined) throw new TxFailure(TxCode.STAKING_INVALID, `${operator} is not a validator`);
    if (amount <= 0n) throw new TxFailure(TxCode.INVALID_COINS, 'delegate a positive amount');
    this.touchValidator(block, ctx, operator);
    this.moveCoins(ctx, delegator, MODULE_ADDRESSES.bondedPool, [{ denom, amount }]);
    const validator = decodeValidator(bytes);
    ctx.set(KEYS.validator(operator), encodeValidator({ ...validator, tokens: validator.tokens + amount }));
    const current = decodeAmount(ctx.get(KEYS.delegation(delegator, operator)));
    ctx.set(KEYS.delegation(delegator, operator), encodeAmount(current + amount));
  }

  private undelegate(
    block: BlockState,
    ctx: TxContext,
    delegator: string,
    operator: string,
    amount: bigint,
    denom: string,
  ): bigint {
    this.requireBondDenom(denom);
    const bytes = ctx.get(KEYS.validator(operator));
    if (bytes === undefined) throw new TxFailure(TxCode.STAKING_INVALID, `${operator} is not a validator`);
    const current = decodeAmount(ctx.get(KEYS.delegation(delegator, operator)));
    if (amount <= 0n || amount > current) {
      throw new TxFailure(TxCode.INSUFFICIENT_FUNDS, `cannot undelegate ${amount}: delegation is ${current}`);
    }
    this.touchValidator(block, ctx, operator);
    const validator = decodeValidator(bytes);
    ctx.set(KEYS.validator(operator), encodeValidator({ ...validator, tokens: validator.tokens - amount }));
    if (current === amount) ctx.delete(KEYS.delegation(delegator, operator));
    else ctx.set(KEYS.delegation(delegator, operator), encodeAmount(current - amount));
    this.moveCoins(ctx, MODULE_ADDRESSES.bondedPool, MODULE_ADDRESSES.notBondedPool, [{ denom, amount }]);
    const id = decodeU64(ctx.get(KEYS.nextUnbondingId), 0n);
    ctx.set(KEYS.nextUnbondingId, encodeU64(id + 1n));
    const completion = block.timeNanos + this.genesis.params.unbondingPeriodSeconds * 1_000_000_000n;
    ctx.set(KEYS.unbonding(completion, id), encodeUnbonding({ delegator, amount }));
    return completion;
  }

  /** Pays out unbonding entries whose completion time is at or before the block time. */
  private matureUnbondings(ctx: TxContext, block: BlockState): AbciEvent[] {
    const events: AbciEvent[] = [];
    const end = KEYS.unbonding(block.timeNanos + 1n, 0n);
    const due = [...ctx.batch.entries({ start: KEYS.unbondingPrefix, end })];
    for (const entry of due) {
      const record = decodeUnbonding(entry.value);
      this.moveCoins(ctx, MODULE_ADDRESSES.notBondedPool, record.delegator, [
        { denom: this.genesis.params.bondDenom, amount: record.amount },
      ]);
      ctx.delete(entry.key);
      events.push({
        type: 'complete_unbonding',
        attributes: [attr('delegator', record.delegator), attr('amount', record.amount.toString())],
      });
    }
    return events;
  }

  private validatorUpdates(block: BlockState): ValidatorUpdate[] {
    const updates: ValidatorUpdate[] = [];
    const operators = [...block.touched.keys()].sort();
    for (const operator of operators) {
      const bytes = block.batch.get(KEYS.validator(operator));
      if (bytes === undefined) continue;
      const validator = decodeValidator(bytes);
      const power = validator.tokens / POWER_REDUCTION;
      if (power !== block.touched.get(operator))
        updates.push({ pubKey: validator.consensusPublicKey, power });
    }
    return updates;
  }

  // --- queries --------------------------------------------------------------------------------

  /** Answers a contract's non-wasm query_chain (bank balance / all balances) from the current reader. */
  private queryChain(request: Uint8Array): Uint8Array {
    let parsed: {
      bank?: { balance?: { address?: unknown; denom?: unknown }; all_balances?: { address?: unknown } };
    };
    try {
      parsed = JSON.parse(utf8Decode(request)) as typeof parsed;
    } catch {
      return utf8Encode(JSON.stringify({ Err: { invalid_request: { error: 'not JSON', request: '' } } }));
    }
    const ok = (answer: unknown) =>
      utf8Encode(JSON.stringify({ Ok: { Ok: Buffer.from(JSON.stringify(answer)).toString('base64') } }));
    const balance = parsed.bank?.balance;
    if (balance !== undefined && typeof balance.address === 'string' && typeof balance.denom === 'string') {
      const amount = decodeAmount(this.ocallRead(KEYS.balance(balance.address, balance.denom)));
      return ok({ amount: { denom: balance.denom, amount: amount.toString() } });
    }
    const all = parsed.bank?.all_balances;
    if (all !== undefined && typeof all.address === 'string') {
      return ok({
        amount: this.allBalances(all.address).map((c) => ({ denom: c.denom, amount: c.amount.toString() })),
      });
    }
    return utf8Encode(
      JSON.stringify({ Err: { unsupported_request: { kind: 'only bank balance queries' } } }),
    );
  }

  private allBalances(address: string): Coin[] {
    const prefix = KEYS.balancePrefix(address);
    const source = this.reader === this.store ? this.store : (this.block?.batch ?? this.store);
    const out: Coin[] = [];
    for (const entry of source.entries({ start: prefix, end: prefixEnd(prefix) })) {
      const key = utf8Decode(entry.key);
      out.push({ denom: key.slice(key.lastIndexOf('/') + 1), amount: decodeAmount(entry.value) });
    }
    return out;
  }

  /**
   * Read-only queries at the last committed height. Paths: `/account/<addr>`,
   * `/balance/<addr>/<denom>`, `/code/<id>`, `/contract/<addr>`, `/network/keys`,
   * `/registration/<pubkey hex>`, `/tx/<hash hex>` (JSON answers) and `/compute/query`
   * (data = u16be len ‖ contract address ‖ envelope; value = the encrypted answer).
   */
  async query(request: RequestQuery): Promise<ResponseQuery> {
    const height = this.store.info().height;
    const answer = (value: unknown): ResponseQuery => ({
      code: 0,
      log: '',
      key: new Uint8Array(0),
      value: utf8Encode(
        JSON.stringify(value, (_k, v: unknown) =>
          typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? bytesToHex(v) : v,
        ),
      ),
      height,
      codespace: '',
    });
    const missing = (what: string): ResponseQuery => ({
      code: TxCode.NOT_FOUND,
      log: `${what} not found`,
      key: new Uint8Array(0),
      value: new Uint8Array(0),
      height,
      codespace: 'sdk',
    });
    const parts = request.path.split('/').slice(1);
    const [kind, a, b] = parts;
    try {
      switch (kind) {
        case 'account': {
          const bytes = this.store.get(KEYS.account(a ?? ''));
          if (bytes === undefined) return missing('account');
          const record = decodeAccount(bytes);
          return answer({
            address: a,
            account_number: record.number,
            sequence: record.sequence,
            public_key:
              record.publicKey.length === 0 ? null : Buffer.from(record.publicKey).toString('base64'),
          });
        }
        case 'balance':
          return answer({ denom: b, amount: decodeAmount(this.store.get(KEYS.balance(a ?? '', b ?? ''))) });
        case 'code': {
          if (a === undefined || !/^[0-9]{1,20}$/.test(a)) return missing('code');
          const bytes = this.store.get(KEYS.code(BigInt(a)));
          if (bytes === undefined) return missing('code');
          const record = decodeCode(bytes);
          return answer({ code_id: a, code_hash: record.codeHash, creator: record.creator });
        }
        case 'contract': {
          const bytes = this.store.get(KEYS.contract(a ?? ''));
          if (bytes === undefined) return missing('contract');
          const record = decodeContract(bytes);
          return answer({
            address: a,
            code_id: record.codeId,
            code_hash: record.codeHash,
            label: record.label,
            admin: record.admin,
            creator: record.creator,
          });
        }
        case 'network':
          return answer({
            io_public_key: this.genesis.network.ioPublicKey,
            seed_exchange_public_key: this.genesis.network.seedExchangePublicKey,
          });
        case 'registration': {
          if (a === undefined || !/^([0-9a-f]{2})+$/.test(a)) return missing('registration');
          const bytes = this.store.get(KEYS.registration(hexToBytes(a)));
          return bytes === undefined ? missing('registration') : answer({ encrypted_seed: bytes });
        }
        case 'tx': {
          if (a === undefined || !/^[0-9a-fA-F]{64}$/.test(a)) return missing('tx');
          const bytes = this.store.getMeta(META.tx(hexToBytes(a.toLowerCase())));
          if (bytes === undefined) return missing('tx');
          // Stored binary (txrecord.ts); the query answers JSON as before.
          return { ...answer(null), value: encodeIndexedTx(decodeIndexedTx(bytes)) };
        }
        case 'compute':
          if (a === 'query') return await this.computeQuery(request.data, height);
          return missing('path');
        default:
          return missing(`path ${request.path}`);
      }
    } catch (error) {
      if (error instanceof TxFailure)
        return { ...missing('x'), code: error.code, log: error.log, codespace: codespaceOf(error.code) };
      throw error;
    }
  }

  private async computeQuery(data: Uint8Array, height: bigint): Promise<ResponseQuery> {
    const enclave = this.requireEnclave();
    const bad = (log: string, code: number = TxCode.UNKNOWN_REQUEST): ResponseQuery => ({
      code,
      log,
      key: new Uint8Array(0),
      value: new Uint8Array(0),
      height,
      codespace: codespaceOf(code),
    });
    const parsed = parseComputeQuery(data);
    if (parsed === null) {
      return bad(
        'query data: JSON {"contract_address","query": base64 envelope} or u16be length ‖ address ‖ envelope',
      );
    }
    const { contract, envelope } = parsed;
    const bytes = this.store.get(KEYS.contract(contract));
    if (bytes === undefined) return bad(`no contract at ${contract}`, TxCode.NOT_FOUND);
    const record = decodeContract(bytes);
    const timeNanos = this.lastBlockTime;
    try {
      const result = await this.withEnclave(
        () =>
          enclave.query({
            contract,
            codeHash: bytesToHex(record.codeHash),
            envelope,
            block: { height, timeNanos, chainId: this.genesis.chainId },
            gasLimit: QUERY_GAS_LIMIT * this.genesis.params.gas.wasmGasPerSdkGas,
          }),
        this.store,
      );
      if (result.ok) return { ...bad(''), code: 0, codespace: '', value: result.sealed };
      if (result.error.kind === 'contract')
        // The sealed error in the value and, as docs/sdk.md reads it, in the log.
        return {
          ...bad(`encrypted: ${Buffer.from(result.error.sealed).toString('base64')}`, TxCode.CONTRACT_FAILED),
          value: result.error.sealed,
        };
      return bad(`query failed in the VM: ${result.error.code}`, TxCode.VM_FAILED);
    } catch (error) {
      if (error instanceof EnclaveCallError)
        return bad(`the enclave refused the query: ${error.enclaveCode}`, TxCode.ENCLAVE_REFUSED);
      throw error;
    }
  }

  /** Block time used for queries: the last committed block's (0 before the first block). */
  private get lastBlockTime(): bigint {
    const bytes = this.store.getMeta('app/lastBlockTime');
    return bytes === undefined ? this.genesis.genesisTimeNanos : decodeU64(bytes, 0n);
  }
}

/**
 * `/compute/query` data: JSON `{"contract_address","query": base64 envelope}` (docs/sdk.md) or
 * binary u16 BE length ‖ contract address ‖ envelope. Null if neither.
 */
function parseComputeQuery(data: Uint8Array): { contract: string; envelope: Uint8Array } | null {
  if (data[0] === 0x7b) {
    try {
      const json = JSON.parse(utf8Decode(data)) as { contract_address?: unknown; query?: unknown };
      if (typeof json.contract_address !== 'string' || typeof json.query !== 'string') return null;
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(json.query)) return null;
      return { contract: json.contract_address, envelope: new Uint8Array(Buffer.from(json.query, 'base64')) };
    } catch {
      return null;
    }
  }
  if (data.length < 2) return null;
  const length = (data[0] ?? 0) * 256 + (data[1] ?? 0);
  if (data.length < 2 + length) return null;
  try {
    return { contract: utf8Decode(data.subarray(2, 2 + length)), envelope: data.slice(2 + length) };
  } catch {
    return null; // the address is not UTF-8
  }
}

function prefixEnd(prefix: Uint8Array): Uint8Array {
  const out = Uint8Array.from(prefix);
  out[out.length - 1] = (out[out.length - 1] ?? 0) + 1;
  return out;
}

function callFailure(result: RunContractResult): TxFailure {
  if (result.ok) return new TxFailure(TxCode.OK, '');
  if (result.error.kind === 'contract') {
    return new TxFailure(
      TxCode.CONTRACT_FAILED,
      'the contract returned an error (encrypted in data)',
      result.error.sealed,
    );
  }
  if (result.error.code === 'OUT_OF_GAS')
    return new TxFailure(TxCode.OUT_OF_GAS, 'out of gas in the contract');
  return new TxFailure(TxCode.VM_FAILED, `the VM stopped the contract: ${result.error.code}`);
}

/**
 * Drops the results computed ahead and the speculative batch after them: an earlier call was
 * not applied as is (a tx failed after its call, a request differed), so the state they assumed
 * is not the block's. The speculative ECALL may still be running; `inFlight` keeps it awaited.
 */
function dropAhead(block: BlockState): void {
  block.ahead = [];
  block.speculation = null;
}

/** Waits for the block's last speculative ECALL (it never rejects: failures are null results). */
async function drainSpeculation(block: BlockState): Promise<void> {
  dropAhead(block);
  const inFlight = block.inFlight;
  block.inFlight = null;
  if (inFlight !== null) await inFlight;
}

/**
 * True when two contract-call requests are the same call (what isDeepStrictEqual said, field
 * by field: it cost ~4 % of finalizeBlock's main-thread time, bench/RESULTS.md "app"). Byte
 * fields of a predicted request are usually the very arrays of the cached decoded tx, so
 * identity is tried before comparing bytes. Absent and undefined optional fields count as equal
 * (the enclave reads them the same way).
 */
function sameRequest(a: RunContractRequest, b: RunContractRequest): boolean {
  if (
    a.entry !== b.entry ||
    a.contract !== b.contract ||
    a.codeHash !== b.codeHash ||
    a.codeId !== b.codeId ||
    a.label !== b.label ||
    a.sender !== b.sender ||
    a.txIndex !== b.txIndex ||
    a.callIndex !== b.callIndex ||
    a.gasLimit !== b.gasLimit ||
    a.block.height !== b.block.height ||
    a.block.timeNanos !== b.block.timeNanos ||
    a.block.chainId !== b.block.chainId ||
    a.funds.length !== b.funds.length ||
    !sameBytes(a.envelope, b.envelope)
  )
    return false;
  for (let i = 0; i < a.funds.length; i++) {
    const x = a.funds[i] as PublicCoin;
    const y = b.funds[i] as PublicCoin;
    if (x.denom !== y.denom || x.amount !== y.amount) return false;
  }
  const p = a.auth;
  const q = b.auth;
  if (p.kind === 'user' && q.kind === 'user') {
    return (
      p.accountNumber === q.accountNumber &&
      p.messageIndex === q.messageIndex &&
      sameBytes(p.bodyBytes, q.bodyBytes) &&
      sameBytes(p.authInfoBytes, q.authInfoBytes) &&
      sameBytes(p.signature, q.signature)
    );
  }
  if (p.kind === 'callback' && q.kind === 'callback') {
    return sameBytes(p.callbackSignature, q.callbackSignature) && sameBytes(p.txHash, q.txHash);
  }
  return false;
}

// sameRequest must compare every field: adding one to these types without adding it above fails here.
const COMPARED_FIELDS = {
  entry: true,
  contract: true,
  codeHash: true,
  codeId: true,
  label: true,
  sender: true,
  funds: true,
  envelope: true,
  auth: true,
  block: true,
  txIndex: true,
  callIndex: true,
  gasLimit: true,
} as const satisfies Record<keyof RunContractRequest, true>;
void COMPARED_FIELDS;
const COMPARED_AUTH = {
  kind: true,
  bodyBytes: true,
  authInfoBytes: true,
  accountNumber: true,
  signature: true,
  messageIndex: true,
  callbackSignature: true,
  txHash: true,
} as const satisfies Record<keyof UserAuth | keyof CallbackAuth, true>;
void COMPARED_AUTH;
const COMPARED_BLOCK = { height: true, timeNanos: true, chainId: true } as const satisfies Record<
  keyof RunContractRequest['block'],
  true
>;
void COMPARED_BLOCK;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a === b || bytesEqual(a, b);
}

/**
 * Events of a successful contract call in the layout the client reads (docs/sdk.md "Result
 * layout"): `wasm` with `contract_address`, `call_depth` for nested calls, `encrypted:data`,
 * then the contract's attributes in order — encrypted ones keyed `encrypted:<enclave label>`
 * with the base64 ciphertext; custom events as `wasm-<type>` keyed `encrypted:event/<e>/attr/<i>`.
 * (`msg_index` is added to every event of a message by deliverTx.)
 */
function contractEvents(
  contract: string,
  result: Extract<RunContractResult, { ok: true }>,
  depth: number,
): AbciEvent[] {
  const head = [
    attr('contract_address', contract),
    ...(depth > 0 ? [attr('call_depth', String(depth))] : []),
  ];
  const convert = (attribute: OutputAttribute, label: string) =>
    attribute.encrypted
      ? attr(`encrypted:${label}`, Buffer.from(attribute.sealed).toString('base64'), false)
      : attr(attribute.key, attribute.value);
  const data =
    result.data === null ? [] : [attr('encrypted:data', Buffer.from(result.data).toString('base64'), false)];
  const out: AbciEvent[] = [
    {
      type: 'wasm',
      attributes: [...head, ...data, ...result.attributes.map((a, i) => convert(a, `attr/${i}`))],
    },
  ];
  for (const [e, event] of result.events.entries()) {
    out.push({
      type: `wasm-${event.type}`,
      attributes: [...head, ...event.attributes.map((a, i) => convert(a, `event/${e}/attr/${i}`))],
    });
  }
  return out;
}

/** Encoding of an indexed tx result (metadata, not consensus state: JSON with bigints as strings). */
export function encodeIndexedTx(indexed: IndexedTx): Uint8Array {
  return utf8Encode(
    JSON.stringify({
      height: indexed.height.toString(),
      index: indexed.index,
      code: indexed.result.code,
      codespace: indexed.result.codespace,
      log: indexed.result.log,
      data: Buffer.from(indexed.result.data).toString('base64'),
      gas_wanted: indexed.result.gasWanted.toString(),
      gas_used: indexed.result.gasUsed.toString(),
      events: indexed.result.events,
    }),
  );
}

/** Decodes what `/tx/<hash>` returns (JSON), or a stored tx index record (binary, txrecord.ts). */
export function decodeIndexedTx(bytes: Uint8Array): IndexedTx {
  return decodeTxRecord(bytes, decodeIndexedTxJson);
}

function decodeIndexedTxJson(bytes: Uint8Array): IndexedTx {
  const json = JSON.parse(utf8Decode(bytes)) as {
    height: string;
    index: number;
    code: number;
    codespace: string;
    log: string;
    data: string;
    gas_wanted: string;
    gas_used: string;
    events: AbciEvent[];
  };
  return {
    height: BigInt(json.height),
    index: json.index,
    result: {
      code: json.code,
      codespace: json.codespace,
      log: json.log,
      data: new Uint8Array(Buffer.from(json.data, 'base64')),
      gasWanted: BigInt(json.gas_wanted),
      gasUsed: BigInt(json.gas_used),
      events: json.events,
    },
  };
}
