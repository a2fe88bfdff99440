// The enclave's execution core (DESIGN.md §1 step 6, §3; docs/adr/006-enclave-calls.md):
// check who signed, decrypt the envelope, check the code hash, run the contract over encrypted
// state, encrypt everything that goes back out. Runs inside the enclave worker only.
import {
  aesGcmEncrypt,
  bytesToHex,
  concatBytes,
  constantTimeEqual,
  CryptoError,
  addressFromPublicKey,
  decodeBech32WithPrefix,
  aesGcmDecrypt,
  deriveInputIv,
  deriveTxKey,
  encryptTxOutput,
  hexToBytes,
  hmacSha256,
  secp256k1ConvertPublicKey,
  secp256k1Verify,
  sha256,
  utf8Decode,
  utf8Encode,
  x25519SharedSecret,
} from '../../crypto/index.js';
import { fromBinary } from '@bufbuild/protobuf';
import {
  AuthInfoSchema,
  envelopeAssociatedData,
  instantiateTarget,
  TxBodySchema,
  type EnvelopeKind,
  type Msg,
} from '../../codec/index.js';
import {
  ContractVm,
  latin1Bytes,
  validateContractCode,
  VmError,
  type Attribute,
  type CallOutcome,
  type CallRequest,
  type Coin,
  type ContractEnv,
  type CosmosMsg,
  type Querier,
  type Response,
  type Storage,
  type StorageWrite,
  type SubMsg,
  type ValidatedCode,
  type VmErrorCode,
} from '../../vm/index.js';
import { ShroudError } from '../../errors.js';
import { BoundaryError } from '../boundary/channel.js';
import { EnclaveError } from '../errors.js';
import { LABELS } from '../secrets/labels.js';
import { ReadPredictor } from './read-predictor.js';
import {
  contractStateKey,
  decryptStateValue,
  diskKey,
  encryptStateValue,
} from '../secrets/state-encryption.js';
import type {
  BatchChain,
  CallbackAuth,
  ContractEntry,
  OutputAttribute,
  OutputMessage,
  PublicCoin,
  QueryRequest,
  QueryResult,
  ReplyEnvelope,
  RunContractRequest,
  RunEntry,
  RunContractResult,
  StateWrite,
  UserAuth,
} from '../protocol.js';
import { u64be, type KeyVault } from './keys.js';
import { BoundedCache, signDocBytes, SlotCache, StateValueMemo, type SlotEntry } from './fast-paths.js';
import { verifyJob, type SignaturePool } from './signature-pool.js';

/** The host services the enclave calls out to (OCALLs), already decoded. */
export interface Ocalls {
  readState(contract: string, diskKey: Uint8Array): Uint8Array | null;
  getCode(codeHash: Uint8Array): Uint8Array | null;
  contractInfo(address: string): Uint8Array | null;
  queryChain(request: Uint8Array): Uint8Array;
  /**
   * Several readState in one crossing (the read-ahead below); the blobs in the keys' order.
   * Optional: without it every read is its own readState.
   */
  readStateBatch?(contract: string, diskKeys: readonly Uint8Array[]): (Uint8Array | null)[];
}

/**
 * How contract state and call inputs/outputs are protected. `aes-gcm` is the protocol (DESIGN.md
 * §3). `null` exists only to measure what encryption costs (bench/enclave.ts): the same path
 * with every cipher step replaced by the identity (envelope = nonce ‖ user key ‖ plaintext,
 * values and outputs in plaintext, disk key = SHA-256 of the plaintext key since the store
 * wants 32-byte keys). Signature checks, callback HMACs and everything else stay. It is set
 * only by constructing an Executor in-process; the enclave worker (worker.ts) never sets it.
 */
export type ExecutorCipher = 'aes-gcm' | 'null';

export interface ExecutorOptions {
  /** Default 'aes-gcm'. */
  cipher?: ExecutorCipher;
  /**
   * The enclave's own signature thread (signature-pool.ts), started by the enclave worker:
   * runBatch verifies later calls' user signatures there while earlier calls run. Without it
   * (null, the default) every signature is verified in this thread.
   */
  signatures?: SignaturePool | null;
  /**
   * The read predictor (read-predictor.ts, default true): a batch also prefetches the slots
   * each call is predicted to read from the keys earlier calls of its contract read. False
   * only for tests and measurements that compare with it off (results are the same).
   */
  readPredictor?: boolean;
}

/**
 * A user call of the running batch whose signature the pool verifies: what runBatch's prelude
 * computed from the request (the same pure functions checkUserCall applies), and the job.
 */
interface PooledSignature {
  request: RunContractRequest;
  job: number;
  /** The signer's address. */
  address: string;
  verifyKey: Uint8Array;
  digest: Uint8Array;
}

/** Fewest calls in a batch for the pool (call 0 is always verified in this thread). */
const MIN_POOLED_BATCH = 2;

/**
 * Blobs the host sent with the ECALL for the slots of `readAheadFor` (same order). Not changed
 * once handed to the executor (storageFor keeps its map per object).
 */
export interface ReadAhead {
  diskKeys: Uint8Array[];
  blobs: (Uint8Array | null)[];
}

/** The host's blobs for one contract's read-ahead slots, in a batch. */
export interface BatchReadAhead extends ReadAhead {
  contract: string;
}

/** What runBatch returns: results of the calls run, and each contract's next read-ahead. */
export interface BatchOutcome {
  results: RunContractResult[];
  next: { contract: string; diskKeys: Uint8Array[] }[];
}

/** Most calls in one batch (a bound on the frame and on the work of one ECALL). */
export const MAX_BATCH_CALLS = 4096;

/** Most slots a kept overlay may hold (a chain of pipelined batches; a transfer writes 7). */
const KEPT_OVERLAY_MAX_SLOTS = 1 << 16;

function overlaySlots(overlay: ReadonlyMap<string, ReadonlyMap<string, unknown>>): number {
  let total = 0;
  for (const slots of overlay.values()) total += slots.size;
  return total;
}

/** Most slots one read-ahead asks for (a transfer reads 6). */
const READ_AHEAD_MAX_SLOTS = 32;
/** Contracts whose last read set is remembered (cleared when full). */
const READ_AHEAD_MAX_CONTRACTS = 4096;
/**
 * (contract, sender) pairs whose last call's read set is remembered (cleared when full). Worst
 * case 8,192 × 32 disk keys ≈ 26 MB of the enclave's heap with object overhead; a transfer
 * remembers 6 (≈ 5 MB), and the keys are mostly the disk-key memo's own objects.
 */
const SENDER_READS_MAX = 8192;
/** Most slots a batch fetches at its start from its senders' last calls (64 KiB of disk keys). */
const BATCH_PREFETCH_MAX_SLOTS = 2048;
/**
 * Most late prefetches (Executor.prefetchLate) per batch: each re-predicts every later call, so
 * a batch whose every call teaches a new template (a new message variant each) made n²/2
 * predictions (32,896 for 256 calls; test/enclave/read-predict-review.test.ts).
 */
const BATCH_PREFETCH_LATE_MAX = 4;

const latin1 = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');

const CALLBACK_NONCE_LABEL = utf8Encode('shroud/v1/callback-nonce');
const REPLY_HEADER = utf8Encode('REPLY01');
const CODE_HASH_CHARS = 64;
const HEX64 = /^[0-9a-f]{64}$/;
/** Gas limit of a contract-to-contract smart query (wasm gas); its use is added to the caller's. */
export const NESTED_QUERY_GAS_LIMIT = 1_000_000_000n;
const MAX_CACHED_CODES = 256;

/** Where a reply to a submessage goes (CONTRACT_ABI §0 REPLY01 header). */
export interface ReplyRoute {
  id: bigint;
  callerCodeHash: string;
}

/** An opened envelope (Executor.decryptEnvelope). */
interface OpenedEnvelope {
  plaintext: Uint8Array;
  txKey: Uint8Array;
  userPublicKey: Uint8Array;
  shared: Uint8Array;
}

/** The entries runContract runs. */
const RUN_ENTRIES: ReadonlySet<string> = new Set<RunEntry>(['instantiate', 'execute', 'migrate', 'reply']);

/** State write salt = height (u64 BE) ‖ block time ns (u64 BE) ‖ call index (u64 BE), one array. */
function writeSalt(height: bigint, timeNanos: bigint, callIndex: number): Uint8Array {
  const salt = new Uint8Array(24);
  const view = new DataView(salt.buffer);
  view.setBigUint64(0, BigInt.asUintN(64, height));
  view.setBigUint64(8, BigInt.asUintN(64, timeNanos));
  view.setBigUint64(16, BigInt.asUintN(64, BigInt(callIndex)));
  return salt;
}

/** What a call that must answer its caller (REPLY01 header) needs to build the reply envelope. */
interface ReplyContext {
  route: ReplyRoute;
  callee: string;
  caller: string;
  txHash: Uint8Array;
  input: { txKey: Uint8Array; userPublicKey: Uint8Array; shared: Uint8Array };
}

function coinsOut(coins: readonly Coin[]): PublicCoin[] {
  return coins.map((coin) => ({ denom: coin.denom, amount: coin.amount.toString() }));
}

function coinsIn(coins: readonly PublicCoin[]): Coin[] {
  return coins.map((coin) => {
    if (typeof coin.denom !== 'string' || !/^(0|[1-9][0-9]*)$/.test(coin.amount)) {
      throw new EnclaveError('BAD_REQUEST', 'funds must be {denom, decimal amount} coins');
    }
    return { denom: coin.denom, amount: BigInt(coin.amount) };
  });
}

function sameCoins(a: readonly { denom: string; amount: string }[], b: readonly PublicCoin[]): boolean {
  return (
    a.length === b.length && a.every((coin, i) => coin.denom === b[i]?.denom && coin.amount === b[i]?.amount)
  );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && constantTimeEqual(a, b);
}

/** Bytes of a protobuf length-delimited field (tag, varint length, bytes) of `bytes`. */
function lengthDelimitedSize(bytes: Uint8Array): number {
  let size = 2 + bytes.length; // the tag and the varint's last byte
  for (let length = bytes.length; length >= 0x80; length >>>= 7) size++;
  return size;
}

/** Writes the length-delimited field at `at`; returns the offset after it. */
function putLengthDelimited(out: Uint8Array, at: number, field: number, bytes: Uint8Array): number {
  let offset = at;
  out[offset++] = (field << 3) | 2;
  let length = bytes.length;
  while (length >= 0x80) {
    out[offset++] = (length & 0x7f) | 0x80;
    length >>>= 7;
  }
  out[offset++] = length;
  out.set(bytes, offset);
  return offset + bytes.length;
}

/**
 * Hash of the user transaction, from its parts: the canonical Tx encoding is fields 1 (body),
 * 2 (auth info), 3 (the one signature) in order (docs/adr/002), so the enclave binds its
 * outputs to the transaction the user signed without the host telling it the hash. Written
 * into one exact-size array (every user call hashes it).
 */
function userTxHash(auth: UserAuth): Uint8Array {
  const tx = new Uint8Array(
    lengthDelimitedSize(auth.bodyBytes) +
      lengthDelimitedSize(auth.authInfoBytes) +
      lengthDelimitedSize(auth.signature),
  );
  let offset = putLengthDelimited(tx, 0, 1, auth.bodyBytes);
  offset = putLengthDelimited(tx, offset, 2, auth.authInfoBytes);
  putLengthDelimited(tx, offset, 3, auth.signature);
  return sha256(tx);
}

/** Callback signature = HMAC(callback secret, label || entry || tx hash || envelope || AD). */
export function callbackSignature(
  callbackSecret: Uint8Array,
  entry: RunEntry,
  txHash: Uint8Array,
  envelope: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array {
  const entryBytes = utf8Encode(entry);
  const length = new Uint8Array(8);
  const view = new DataView(length.buffer);
  view.setUint32(0, entryBytes.length);
  view.setUint32(4, envelope.length);
  return hmacSha256(
    callbackSecret,
    concatBytes(LABELS.callbackSignature, length, entryBytes, txHash, envelope, associatedData),
  );
}

/**
 * Inside a batch (Executor.runBatch), a call after the first asked the host for something other
 * than a state slot (code, the contract registry, a bank query, a batched read): the answer could
 * depend on what the host does between calls, so the batch stops before this call and the host
 * runs it as the first call of its next batch. Never crosses the boundary.
 */
class BatchYield extends ShroudError<'BATCH_YIELD'> {}

/** An EnclaveError or BoundaryError anywhere in an error's cause chain (a host fault, not the contract's). */
function hostFault(error: unknown): ShroudError | null {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (current instanceof BatchYield) return current;
    if (current instanceof EnclaveError) return current;
    if (current instanceof BoundaryError) {
      return new EnclaveError('OCALL_FAILED', `an OCALL failed: ${current.message}`);
    }
    current = current.cause;
  }
  return null;
}

/**
 * Storage over the readState OCALL: disk key = keyed hash, value opened with the contract key.
 *
 * Read-ahead: `prefetched` holds the blobs of the slots the previous call of this contract read,
 * fetched in one readStateBatch crossing at the start of this call, from the host's store as it
 * is now. The host's store does not change while an ECALL runs (it is blocked serving it), so a
 * prefetched blob is exactly what a readState of that slot would return now: there is nothing to
 * invalidate, and a reverted transaction or discarded block simply is not in the host's store.
 * Blobs are opened and authenticated like any other (a bad one fails with STATE_VALUE_TAMPERED).
 */
class EncryptedStorage implements Storage {
  /** The disk keys this call read, in first-read order (the next call's read-ahead). */
  readonly reads: Uint8Array[] = [];
  /** Their plaintext keys as latin1, in the same order (the read predictor's templates). */
  readonly readKeys: string[] = [];
  /** Their latin1 ids (at most READ_AHEAD_MAX_SLOTS: a scan is cheaper than a Set per call). */
  private readonly readIds: string[] = [];
  /** This contract's slots in the executor's SlotCache. */
  private readonly slots: Map<string, SlotEntry>;

  constructor(
    private readonly ocalls: Ocalls,
    private readonly contract: string,
    private readonly contractBytes: Uint8Array,
    private readonly contractKey: Uint8Array,
    private readonly memo: StateValueMemo,
    private readonly prefetched: Map<string, Uint8Array | null> | null,
    private readonly slotCache: SlotCache,
    private readonly nullCipher = false,
    /** In a batch: this contract's blobs written by earlier calls of the batch (null = deleted). */
    private readonly overlay: Map<string, Uint8Array | null> | null = null,
    /** In a batch: blobs fetched at its start (Executor.prefetchBatch), the store before the batch. */
    private readonly batchFetched: Map<string, Uint8Array | null> | null = null,
  ) {
    this.slots = slotCache.of(contract);
  }

  /**
   * The slot of a plaintext key. Disk key = HMAC(contract key, label || plaintext key): a pure
   * function of the contract (its key does not depend on the code hash) and the plaintext key,
   * memoized across calls inside the enclave with its ids (SlotCache; 6 HMACs per token
   * transfer were ~9 % of the core's profile, and the id strings 13 per transfer).
   * @param keyText the plaintext key as latin1 (1:1 with its bytes).
   */
  slotOf(key: Uint8Array | null, keyText: string): SlotEntry {
    let entry = this.slots.get(keyText);
    if (entry === undefined) {
      const bytes = key ?? latin1Bytes(keyText);
      const slot = this.nullCipher ? sha256(bytes) : diskKey(this.contractKey, bytes);
      const id = latin1(slot);
      // The memo id is contract NUL disk key as latin1 (not hex: bytesToHex built 32 strings
      // per call site, heap sampling 03:50 UTC session 3).
      entry = { slot, id, memoId: `${this.contract}\u0000${id}` };
      this.slotCache.add(this.slots, keyText, entry);
    }
    return entry;
  }

  /** @param keyText the key as latin1 when the VM has it already (WriteCache), else made here. */
  get(key: Uint8Array, keyText?: string): Uint8Array | undefined {
    const text = keyText ?? latin1(key);
    return this.read(this.slotOf(key, text), text);
  }

  /** get by the key's latin1 text alone (db_read): its bytes are made only for a new slot. */
  getText(keyText: string): Uint8Array | undefined {
    return this.read(this.slotOf(null, keyText), keyText);
  }

  private read(entry: SlotEntry, keyText: string): Uint8Array | undefined {
    const slotId = entry.id;
    if (this.reads.length < READ_AHEAD_MAX_SLOTS && !this.readIds.includes(slotId)) {
      this.readIds.push(slotId);
      this.reads.push(entry.slot);
      this.readKeys.push(keyText);
    }
    // Newest first: a write of an earlier call in this batch, then the host's blob read right
    // before the ECALL, then the host's store now (both of those are the store before the batch).
    const written = this.overlay?.get(slotId);
    let blob = written !== undefined ? written : this.prefetched?.get(slotId);
    if (blob === undefined) blob = this.batchFetched?.get(slotId);
    if (blob === undefined) blob = this.ocalls.readState(this.contract, entry.slot);
    if (blob === null) return undefined;
    const known = this.memo.lookup(entry.memoId, blob);
    if (known !== undefined) return known;
    const value = this.nullCipher
      ? blob.slice()
      : decryptStateValue(this.contractKey, this.contractBytes, entry.slot, blob);
    this.memo.remember(entry.memoId, blob, value);
    return value;
  }

  /** The encrypted form of one buffered write, remembered so the next read skips decryption. */
  seal(write: StorageWrite, salt: Uint8Array): StateWrite {
    const entry = this.slotOf(write.key, write.keyText ?? latin1(write.key));
    const value = write.value;
    if (value === null) {
      this.memo.forget(entry.memoId);
      return { diskKey: entry.slot, blob: null };
    }
    const blob = this.nullCipher
      ? value.slice()
      : encryptStateValue(this.contractKey, this.contractBytes, entry.slot, value, salt);
    this.memo.remember(entry.memoId, blob, value);
    return { diskKey: entry.slot, blob };
  }
}

interface CallContextInfo {
  block: RunContractRequest['block'];
}

/** query_chain: bank and other module queries go to the host; wasm smart queries run here. */
class EnclaveQuerier implements Querier {
  gasUsed = 0n;

  constructor(
    private readonly executor: Executor,
    private readonly context: CallContextInfo,
    private readonly gasLimit: bigint,
  ) {}

  query(request: Uint8Array, depth: number): Uint8Array {
    let parsed: unknown;
    try {
      parsed = JSON.parse(utf8Decode(request));
    } catch {
      return systemError('invalid_request', { error: 'not JSON', request: '' });
    }
    const smart = (parsed as { wasm?: { smart?: unknown } } | null)?.wasm?.smart;
    if (smart === undefined) {
      if ((parsed as { wasm?: unknown } | null)?.wasm !== undefined) {
        return systemError('unsupported_request', { kind: 'wasm' });
      }
      return this.executor.ocalls.queryChain(request);
    }
    const { contract_addr: address, callback_code_hash: codeHash, msg } = smart as Record<string, unknown>;
    if (typeof address !== 'string' || typeof codeHash !== 'string' || typeof msg !== 'string') {
      return systemError('invalid_request', { error: 'malformed wasm smart query', request: '' });
    }
    const answer = this.executor.smartQuery(this.context, address, codeHash, msg, depth, this.gasLimit);
    this.gasUsed += answer.gasUsed;
    return answer.result;
  }
}

/** What a reply reports (CONTRACT_ABI §3.5), before it is encoded. */
type ReplyJson =
  | {
      ok: {
        events: { type: string; attributes: { key: string; value: string }[] }[];
        data: Uint8Array | null;
      };
    }
  | { error: string };

/** The events a reply shows the caller: the callee's attributes as a `wasm` event, then its own events. */
function replyEvents(
  contract: string,
  response: Response,
): { type: string; attributes: { key: string; value: string }[] }[] {
  const plain = (attributes: Attribute[]) => attributes.map(({ key, value }) => ({ key, value }));
  const events = response.events.map((event) => ({
    type: `wasm-${event.type}`,
    attributes: plain(event.attributes),
  }));
  return [
    {
      type: 'wasm',
      attributes: [{ key: 'contract_address', value: contract }, ...plain(response.attributes)],
    },
    ...events,
  ];
}

function systemError(variant: string, body: Record<string, unknown>): Uint8Array {
  return utf8Encode(JSON.stringify({ Err: { [variant]: body } }));
}

function contractResult(ok: boolean, value: string): Uint8Array {
  return utf8Encode(JSON.stringify({ Ok: ok ? { Ok: value } : { Err: value } }));
}

export class Executor {
  private readonly vm: ContractVm;
  private readonly codes = new Map<string, ValidatedCode>();
  private readonly stateKeys = new Map<string, Uint8Array>();
  private readonly sharedSecrets = new BoundedCache<Uint8Array>(4096);
  /** envelopeAssociatedData of calls without funds, by kind NUL sender NUL target (pure). */
  private readonly noFundsAds = new BoundedCache<Uint8Array>(4096);
  /** The last read-ahead storageFor was given and its blobs by slot id (made once per object). */
  private aheadSlots: { ahead: ReadAhead; map: Map<string, Uint8Array | null> } | null = null;
  /** Decoded bech32 contract addresses (pure; only valid ones are kept). */
  private readonly addresses = new BoundedCache<Uint8Array>(4096);
  /** Per compressed public key: its address and its uncompressed form (what verify parses fastest). */
  private readonly signers = new BoundedCache<{ address: string; verifyKey: Uint8Array }>(4096);
  private readonly stateMemo = new StateValueMemo(65_536);
  /** Per contract, the disk keys its last call read: the next call's read-ahead. */
  private readonly lastReads = new Map<string, Uint8Array[]>();
  /** Per (contract NUL sender), the disk keys that sender's last call of it read (prefetchBatch). */
  private readonly senderReads = new Map<string, Uint8Array[]>();
  /** During runBatch: per contract, the blobs fetched at the batch's start (by slot). */
  private batchFetched: Map<string, Map<string, Uint8Array | null>> | null = null;
  /** Plaintext keys calls are expected to read, from earlier calls' reads (null = off). */
  private readonly predictor: ReadPredictor | null;
  /**
   * During runBatch: envelopes the prediction opened, with the associated data they opened
   * under, so the call's own decryptEnvelope does not open them twice (a pure function of both).
   */
  private openedEnvelopes: Map<Uint8Array, { ad: Uint8Array; input: OpenedEnvelope }> | null = null;
  /**
   * During runBatch: the predictor's `created` count when a later call last had no template
   * (prefetchLate may help it once a call creates one), or -1.
   */
  private untemplated = -1;
  /**
   * During runBatch: per user call the predictor filled a template for, whether its signature
   * verified (checked once, in this thread). Only a signed call's addresses are predicted.
   */
  private predictionVerdicts: Map<RunContractRequest, boolean> | null = null;
  /** During runBatch: slots fetched so far (bounded by BATCH_PREFETCH_MAX_SLOTS). */
  private batchFetchedSlots = 0;
  /** The host's services without the batch's yield guard (prefetchLate asks only for slots). */
  private readonly hostOcalls: Ocalls;
  /** (contract, plaintext key) → disk key and its ids; the plaintext keys never leave the enclave. */
  private readonly diskKeys = new SlotCache(65_536);
  private readonly nullCipher: boolean;
  /** The host services; inside a batch, every one but readState yields after the first call. */
  readonly ocalls: Ocalls;
  /** During runBatch: per contract, the blobs written by the batch's earlier calls (by slot). */
  private overlay: Map<string, Map<string, Uint8Array | null>> | null = null;
  /**
   * Forgets the kept overlay: "only the latest batch can be followed, once" (ADR 006 "Pipelined
   * batches") must hold across every ECALL, not only among batches. The handlers call it before
   * any ECALL that is neither a batch nor a query (a query only reads committed state, and one
   * queued between a batch and its follower must not cost the speculation).
   */
  endPipelineChain(): void {
    this.keptOverlay = null;
  }

  /** The overlay of the last batch whose chain id was non-zero and that ran all its calls. */
  private keptOverlay: {
    id: number;
    /** The block its calls ran in: a batch of another block may not follow it. */
    block: RunContractRequest['block'];
    overlay: Map<string, Map<string, Uint8Array | null>>;
  } | null = null;
  private yieldOnOcall = false;
  private readonly signaturePool: SignaturePool | null;
  /** During runBatch: the call being run, when the pool verifies its signature. */
  private pooled: PooledSignature | null = null;

  constructor(
    private readonly vault: KeyVault,
    ocalls: Ocalls,
    private readonly addressPrefix: string,
    options: ExecutorOptions = {},
  ) {
    this.nullCipher = options.cipher === 'null';
    this.signaturePool = options.signatures ?? null;
    this.vm = new ContractVm({ addressPrefix });
    this.hostOcalls = ocalls;
    this.predictor =
      options.readPredictor === false
        ? null
        : new ReadPredictor(addressPrefix, (address) => this.canonicalOf(address));
    const guard = <T>(answer: () => T): T => {
      if (this.yieldOnOcall) throw new BatchYield('BATCH_YIELD', 'this call needs the host between calls');
      return answer();
    };
    this.ocalls = {
      readState: (contract, diskKey) => ocalls.readState(contract, diskKey),
      getCode: (codeHash) => guard(() => ocalls.getCode(codeHash)),
      contractInfo: (address) => guard(() => ocalls.contractInfo(address)),
      queryChain: (request) => guard(() => ocalls.queryChain(request)),
      ...(ocalls.readStateBatch === undefined
        ? {}
        : {
            readStateBatch: (contract: string, diskKeys: readonly Uint8Array[]) =>
              guard(() =>
                (ocalls.readStateBatch as NonNullable<Ocalls['readStateBatch']>)(contract, diskKeys),
              ),
          }),
    };
  }

  // --- helpers -----------------------------------------------------------------------------

  /**
   * Encrypted storage for one call, with the read-ahead: the slots this contract's previous
   * call read are fetched in one crossing (measured: 6 readState crossings per token transfer
   * became 1, ADR 006 "As built"). The host already saw those slots read by that call; here it
   * sees them asked for again, whether or not this call reads them.
   */
  private storageFor(
    contract: string,
    contractBytes: Uint8Array,
    contractKey: Uint8Array,
    ahead?: ReadAhead,
  ): EncryptedStorage {
    const expected = this.lastReads.get(contract);
    let prefetched: Map<string, Uint8Array | null> | null = null;
    if (ahead !== undefined) {
      // Blobs the host read from its store right before this ECALL, for the slots it was told
      // (readAheadFor). Trusted exactly as much as readState answers: each opens only in its
      // own slot; a slot missing here falls back to readState.
      if (ahead.diskKeys.length !== ahead.blobs.length || ahead.diskKeys.length > READ_AHEAD_MAX_SLOTS) {
        throw new EnclaveError('BAD_REQUEST', 'malformed read-ahead');
      }
      if (ahead.diskKeys.length > 0) {
        // A batch hands every call of a contract the same read-ahead object: its map is made
        // once (it is only read), not once per call.
        if (this.aheadSlots?.ahead !== ahead) {
          const map = new Map(ahead.diskKeys.map((slot, i) => [latin1(slot), ahead.blobs[i] ?? null]));
          this.aheadSlots = { ahead, map };
        }
        prefetched = this.aheadSlots.map;
      }
    } else if (expected !== undefined && this.ocalls.readStateBatch !== undefined) {
      const blobs = this.ocalls.readStateBatch(contract, expected);
      // An answer of another length is no read-ahead (as in fetchSlots): reading the missing
      // blobs as absent slots would change results (predict-review, session 5).
      if (blobs.length === expected.length)
        prefetched = new Map(expected.map((slot, i) => [latin1(slot), blobs[i] ?? null]));
    }
    return new EncryptedStorage(
      this.ocalls,
      contract,
      contractBytes,
      contractKey,
      this.stateMemo,
      prefetched,
      this.diskKeys,
      this.nullCipher,
      this.overlay?.get(contract) ?? null,
      this.batchFetched?.get(contract) ?? null,
    );
  }

  /**
   * The disk keys this contract's last call read (public: the host saw them read), which the
   * host may read and send with the next runContract of this contract (ECALL runContractAhead).
   */
  readAheadFor(contract: string): Uint8Array[] {
    return this.lastReads.get(contract) ?? [];
  }

  /** Remembers which slots a call read, for the next call's read-ahead (and per sender, for batches). */
  private learnReads(contract: string, storage: EncryptedStorage, sender?: string): void {
    if (storage.reads.length === 0) return;
    if (!this.lastReads.has(contract) && this.lastReads.size >= READ_AHEAD_MAX_CONTRACTS)
      this.lastReads.clear();
    this.lastReads.set(contract, storage.reads);
    if (sender === undefined) return;
    const key = `${contract}\u0000${sender}`;
    if (!this.senderReads.has(key) && this.senderReads.size >= SENDER_READS_MAX) this.senderReads.clear();
    this.senderReads.set(key, storage.reads);
  }

  /**
   * At a batch's start, fetches in one readStateBatch per contract the slots that each call's
   * sender read in its last call of that contract, and the slots the read predictor expects the
   * call to read (minus those the host sent as read-ahead): a token transfer's own balance and
   * history, its recipient's, also for a sender or recipient this enclave has never seen.
   * Without it each such slot is a readState OCALL in the middle of the batch (ADR 006 "As
   * built, session 3"; session 5 for the predictor). Sound as the read-ahead is: the blobs are
   * the host's store as it is during this ECALL, i.e. before the batch, and shadowed by the
   * batch's own writes (overlay first); a slot fetched and not read is never looked at. The host
   * sees slots asked for that it saw read (or written) by those senders' earlier calls, and
   * predicted slots of this batch's own senders and message addresses, as a union (ADR 006).
   * A host that fails the OCALL only loses the prefetch: those reads go through readState.
   */
  private prefetchBatch(
    requests: readonly RunContractRequest[],
    aheadOf: ReadonlyMap<string, ReadAhead>,
  ): Map<string, Map<string, Uint8Array | null>> | null {
    if (requests.length < 2 || this.ocalls.readStateBatch === undefined) return null;
    const wanted = new Map<string, Map<string, Uint8Array>>();
    const sent = new Map<string, string[]>();
    let total = 0;
    this.untemplated = -1;
    for (const request of requests) {
      if (total >= BATCH_PREFETCH_MAX_SLOTS) break;
      const reads = this.senderReads.get(`${request.contract}\u0000${request.sender}`);
      // A sender's known reads cover its own slots; only a sender new to this contract is
      // predicted (each prediction costs a signature check in this thread: see predictedSlots).
      const predicted = reads === undefined ? this.predictedSlots(request) : [];
      if (predicted === null) this.untemplated = this.predictor?.created ?? -1;
      if (reads === undefined && (predicted === null || predicted.length === 0)) continue;
      const slots = reads === undefined ? (predicted ?? []) : [...reads, ...(predicted ?? [])];
      total += this.wantSlots(wanted, sent, aheadOf, null, request.contract, slots, total);
    }
    const fetched = new Map<string, Map<string, Uint8Array | null>>();
    this.fetchSlots(this.ocalls, wanted, fetched);
    this.batchFetchedSlots = total;
    return fetched;
  }

  /**
   * After a call that ran and created a template that a later call of the batch lacked: the
   * first call of a message variant teaches the predictor its template (a contract's first
   * transfer, a batch of senders and variants the enclave has never seen), so the later calls
   * get their predicted slots in one more readStateBatch instead of a readState per slot (at
   * most one per template created and BATCH_PREFETCH_LATE_MAX per batch, within
   * BATCH_PREFETCH_MAX_SLOTS in all). Sound for
   * the same reason as readState in the middle of a batch: the host's store is the store before
   * the batch for every slot that is not in the overlay, and the overlay is read first. The OCALL
   * goes to the host directly, not through the batch's yield guard: it asks only for state slots.
   */
  private prefetchLate(
    requests: readonly RunContractRequest[],
    from: number,
    aheadOf: ReadonlyMap<string, ReadAhead>,
  ): void {
    this.untemplated = -1;
    const fetched = this.batchFetched;
    if (fetched === null) return;
    const wanted = new Map<string, Map<string, Uint8Array>>();
    const sent = new Map<string, string[]>();
    let total = this.batchFetchedSlots;
    for (let index = from; index < requests.length && total < BATCH_PREFETCH_MAX_SLOTS; index++) {
      const request = requests[index] as RunContractRequest;
      if (this.senderReads.has(`${request.contract}\u0000${request.sender}`)) continue;
      const predicted = this.predictedSlots(request);
      if (predicted === null) this.untemplated = this.predictor?.created ?? -1;
      if (predicted === null || predicted.length === 0) continue;
      total += this.wantSlots(wanted, sent, aheadOf, fetched, request.contract, predicted, total);
    }
    this.fetchSlots(this.hostOcalls, wanted, fetched);
    this.batchFetchedSlots = total;
  }

  /**
   * Adds to `wanted` the slots of `contract` not already wanted, sent by the host as read-ahead
   * or fetched, while the batch's total stays within BATCH_PREFETCH_MAX_SLOTS.
   * @returns how many slots were added.
   */
  private wantSlots(
    wanted: Map<string, Map<string, Uint8Array>>,
    sent: Map<string, string[]>,
    aheadOf: ReadonlyMap<string, ReadAhead>,
    fetched: ReadonlyMap<string, ReadonlyMap<string, Uint8Array | null>> | null,
    contract: string,
    slots: readonly Uint8Array[],
    total: number,
  ): number {
    let given = sent.get(contract);
    if (given === undefined) sent.set(contract, (given = aheadOf.get(contract)?.diskKeys.map(latin1) ?? []));
    let ids = wanted.get(contract);
    if (ids === undefined) wanted.set(contract, (ids = new Map<string, Uint8Array>()));
    const before = fetched?.get(contract);
    let added = 0;
    for (const slot of slots) {
      if (total + added >= BATCH_PREFETCH_MAX_SLOTS) break;
      const id = latin1(slot);
      if (ids.has(id) || given.includes(id) || before?.has(id) === true) continue;
      ids.set(id, slot);
      added++;
    }
    return added;
  }

  /**
   * One readStateBatch per contract of `wanted`, added to `fetched`. A host that fails the OCALL
   * only loses the prefetch: what was fetched stays valid, the rest goes through readState.
   */
  private fetchSlots(
    ocalls: Ocalls,
    wanted: ReadonlyMap<string, ReadonlyMap<string, Uint8Array>>,
    fetched: Map<string, Map<string, Uint8Array | null>>,
  ): void {
    if (ocalls.readStateBatch === undefined) return;
    try {
      for (const [contract, slots] of wanted) {
        if (slots.size === 0) continue;
        const diskKeys = [...slots.values()];
        const blobs = ocalls.readStateBatch(contract, diskKeys);
        // An answer of another length breaks the Ocalls contract (the boundary's decodeBlobs
        // refuses it too): a failed OCALL, not a list of absent slots (predict-review).
        if (blobs.length !== diskKeys.length) continue;
        let into = fetched.get(contract);
        if (into === undefined) fetched.set(contract, (into = new Map<string, Uint8Array | null>()));
        for (const [i, slot] of diskKeys.entries()) into.set(latin1(slot), blobs[i] ?? null);
      }
    } catch {
      return;
    }
  }

  /**
   * The disk keys of the slots the read predictor expects a user call to read: its envelope is
   * opened as the call itself will open it (kept in openedEnvelopes for the call), and the
   * template of its contract and message variant filled with its sender and message addresses.
   * Any failure (a refused request, an envelope that does not open, a signature that does not
   * verify: signedForPrediction) predicts nothing: the call then fails on its own path exactly
   * as without the predictor. The callers predict only calls of senders new to the contract.
   * @returns null when the predictor has no template for the call yet.
   */
  private predictedSlots(request: RunContractRequest): Uint8Array[] | null {
    const predictor = this.predictor;
    if (predictor === null || request.auth.kind !== 'user' || request.entry === 'reply') return [];
    try {
      if (!RUN_ENTRIES.has(request.entry)) return [];
      const contractBytes = this.addressBytes(request.contract);
      const ad = this.associatedData(request.entry, request.sender, this.targetOf(request), request.funds);
      const input = this.decryptEnvelope(request.envelope, ad);
      this.openedEnvelopes?.set(request.envelope, { ad, input });
      const { msg } = this.openPlaintext(input.plaintext, request.codeHash, false);
      const keys = predictor.predict(request.contract, request.entry, request.sender, msg);
      if (keys === null) return null;
      if (keys.length === 0 || !this.signedForPrediction(request, request.auth)) return [];
      const storage = new EncryptedStorage(
        this.ocalls,
        request.contract,
        contractBytes,
        this.contractKey(request.contract, contractBytes),
        this.stateMemo,
        null,
        this.diskKeys,
        this.nullCipher,
      );
      return keys.map((key) => storage.slotOf(null, key).slot);
    } catch {
      return [];
    }
  }

  /**
   * Whether a user call is signed by its sender (checkUserCall, once per call and batch; a call
   * that passed is not checked again when it runs). The
   * sender and the message's addresses are bound to the call only by the signature: an unsigned
   * request naming a victim would otherwise make the enclave ask for the victim's slots, and the
   * host would learn which disk key holds any address's balance for free (predict-review,
   * session 5). A signed call reads its own addresses' slots when it runs, so predicting them
   * tells the host nothing that running it would not.
   */
  private signedForPrediction(request: RunContractRequest, auth: UserAuth): boolean {
    let verdict = this.predictionVerdicts?.get(request);
    if (verdict === undefined) {
      try {
        this.checkUserCall(request, auth);
        verdict = true;
      } catch {
        verdict = false;
      }
      this.predictionVerdicts?.set(request, verdict);
    }
    return verdict;
  }

  /** An address's canonical bytes for the read predictor, or null when it does not decode. */
  private canonicalOf(address: string): Uint8Array | null {
    try {
      return this.addressBytes(address);
    } catch {
      return null;
    }
  }

  private addressBytes(address: string): Uint8Array {
    try {
      return this.addresses.get(address, () => decodeBech32WithPrefix(address, this.addressPrefix));
    } catch {
      throw new EnclaveError('BAD_REQUEST', `"${address}" is not a ${this.addressPrefix} address`);
    }
  }

  private contractKey(contract: string, contractBytes: Uint8Array): Uint8Array {
    let key = this.stateKeys.get(contract);
    if (key === undefined) {
      key = contractStateKey(this.vault.secrets.stateKeyMaterial, contractBytes);
      if (this.stateKeys.size >= 4096) this.stateKeys.clear();
      this.stateKeys.set(contract, key);
    }
    return key;
  }

  /**
   * The validated code with this hash: from the cache, or fetched with the getCode OCALL and
   * checked to hash to what was asked (the host cannot substitute code).
   */
  private loadCode(codeHash: string): ValidatedCode {
    const cached = this.codes.get(codeHash);
    if (cached !== undefined) return cached;
    if (!HEX64.test(codeHash))
      throw new EnclaveError('BAD_REQUEST', 'a code hash is 64 lowercase hex characters');
    const wasm = this.ocalls.getCode(hexToBytes(codeHash));
    if (wasm === null || wasm.length === 0) {
      throw new EnclaveError('CODE_NOT_FOUND', `the host has no code with hash ${codeHash}`);
    }
    let code: ValidatedCode;
    try {
      code = validateContractCode(wasm);
    } catch (error) {
      throw new EnclaveError('CODE_INVALID', `code ${codeHash} does not validate`, { cause: error });
    }
    if (code.codeHash !== codeHash) {
      throw new EnclaveError(
        'CODE_TAMPERED',
        `the host's code for hash ${codeHash} hashes to something else`,
      );
    }
    if (this.codes.size >= MAX_CACHED_CODES) this.codes.clear();
    this.codes.set(codeHash, code);
    return code;
  }

  /**
   * Opens an envelope (DESIGN.md §3, docs/adr/001): tx_key from X25519(network, user) and the
   * nonce, input IV from tx_key, AAD = nonce || user key || associated data. The shared secret
   * is a pure function of the user's public key, so it is memoized per key.
   */
  private decryptEnvelope(envelope: Uint8Array, associatedData: Uint8Array): OpenedEnvelope {
    const opened = this.openedEnvelopes?.get(envelope);
    if (opened !== undefined && sameBytes(opened.ad, associatedData)) return opened.input;
    try {
      if (!(envelope instanceof Uint8Array) || envelope.length < 32 + 32 + 16) {
        throw new CryptoError('ENVELOPE_TOO_SHORT', 'envelope too short');
      }
      const nonce = envelope.subarray(0, 32);
      const userPublicKey = envelope.slice(32, 64);
      if (this.nullCipher) {
        const zero = new Uint8Array(32);
        return { plaintext: envelope.slice(64), txKey: zero, userPublicKey, shared: zero };
      }
      const shared = this.sharedSecrets.get(latin1(userPublicKey), () =>
        x25519SharedSecret(this.vault.secrets.ioKeyPair.privateKey, userPublicKey),
      );
      const txKey = deriveTxKey(shared, nonce);
      const plaintext = aesGcmDecrypt(
        txKey,
        deriveInputIv(txKey),
        envelope.subarray(64),
        concatBytes(envelope.subarray(0, 64), associatedData),
      );
      return { plaintext, txKey, userPublicKey, shared };
    } catch (error) {
      if (error instanceof CryptoError) {
        throw new EnclaveError(
          'ENVELOPE_DECRYPT_FAILED',
          'the envelope does not decrypt for this network, sender, target and funds: it was altered, copied from another transaction or encrypted to another network',
        );
      }
      throw error;
    }
  }

  /** Splits "code hash || [REPLY01 header] || JSON" and checks the hash (CONTRACT_ABI §0). */
  private openPlaintext(
    plaintext: Uint8Array,
    codeHash: string,
    allowReplyHeader: boolean,
  ): { msg: Uint8Array; reply: ReplyRoute | null } {
    if (plaintext.length < CODE_HASH_CHARS) {
      throw new EnclaveError('PLAINTEXT_MALFORMED', 'the message does not start with a 64-hex code hash');
    }
    const prefix = Buffer.from(plaintext.buffer, plaintext.byteOffset, CODE_HASH_CHARS).toString('latin1');
    if (!HEX64.test(prefix)) {
      throw new EnclaveError('PLAINTEXT_MALFORMED', 'the message does not start with a 64-hex code hash');
    }
    if (prefix !== codeHash) {
      throw new EnclaveError(
        'CODE_HASH_MISMATCH',
        `the message was encrypted for another code than the target contract runs (${codeHash})`,
      );
    }
    let rest = plaintext.subarray(CODE_HASH_CHARS);
    let reply: ReplyRoute | null = null;
    if (
      allowReplyHeader &&
      rest.length >= REPLY_HEADER.length &&
      sameBytes(rest.subarray(0, 7), REPLY_HEADER)
    ) {
      if (rest.length < 7 + 8 + CODE_HASH_CHARS) {
        throw new EnclaveError('PLAINTEXT_MALFORMED', 'truncated REPLY01 header');
      }
      const id = new DataView(rest.buffer, rest.byteOffset + 7, 8).getBigUint64(0);
      const callerCodeHash = utf8Decode(rest.subarray(15, 15 + CODE_HASH_CHARS));
      reply = { id, callerCodeHash };
      rest = rest.subarray(15 + CODE_HASH_CHARS);
    }
    return { msg: rest, reply };
  }

  /**
   * A user call: the message at `messageIndex` must be exactly this call, the sender must be
   * the signer's address, and the signature must verify over the sign doc.
   * @returns the transaction hash.
   */
  private checkUserCall(request: RunContractRequest, auth: UserAuth): Uint8Array {
    // The read predictor already ran this whole check on this very request in this batch
    // (signedForPrediction; every step is a pure function of the request): not twice.
    if (this.predictionVerdicts?.get(request) === true) return userTxHash(auth);
    // In a batch, runBatch's prelude already decoded the auth info and derived the signer and
    // the digest from this very request (pure functions), and the pool is verifying it.
    const pooled = this.pooled?.request === request ? this.pooled : null;
    let signer: string;
    let message: Msg | undefined;
    let verifyKey: Uint8Array;
    try {
      // Lenient protobuf parsing is enough here: the signature below covers these exact bytes,
      // and the host already refused non-canonical encodings (docs/adr/002) before the block.
      const body = fromBinary(TxBodySchema, auth.bodyBytes);
      ({ address: signer, verifyKey } = pooled ?? this.signerOf(auth.authInfoBytes));
      message = Number.isSafeInteger(auth.messageIndex) ? body.messages[auth.messageIndex] : undefined;
    } catch (error) {
      throw new EnclaveError('SIGN_DOC_MALFORMED', 'the signed body or auth info does not decode', {
        cause: error,
      });
    }
    if (signer !== request.sender) {
      throw new EnclaveError('SENDER_MISMATCH', 'the sender is not the address of the transaction signer');
    }
    if (message === undefined || !this.messageMatches(request, message)) {
      throw new EnclaveError(
        'MESSAGE_MISMATCH',
        `message ${auth.messageIndex} of the signed transaction is not this ${request.entry} call`,
      );
    }
    let valid: boolean;
    if (pooled !== null && this.signaturePool !== null) {
      valid = this.signaturePool.verdict(pooled.job, () =>
        verifyJob(pooled.digest, auth.signature, pooled.verifyKey),
      );
    } else {
      try {
        valid = secp256k1Verify(this.signDigest(request, auth), auth.signature, verifyKey);
      } catch {
        valid = false;
      }
    }
    if (!valid) {
      throw new EnclaveError(
        'SIGNATURE_INVALID',
        'the transaction signature does not verify over its sign doc',
      );
    }
    return userTxHash(auth);
  }

  /**
   * The signer's address and verify key from the auth info bytes (pure functions of the key,
   * memoized). libsecp256k1 parses a 65-byte key without the square root a 33-byte one needs
   * (measured 51 vs 57 µs per verify), so verify gets that form. The cache key is latin1 (1:1
   * with the bytes, cheaper than hex); a key that fails here throws and is not cached.
   * @throws whatever decoding or the key conversion throws (the caller maps it)
   */
  private signerOf(authInfoBytes: Uint8Array): { address: string; verifyKey: Uint8Array } {
    const authInfo = fromBinary(AuthInfoSchema, authInfoBytes);
    const key = authInfo.signer?.publicKey ?? new Uint8Array(0);
    return this.signers.get(latin1(key), () => ({
      address: addressFromPublicKey(key, this.addressPrefix),
      verifyKey: secp256k1ConvertPublicKey(key, false),
    }));
  }

  /**
   * sha256 of the canonical SignDoc with the block's chain id (docs/adr/002).
   * @throws if the parts do not encode (the caller treats that as a bad signature)
   */
  private signDigest(request: RunContractRequest, auth: UserAuth): Uint8Array {
    return sha256(
      signDocBytes(auth.bodyBytes, auth.authInfoBytes, request.block.chainId, auth.accountNumber),
    );
  }

  /**
   * runBatch's prelude: hands the user signatures of calls 1… to the pool, so they are verified
   * on the pool's thread while the earlier calls run here. Only what checkUserCall would compute
   * anyway is computed (signer, verify key, digest; never cached results of a check); a call
   * whose parts do not decode is left out and checked entirely in its turn, where it fails
   * exactly as it would have. Never throws.
   * @returns per call index, its pooled signature (undefined: verified in this thread).
   */
  private poolSignatures(requests: readonly RunContractRequest[]): (PooledSignature | undefined)[] {
    const pool = this.signaturePool;
    const pooled: (PooledSignature | undefined)[] = [];
    if (pool === null || requests.length < MIN_POOLED_BATCH || !pool.usable) return pooled;
    pool.begin();
    for (let index = 1; index < requests.length; index++) {
      const request = requests[index] as RunContractRequest;
      try {
        const auth = request.auth;
        if (auth.kind !== 'user' || !(auth.signature instanceof Uint8Array)) continue;
        const { address, verifyKey } = this.signerOf(auth.authInfoBytes);
        const digest = this.signDigest(request, auth);
        const job = pool.submit(digest, auth.signature, verifyKey);
        if (job === null) continue;
        pooled[index] = { request, job, address, verifyKey, digest };
      } catch {
        continue; // checked in its turn, in this thread, as without a pool
      }
    }
    return pooled;
  }

  private messageMatches(request: RunContractRequest, message: Msg): boolean {
    const sum = message.sum;
    switch (request.entry) {
      case 'instantiate':
        return (
          sum.case === 'instantiateContract' &&
          sum.value.sender === request.sender &&
          sum.value.codeId === request.codeId &&
          sum.value.label === request.label &&
          sameBytes(sum.value.initMsg, request.envelope) &&
          sameCoins(sum.value.initFunds, request.funds)
        );
      case 'execute':
        return (
          sum.case === 'executeContract' &&
          sum.value.sender === request.sender &&
          sum.value.contract === request.contract &&
          sameBytes(sum.value.msg, request.envelope) &&
          sameCoins(sum.value.sentFunds, request.funds)
        );
      case 'migrate':
        return (
          sum.case === 'migrateContract' &&
          sum.value.sender === request.sender &&
          sum.value.contract === request.contract &&
          sum.value.codeId === request.codeId &&
          sameBytes(sum.value.msg, request.envelope) &&
          request.funds.length === 0
        );
      default:
        return false;
    }
  }

  private targetOf(request: RunContractRequest): string {
    if (request.entry !== 'instantiate') return request.contract;
    if (typeof request.codeId !== 'bigint' || typeof request.label !== 'string') {
      throw new EnclaveError('BAD_REQUEST', 'instantiate needs codeId and label');
    }
    return instantiateTarget(request.codeId, request.label);
  }

  // --- batches -------------------------------------------------------------------------------

  /**
   * Runs consecutive contract calls in one ECALL, exactly as if the host had run them one by
   * one and applied each successful result's writes to its store in between, and done nothing
   * else in between (ADR 006 "As built", batches). Each call reads the writes of the batch's
   * earlier calls (an overlay kept for this batch only), then the host's `ahead` blobs, then
   * readState. The batch ends early, and the host runs the rest as a new batch:
   * - after a call the host must act on before the next: a failed call, one with messages for
   *   the host to dispatch or a reply to deliver (that result is included);
   * - before a call (not the first) that asks the host for anything but a state slot (code, the
   *   contract registry, a bank query): its answer could depend on the host's work between
   *   calls. Its partial run is dropped (it wrote nothing; the caches it touched are pure);
   * - before a call (not the first) that the enclave refuses: run first in the next batch, it
   *   fails there as a single call would.
   * So at least one call always runs, and a batch of one is exactly runContract. With a
   * signature pool (ExecutorOptions.signatures), the user signatures of calls 1… are verified on
   * the pool's thread while earlier calls run (poolSignatures); every verdict, refusal and result
   * is the one this thread would have produced.
   * @returns the results of the calls run (1 to n, in order) and, per contract run, the disk
   *   keys to send with its next call.
   * @throws EnclaveError as runContract, for the first call only; BAD_REQUEST for a malformed batch.
   */
  runBatch(
    requests: readonly RunContractRequest[],
    ahead: readonly BatchReadAhead[],
    chain?: BatchChain,
  ): BatchOutcome {
    if (requests.length === 0 || requests.length > MAX_BATCH_CALLS) {
      throw new EnclaveError('BAD_REQUEST', `a batch holds 1 to ${MAX_BATCH_CALLS} calls`);
    }
    // Pipelined batches (ADR 006 "Pipelined batches"): a speculative batch starts from the kept
    // overlay of the batch it names, i.e. assumes the host applied every write of that batch
    // (and of the chain before it). Any other batch starts empty. Either way the kept overlay is
    // consumed: a later batch can follow only this one.
    const kept = this.keptOverlay;
    this.keptOverlay = null;
    const speculative = chain !== undefined && chain.after !== 0;
    if (speculative && kept?.id !== chain.after) {
      throw new EnclaveError('BAD_REQUEST', 'a speculative batch must follow the batch it names');
    }
    if (speculative && kept !== null && !requests.every((r) => sameBlock(r.block, kept.block))) {
      throw new EnclaveError(
        'BAD_REQUEST',
        'a speculative batch must run in the block of the batch it follows',
      );
    }
    const aheadOf = new Map<string, ReadAhead>();
    for (const entry of ahead) {
      if (aheadOf.has(entry.contract))
        throw new EnclaveError('BAD_REQUEST', 'a contract twice in the read-ahead');
      aheadOf.set(entry.contract, { diskKeys: entry.diskKeys, blobs: entry.blobs });
    }
    const results: RunContractResult[] = [];
    const overlay =
      speculative && kept !== null ? kept.overlay : new Map<string, Map<string, Uint8Array | null>>();
    this.overlay = overlay;
    const pooled = this.poolSignatures(requests);
    let complete = false;
    try {
      this.openedEnvelopes = new Map();
      this.predictionVerdicts = new Map();
      this.batchFetched = this.prefetchBatch(requests, aheadOf);
      let lateFetches = 0;
      for (const [index, request] of requests.entries()) {
        // A speculative batch has no call in one-by-one state: while it runs, the host is
        // applying the previous batch, so only state slots (overlay, or unchanged by that batch)
        // read the same as in sequential execution. Every call, the first too, yields on any
        // other OCALL and stops the batch on a refusal.
        this.yieldOnOcall = speculative || index > 0;
        this.pooled = pooled[index] ?? null;
        let result: RunContractResult;
        try {
          // Without host blobs for this contract, an empty read-ahead: reads go one by one
          // through readState rather than a readStateBatch OCALL (which would yield).
          result = this.runContract(request, aheadOf.get(request.contract) ?? { diskKeys: [], blobs: [] });
        } catch (error) {
          if ((index > 0 || speculative) && (error instanceof BatchYield || error instanceof EnclaveError))
            break;
          throw error;
        }
        results.push(result);
        if (!result.ok || result.messages.length > 0 || result.reply !== undefined) break;
        let slots = overlay.get(request.contract);
        if (slots === undefined)
          overlay.set(request.contract, (slots = new Map<string, Uint8Array | null>()));
        for (const write of result.writes) slots.set(latin1(write.diskKey), write.blob);
        complete = index === requests.length - 1;
        if (
          this.untemplated >= 0 &&
          this.untemplated !== this.predictor?.created &&
          !complete &&
          lateFetches < BATCH_PREFETCH_LATE_MAX
        ) {
          lateFetches++;
          this.prefetchLate(requests, index + 1, aheadOf);
        }
      }
      // Kept only when every call ran and succeeded without anything for the host to act on:
      // then the overlay is exactly the writes a host that applies the results makes.
      if (
        complete &&
        chain !== undefined &&
        chain.id !== 0 &&
        overlaySlots(overlay) <= KEPT_OVERLAY_MAX_SLOTS
      )
        this.keptOverlay = { id: chain.id, block: (requests[0] as RunContractRequest).block, overlay };
    } finally {
      this.overlay = null;
      this.batchFetched = null;
      this.openedEnvelopes = null;
      this.predictionVerdicts = null;
      this.untemplated = -1;
      this.batchFetchedSlots = 0;
      this.yieldOnOcall = false;
      this.pooled = null;
      if (pooled.length > 0) this.signaturePool?.end();
    }
    const contracts = [...new Set(requests.slice(0, results.length).map((request) => request.contract))];
    return {
      results,
      next: contracts.map((contract) => ({ contract, diskKeys: this.readAheadFor(contract) })),
    };
  }

  // --- runContract -------------------------------------------------------------------------

  /**
   * Runs instantiate/execute/migrate for a user (signature checked here) or a contract
   * (callback signature checked here). Refusals throw EnclaveError with their own code and
   * return no writes; contract `Err`s come back encrypted, VM failures as a public code.
   */
  runContract(request: RunContractRequest, ahead?: ReadAhead): RunContractResult {
    const secrets = this.vault.secrets;
    if (!RUN_ENTRIES.has(request.entry)) {
      throw new EnclaveError('BAD_REQUEST', `unknown entry "${String(request.entry)}"`);
    }
    if (request.entry === 'reply' && (request.auth.kind !== 'callback' || request.funds.length !== 0)) {
      throw new EnclaveError(
        'BAD_REQUEST',
        'a reply comes only from a callee, with callback auth and no funds',
      );
    }
    const contractBytes = this.addressBytes(request.contract);
    const target = this.targetOf(request);
    const funds = coinsIn(request.funds);
    let kind: EnvelopeKind;
    let txHash: Uint8Array;
    let ad: Uint8Array;
    // No closures on this path: each costs an allocation, and under tsx (how the node runs) a
    // named one also a defineProperty (esbuild keepNames), ~5 % of the enclave thread (profile).
    if (request.auth.kind === 'user') {
      txHash = this.checkUserCall(request, request.auth);
      kind = request.entry as ContractEntry;
      ad = this.associatedData(kind, request.sender, target, request.funds);
    } else if (request.auth.kind === 'callback') {
      const auth: CallbackAuth = request.auth;
      if (!(auth.txHash instanceof Uint8Array) || auth.txHash.length !== 32) {
        throw new EnclaveError('BAD_REQUEST', 'a callback needs the 32-byte hash of its transaction');
      }
      txHash = auth.txHash;
      kind = 'callback';
      ad = this.associatedData(kind, request.sender, target, request.funds);
      const expected = callbackSignature(secrets.callbackSecret, request.entry, txHash, request.envelope, ad);
      if (!(auth.callbackSignature instanceof Uint8Array) || !sameBytes(expected, auth.callbackSignature)) {
        throw new EnclaveError(
          'CALLBACK_SIGNATURE_INVALID',
          'the callback signature does not match: this contract-to-contract message was not produced by the enclave',
        );
      }
    } else {
      throw new EnclaveError('BAD_REQUEST', 'runContract needs user or callback auth');
    }
    const input = this.decryptEnvelope(request.envelope, ad);
    const { msg, reply } = this.openPlaintext(
      input.plaintext,
      request.codeHash,
      kind === 'callback' && request.entry !== 'reply',
    );
    // The callee answers a REPLY01 header with an authenticated reply envelope, whatever happens.
    const route: ReplyContext | null =
      reply === null
        ? null
        : { route: reply, callee: request.contract, caller: request.sender, txHash, input };
    const code = this.loadCode(request.codeHash);
    const contractKey = this.contractKey(request.contract, contractBytes);
    const random = code.features.includes('random')
      ? this.vault.contractRandom(request.block.height, contractKey, request.callIndex)
      : null;
    const env: ContractEnv = {
      block: {
        height: request.block.height,
        time: request.block.timeNanos,
        chainId: request.block.chainId,
        random,
      },
      contract: { address: request.contract, codeHash: request.codeHash },
      transaction: { index: request.txIndex, hash: bytesToHex(txHash).toUpperCase() },
    };
    const querier = new EnclaveQuerier(
      this,
      { block: request.block },
      min(NESTED_QUERY_GAS_LIMIT, request.gasLimit),
    );
    const storage = this.storageFor(request.contract, contractBytes, contractKey, ahead);
    const run = this.runVm(
      {
        code,
        entry: request.entry,
        env,
        info: { sender: request.sender, funds },
        msg,
        storage,
        querier,
        gasLimit: request.gasLimit,
      },
      request.contract,
    );
    if (!run.ok) {
      const failed: RunContractResult = {
        ok: false,
        gasUsed: run.gasUsed,
        txHash,
        error: { kind: 'vm', code: run.code },
      };
      if (route !== null) failed.reply = this.replyFor(route, { error: `the call failed: ${run.code}` });
      return failed;
    }
    const { outcome, gasUsed } = run;
    if (!outcome.ok) {
      const failed: RunContractResult = {
        ok: false,
        gasUsed,
        txHash,
        error: {
          kind: 'contract',
          sealed: this.sealOutput(input.txKey, txHash, 'error', utf8Encode(outcome.error)),
        },
      };
      if (route !== null) failed.reply = this.replyFor(route, { error: outcome.error });
      return failed;
    }
    const response = outcome.response;
    if (response === null) throw new EnclaveError('BAD_REQUEST', 'the VM returned no response');
    const salt = writeSalt(request.block.height, request.block.timeNanos, request.callIndex);
    const writes: StateWrite[] = outcome.writes.map((write) => storage.seal(write, salt));
    const messages = response.messages.map((sub, i) =>
      this.outputMessage(sub, i, {
        caller: request.contract,
        callerCodeHash: request.codeHash,
        txKey: input.txKey,
        txHash,
        userPublicKey: input.userPublicKey,
        shared: input.shared,
      }),
    );
    const result: RunContractResult = {
      ok: true,
      gasUsed,
      txHash,
      data: response.data === null ? null : this.sealOutput(input.txKey, txHash, 'data', response.data),
      attributes: response.attributes.map((attribute, i) =>
        this.sealAttribute(input.txKey, txHash, `attr/${i}`, attribute),
      ),
      events: response.events.map((event, e) => ({
        type: event.type,
        attributes: event.attributes.map((attribute, i) =>
          this.sealAttribute(input.txKey, txHash, `event/${e}/attr/${i}`, attribute),
        ),
      })),
      messages,
      writes,
    };
    // Only a call that must answer its caller builds the reply's events (replyEvents).
    if (route !== null)
      result.reply = this.replyFor(route, {
        ok: { events: replyEvents(request.contract, response), data: response.data },
      });
    return result;
  }

  /** An output for the user: AES-GCM under the tx key (encryptTxOutput), or as is (null cipher). */
  private sealOutput(
    txKey: Uint8Array,
    txHash: Uint8Array,
    label: string,
    plaintext: Uint8Array,
  ): Uint8Array {
    return this.nullCipher ? plaintext : encryptTxOutput(txKey, txHash, label, plaintext);
  }

  /** An attribute as it leaves: sealed JSON {key, value} unless the contract marked it plaintext. */
  private sealAttribute(
    txKey: Uint8Array,
    txHash: Uint8Array,
    label: string,
    attribute: Attribute,
  ): OutputAttribute {
    return attribute.encrypted
      ? {
          encrypted: true,
          sealed: this.sealOutput(
            txKey,
            txHash,
            label,
            utf8Encode(JSON.stringify({ key: attribute.key, value: attribute.value })),
          ),
        }
      : { encrypted: false, key: attribute.key, value: attribute.value };
  }

  /**
   * envelopeAssociatedData of a call. Without funds it is a pure function of (kind, sender,
   * target), memoized: a sender's calls of one contract share it.
   */
  private associatedData(
    kind: EnvelopeKind,
    sender: string,
    target: string,
    funds: readonly PublicCoin[],
  ): Uint8Array {
    if (funds.length !== 0) return envelopeAssociatedData({ kind, sender, target, funds });
    return this.noFundsAds.get(`${kind}\u0000${sender}\u0000${target}`, () =>
      envelopeAssociatedData({ kind, sender, target, funds: [] }),
    );
  }

  /** The reply envelope of a call whose envelope asked for one (replyEnvelope). */
  private replyFor(context: ReplyContext, result: ReplyJson): ReplyEnvelope {
    return this.replyEnvelope(context.route, result, {
      callee: context.callee,
      caller: context.caller,
      txKey: context.input.txKey,
      txHash: context.txHash,
      userPublicKey: context.input.userPublicKey,
      shared: context.input.shared,
    });
  }

  /**
   * The callee's reply to its caller (CONTRACT_ABI §3.5): plaintext = caller code hash || Reply
   * JSON, under a key derived like a submessage's (path `reply`), bound to (callback, callee,
   * caller, no funds) and signed for entry `reply`, so the host can neither forge nor alter a
   * reply, nor turn an error into a success.
   */
  private replyEnvelope(
    route: ReplyRoute,
    result: ReplyJson,
    call: {
      callee: string;
      caller: string;
      txKey: Uint8Array;
      txHash: Uint8Array;
      userPublicKey: Uint8Array;
      shared: Uint8Array;
    },
  ): ReplyEnvelope {
    const resultJson =
      'error' in result
        ? { error: result.error }
        : {
            ok: {
              events: result.ok.events,
              data: result.ok.data === null ? null : Buffer.from(result.ok.data).toString('base64'),
            },
          };
    const json = `{"id":${route.id.toString()},"result":${JSON.stringify(resultJson)}}`;
    const { envelope, signature } = this.sealCallback({
      entry: 'reply',
      caller: call.callee,
      target: call.caller,
      funds: [],
      plaintext: concatBytes(utf8Encode(route.callerCodeHash), utf8Encode(json)),
      path: 'reply',
      txKey: call.txKey,
      txHash: call.txHash,
      userPublicKey: call.userPublicKey,
      shared: call.shared,
    });
    return { contract: call.caller, envelope, callbackSignature: signature };
  }

  /** A new envelope for another contract plus its callback signature (ADR 006). */
  private sealCallback(args: {
    entry: RunEntry;
    caller: string;
    target: string;
    funds: PublicCoin[];
    plaintext: Uint8Array;
    path: string;
    txKey: Uint8Array;
    txHash: Uint8Array;
    userPublicKey: Uint8Array;
    shared: Uint8Array;
  }): { envelope: Uint8Array; signature: Uint8Array } {
    const nonce = hmacSha256(
      args.txKey,
      concatBytes(CALLBACK_NONCE_LABEL, args.txHash, utf8Encode(args.path)),
    );
    const key = deriveTxKey(args.shared, nonce);
    const ad = envelopeAssociatedData({
      kind: 'callback',
      sender: args.caller,
      target: args.target,
      funds: args.funds,
    });
    const sealed = aesGcmEncrypt(
      key,
      deriveInputIv(key),
      args.plaintext,
      concatBytes(nonce, args.userPublicKey, ad),
    );
    const envelope = concatBytes(nonce, args.userPublicKey, sealed);
    const signature = callbackSignature(
      this.vault.secrets.callbackSecret,
      args.entry,
      args.txHash,
      envelope,
      ad,
    );
    return { envelope, signature };
  }

  /**
   * A submessage leaves as the host must dispatch it. A wasm message becomes a new envelope:
   * nonce′ = HMAC(tx_key, label || tx hash || path)[0..32] with the user's public key, so the
   * callee's enclave re-derives its key from the envelope and the user can decrypt its outputs;
   * plus a callback signature under the callback secret that the host cannot forge.
   */
  private outputMessage(
    sub: SubMsg,
    index: number,
    call: {
      caller: string;
      callerCodeHash: string;
      txKey: Uint8Array;
      txHash: Uint8Array;
      userPublicKey: Uint8Array;
      shared: Uint8Array;
    },
  ): OutputMessage {
    const msg: CosmosMsg = sub.msg;
    let entry: ContractEntry;
    let target: string;
    let funds: PublicCoin[];
    switch (msg.kind) {
      case 'bank_send':
        return { kind: 'bank_send', toAddress: msg.toAddress, amount: coinsOut(msg.amount) };
      case 'bank_burn':
        return { kind: 'bank_burn', amount: coinsOut(msg.amount) };
      case 'wasm_update_admin':
        return { kind: 'wasm_update_admin', contract: msg.contractAddr, admin: msg.admin };
      case 'wasm_clear_admin':
        return { kind: 'wasm_clear_admin', contract: msg.contractAddr };
      case 'other':
        return { kind: 'other', type: msg.type, json: JSON.stringify(msg.json) };
      case 'wasm_execute':
        entry = 'execute';
        target = msg.contractAddr;
        funds = coinsOut(msg.funds);
        break;
      case 'wasm_instantiate':
        entry = 'instantiate';
        target = instantiateTarget(msg.codeId, msg.label);
        funds = coinsOut(msg.funds);
        break;
      case 'wasm_migrate':
        entry = 'migrate';
        target = msg.contractAddr;
        funds = [];
        break;
    }
    const header =
      sub.replyOn === 'never'
        ? new Uint8Array(0)
        : concatBytes(REPLY_HEADER, u64be(BigInt(sub.id)), utf8Encode(call.callerCodeHash));
    const { envelope, signature } = this.sealCallback({
      entry,
      caller: call.caller,
      target,
      funds,
      plaintext: concatBytes(utf8Encode(msg.codeHash), header, msg.msg),
      path: `msg/${index}`,
      txKey: call.txKey,
      txHash: call.txHash,
      userPublicKey: call.userPublicKey,
      shared: call.shared,
    });
    const common = {
      kind: 'wasm' as const,
      entry,
      codeHash: msg.codeHash,
      funds,
      envelope,
      callbackSignature: signature,
      replyOn: sub.replyOn,
      gasLimit: sub.gasLimit,
    };
    if (msg.kind === 'wasm_instantiate') {
      return { ...common, contract: '', codeId: msg.codeId, label: msg.label, admin: msg.admin };
    }
    if (msg.kind === 'wasm_migrate') return { ...common, contract: msg.contractAddr, codeId: msg.codeId };
    return { ...common, contract: msg.contractAddr };
  }

  // --- queries -------------------------------------------------------------------------------

  /**
   * A user query: decrypt (kind `query`, sender ''), run the query entry read-only, encrypt the
   * answer (`query/result`) or the contract's error (`query/error`) with the query's tx key.
   * Output IVs use sha256(envelope) in place of a transaction hash.
   */
  query(request: QueryRequest): QueryResult {
    const contractBytes = this.addressBytes(request.contract);
    const ad = envelopeAssociatedData({ kind: 'query', sender: '', target: request.contract, funds: [] });
    const input = this.decryptEnvelope(request.envelope, ad);
    const { msg } = this.openPlaintext(input.plaintext, request.codeHash, false);
    const code = this.loadCode(request.codeHash);
    const contractKey = this.contractKey(request.contract, contractBytes);
    const queryHash = sha256(request.envelope);
    const querier = new EnclaveQuerier(
      this,
      { block: request.block },
      min(NESTED_QUERY_GAS_LIMIT, request.gasLimit),
    );
    const run = this.runVm(
      {
        code,
        entry: 'query',
        env: this.queryEnv(request.block, request.contract, request.codeHash),
        msg,
        storage: this.storageFor(request.contract, contractBytes, contractKey),
        querier,
        gasLimit: request.gasLimit,
      },
      request.contract,
    );
    if (!run.ok) return { ok: false, gasUsed: run.gasUsed, error: { kind: 'vm', code: run.code } };
    const { outcome, gasUsed } = run;
    if (!outcome.ok) {
      return {
        ok: false,
        gasUsed,
        error: {
          kind: 'contract',
          sealed: encryptTxOutput(input.txKey, queryHash, 'query/error', utf8Encode(outcome.error)),
        },
      };
    }
    return {
      ok: true,
      gasUsed,
      sealed: encryptTxOutput(
        input.txKey,
        queryHash,
        'query/result',
        outcome.queryResult ?? new Uint8Array(0),
      ),
    };
  }

  private queryEnv(block: RunContractRequest['block'], address: string, codeHash: string): ContractEnv {
    return {
      block: { height: block.height, time: block.timeNanos, chainId: block.chainId },
      contract: { address, codeHash },
      transaction: null,
    };
  }

  /**
   * A contract's wasm smart query to another contract, run here (it needs plaintext state):
   * the callee's code hash comes from the contractInfo OCALL and must match the caller's
   * `callback_code_hash`. Answers a SystemResult (CONTRACT_ABI §3.6).
   */
  smartQuery(
    context: CallContextInfo,
    address: string,
    codeHash: string,
    msgBase64: string,
    depth: number,
    gasLimit: bigint,
  ): { result: Uint8Array; gasUsed: bigint } {
    let contractBytes: Uint8Array;
    try {
      contractBytes = decodeBech32WithPrefix(address, this.addressPrefix);
    } catch {
      return { result: systemError('no_such_contract', { addr: address }), gasUsed: 0n };
    }
    const actual = this.ocalls.contractInfo(address);
    if (actual === null || actual.length !== 32) {
      return { result: systemError('no_such_contract', { addr: address }), gasUsed: 0n };
    }
    if (bytesToHex(actual) !== codeHash) {
      return {
        result: contractResult(false, 'callback_code_hash does not match the queried contract'),
        gasUsed: 0n,
      };
    }
    const msg = Buffer.from(msgBase64, 'base64');
    const code = this.loadCode(codeHash);
    const querier = new EnclaveQuerier(this, context, gasLimit);
    const run = this.runVm(
      {
        code,
        entry: 'query',
        env: this.queryEnv(context.block, address, codeHash),
        msg: new Uint8Array(msg),
        storage: this.storageFor(address, contractBytes, this.contractKey(address, contractBytes)),
        querier,
        gasLimit,
        queryDepth: depth,
      },
      address,
    );
    if (!run.ok) {
      return {
        result: contractResult(false, `the queried contract failed: ${run.code}`),
        gasUsed: run.gasUsed,
      };
    }
    const { outcome, gasUsed } = run;
    if (!outcome.ok) return { result: contractResult(false, outcome.error), gasUsed };
    const answer = Buffer.from(outcome.queryResult ?? new Uint8Array(0)).toString('base64');
    return { result: contractResult(true, answer), gasUsed };
  }

  /**
   * Runs one VM call and remembers its reads for the read-ahead. Gas includes the nested
   * queries' gas. A VM failure (out of gas, trap) comes back as a value with the gas it used;
   * a host fault (an OCALL that failed) throws.
   */
  private runVm(
    call: CallRequest & { storage: EncryptedStorage; querier: EnclaveQuerier },
    contract: string,
  ): { ok: true; outcome: CallOutcome; gasUsed: bigint } | { ok: false; code: VmErrorCode; gasUsed: bigint } {
    try {
      const outcome = this.vm.call(call);
      this.learnReads(contract, call.storage, call.info?.sender);
      // The predictor learns from calls that succeeded: a failed one may stop before its reads.
      if (
        this.predictor !== null &&
        call.info !== undefined &&
        outcome.ok &&
        call.storage.readKeys.length > 0
      )
        this.predictor.learn(contract, call.entry, call.info.sender, call.msg, call.storage.readKeys);
      return { ok: true, outcome, gasUsed: outcome.gasUsed + call.querier.gasUsed };
    } catch (error) {
      const fault = hostFault(error);
      if (fault !== null) throw fault;
      if (!(error instanceof VmError)) throw error;
      return {
        ok: false,
        code: error.code,
        gasUsed: (error.gasUsed ?? call.gasLimit) + call.querier.gasUsed,
      };
    }
  }
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** The same block context (height, time, chain id) in two requests. */
function sameBlock(a: RunContractRequest['block'], b: RunContractRequest['block']): boolean {
  return a.height === b.height && a.timeNanos === b.timeNanos && a.chainId === b.chainId;
}
