// What crosses the enclave boundary (docs/adr/006-enclave-calls.md): ECALL and OCALL tags, the
// request/response shapes of each ECALL, and the compact binary forms of the (hot) OCALLs.
// Every field here is public: ciphertext, public keys, hashes, addresses, gas figures and
// error codes (src/enclave/README.md says why for each one).
//
// ECALL payloads are v8.serialize'd (rare calls: its cost does not matter; it keeps bigint and
// Uint8Array), except the hot runContractAhead and runContractBatch, which use the checked
// compact frames of run-frames.ts. OCALLs are served several times per contract call, so they
// use a hand-made binary layout (below).

import { deserialize, serialize } from 'node:v8';
import { EnclaveError } from './errors.js';

export const ECALL = {
  bootstrap: 1,
  start: 2,
  newRegistrationKey: 3,
  registerNode: 4,
  acceptSeed: 5,
  runContract: 6,
  query: 7,
  blockRandom: 8,
  /**
   * runContract with the read-ahead carried in the call: request = {request, ahead: {diskKeys,
   * blobs}}, answer = {result, next: disk keys to send with this contract's next call}. Saves
   * the readStateBatch crossing (and the two thread wake-ups it costs when nobody spins).
   */
  runContractAhead: 9,
  /**
   * Consecutive contract calls in one crossing (Executor.runBatch; compact frames of
   * run-frames.ts): each reads the earlier ones' writes; the enclave may stop early and the host
   * sends the rest again.
   */
  runContractBatch: 10,
} as const;

export const OCALL = {
  readState: 1,
  getCode: 2,
  contractInfo: 3,
  queryChain: 4,
  readStateBatch: 5,
} as const;

/** The attestation policy named in genesis (DESIGN.md §4); the block time comes per request. */
export interface GenesisPolicy {
  trustedAuthorities: Uint8Array[];
  allowedMeasurements: Uint8Array[];
  maxAgeSeconds: bigint;
  maxClockSkewSeconds: bigint;
}

/** Public data the host gives the worker at start. The sealing key is loaded inside. */
export interface EnclaveInit {
  /** The node's home directory: `<home>/sealing.key` is read (or created) inside the enclave. */
  home: string;
  policy: GenesisPolicy;
  /** Bech32 prefix of addresses (default `shroud`). */
  addressPrefix?: string;
}

export interface NetworkKeys {
  ioPublicKey: Uint8Array;
  seedExchangePublicKey: Uint8Array;
}

export interface SealedNetworkKeys extends NetworkKeys {
  /** The master seed sealed under this node's sealing key: store it in the node home. */
  sealedSeed: Uint8Array;
}

export interface RegistrationKey {
  /** X25519 key the network encrypts the seed to; goes into the quote. */
  registrationPublicKey: Uint8Array;
  /** The private half, sealed under this node's sealing key (keep it until acceptSeed). */
  sealedRegistrationKey: Uint8Array;
  /** sha256 over this enclave's code bundle (src/enclave/measurement.ts). */
  measurement: Uint8Array;
}

export interface RegisterNodeRequest {
  quote: Uint8Array;
  /** The block time in seconds: quotes are checked against it, never the wall clock. */
  blockTimeSeconds: bigint;
}

export interface RegisterNodeResult {
  registrationPublicKey: Uint8Array;
  /** The master seed encrypted to the new node's registration key (deterministic). */
  encryptedSeed: Uint8Array;
}

export interface AcceptSeedRequest {
  encryptedSeed: Uint8Array;
  /** The network's seed-exchange public key (from genesis). */
  seedExchangePublicKey: Uint8Array;
  /** From newRegistrationKey; needed only when the enclave was restarted since. */
  sealedRegistrationKey?: Uint8Array;
}

export interface BlockInfo {
  height: bigint;
  /** Nanoseconds since the Unix epoch (the block time). */
  timeNanos: bigint;
  chainId: string;
}

export interface PublicCoin {
  denom: string;
  /** Decimal string. */
  amount: string;
}

/** A user's call: the enclave checks the signature over the sign doc itself. */
export interface UserAuth {
  kind: 'user';
  bodyBytes: Uint8Array;
  authInfoBytes: Uint8Array;
  accountNumber: bigint;
  /** 64-byte compact secp256k1 signature over sha256(SignDoc). */
  signature: Uint8Array;
  /** Which message of the body is being run. */
  messageIndex: number;
}

/** A contract-to-contract call produced by an earlier runContract of the same transaction. */
export interface CallbackAuth {
  kind: 'callback';
  callbackSignature: Uint8Array;
  /** Hash of the user transaction this callback belongs to. */
  txHash: Uint8Array;
}

export type ContractEntry = 'instantiate' | 'execute' | 'migrate';

/** `reply` delivers a callee's authenticated reply envelope to the caller (callback auth only). */
export type RunEntry = ContractEntry | 'reply';

export interface RunContractRequest {
  entry: RunEntry;
  /** Bech32 address of the contract being run (for instantiate: the new contract's address). */
  contract: string;
  /** The contract's code hash, 64 lowercase hex. */
  codeHash: string;
  /** Instantiate only: the code id and label (the envelope's target is `code:<id>/<label>`). */
  codeId?: bigint;
  label?: string;
  /** The signer (user calls), the calling contract (callbacks) or the replying callee (reply). */
  sender: string;
  funds: PublicCoin[];
  envelope: Uint8Array;
  auth: UserAuth | CallbackAuth;
  block: BlockInfo;
  /** Position of the transaction in the block. */
  txIndex: number;
  /** Position of this call among the block's contract calls (salts state writes, derives random). */
  callIndex: number;
  /** Wasm gas (1000 wasm gas = 1 SDK gas). */
  gasLimit: bigint;
}

/** An attribute as it leaves the enclave: plaintext only if the contract said `encrypted: false`. */
export type OutputAttribute =
  { encrypted: false; key: string; value: string } | { encrypted: true; sealed: Uint8Array };

export interface OutputEvent {
  type: string;
  attributes: OutputAttribute[];
}

export type ReplyOn = 'always' | 'error' | 'success' | 'never';

/** A message the contract emitted, as the host must dispatch it. */
export type OutputMessage =
  | { kind: 'bank_send'; toAddress: string; amount: PublicCoin[] }
  | { kind: 'bank_burn'; amount: PublicCoin[] }
  | {
      kind: 'wasm';
      entry: ContractEntry;
      /** Execute/migrate: the target contract; instantiate: '' (the host assigns the address). */
      contract: string;
      codeHash: string;
      codeId?: bigint;
      label?: string;
      admin?: string | null;
      funds: PublicCoin[];
      /** A new envelope for the callee; its runContract takes `sender` = this contract. */
      envelope: Uint8Array;
      callbackSignature: Uint8Array;
      replyOn: ReplyOn;
      gasLimit: bigint | null;
    }
  | { kind: 'wasm_update_admin'; contract: string; admin: string }
  | { kind: 'wasm_clear_admin'; contract: string }
  | { kind: 'other'; type: string; json: string };

/** One encrypted state change of the called contract; `blob: null` deletes the key. */
export interface StateWrite {
  diskKey: Uint8Array;
  blob: Uint8Array | null;
}

/** A failed call: the contract's own `Err` (encrypted for the user) or a public VM failure. */
export type CallFailure = { kind: 'contract'; sealed: Uint8Array } | { kind: 'vm'; code: string };

/**
 * For a callee whose envelope asked for a reply (REPLY01 header, CONTRACT_ABI §0): the reply to
 * deliver to the caller with `runContract({ entry: 'reply', contract: caller, sender: callee,
 * funds: [], envelope, auth: { kind: 'callback', callbackSignature, txHash } })`, whatever the
 * outcome. The host delivers it or not according to the submessage's public `replyOn`.
 */
export interface ReplyEnvelope {
  /** The calling contract the reply goes to. */
  contract: string;
  envelope: Uint8Array;
  callbackSignature: Uint8Array;
}

export type RunContractResult =
  | {
      ok: true;
      gasUsed: bigint;
      txHash: Uint8Array;
      /** Encrypted under the call's tx key, label `data`. */
      data: Uint8Array | null;
      attributes: OutputAttribute[];
      events: OutputEvent[];
      messages: OutputMessage[];
      writes: StateWrite[];
      reply?: ReplyEnvelope;
    }
  | { ok: false; gasUsed: bigint; txHash: Uint8Array; error: CallFailure; reply?: ReplyEnvelope };

export interface QueryRequest {
  contract: string;
  codeHash: string;
  envelope: Uint8Array;
  block: BlockInfo;
  gasLimit: bigint;
}

export type QueryResult =
  { ok: true; gasUsed: bigint; sealed: Uint8Array } | { ok: false; gasUsed: bigint; error: CallFailure };

export interface BlockRandomRequest {
  height: bigint;
  previousAppHash: Uint8Array;
}

/** The host's OCALL implementations. They run synchronously inside an ECALL. */
export interface EnclaveServices {
  /** The stored blob at (contract, diskKey), or null. */
  readState(contract: string, diskKey: Uint8Array): Uint8Array | null;
  /** The uploaded wasm with this sha256, or null. */
  getCode(codeHash: Uint8Array): Uint8Array | null;
  /** The code hash of the contract at this address, or null. */
  contractInfo(address: string): Uint8Array | null;
  /** A non-wasm query_chain request (bank...), answered as SystemResult JSON bytes. */
  queryChain(request: Uint8Array): Uint8Array;
}

export function encodeMessage(value: unknown): Uint8Array {
  return serialize(value);
}

/** @throws EnclaveError BAD_REQUEST when the bytes are not a serialized value. */
export function decodeMessage<T>(bytes: Uint8Array): T {
  try {
    return deserialize(bytes) as T;
  } catch {
    throw new EnclaveError('BAD_REQUEST', 'the boundary payload is not a serialized value');
  }
}

// --- compact OCALL forms ----------------------------------------------------------------
// readState request: u8 len || utf8 contract address || disk key (32). Answer: the blob, or
//   zero bytes for "absent" (a stored blob is never empty: state values have a 29-byte header).
// getCode request: code hash (32). Answer: wasm, or zero bytes.
// contractInfo request: utf8 address. Answer: code hash (32), or zero bytes.
// queryChain request/answer: the JSON bytes as they are.
// readStateBatch request: u8 len || utf8 contract address || n disk keys (32 each). Answer: for
//   each key in order, u32 BE blob length (0 = absent) || blob. One crossing for the slots the
//   enclave expects a call to read (the read-ahead of executor.ts; ADR 006 "As built").

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeReadState(contract: string, diskKey: Uint8Array): Uint8Array {
  const address = encoder.encode(contract);
  if (address.length > 255) throw new EnclaveError('BAD_REQUEST', 'contract address longer than 255 bytes');
  const out = new Uint8Array(1 + address.length + diskKey.length);
  out[0] = address.length;
  out.set(address, 1);
  out.set(diskKey, 1 + address.length);
  return out;
}

export function decodeReadState(payload: Uint8Array): { contract: string; diskKey: Uint8Array } {
  const length = payload[0] ?? 0;
  return {
    contract: decoder.decode(payload.subarray(1, 1 + length)),
    diskKey: payload.slice(1 + length),
  };
}

export const EMPTY = new Uint8Array(0);

/** ECALL runContractAhead request. */
export interface RunContractAheadRequest {
  request: RunContractRequest;
  ahead: { diskKeys: Uint8Array[]; blobs: (Uint8Array | null)[] };
}

/** ECALL runContractAhead answer. */
export interface RunContractAheadResult {
  result: RunContractResult;
  /** Disk keys of the target contract to read and send with its next call (public). */
  next: Uint8Array[];
}

const DISK_KEY_BYTES = 32;

export function encodeReadStateBatch(contract: string, diskKeys: readonly Uint8Array[]): Uint8Array {
  const address = encoder.encode(contract);
  if (address.length > 255) throw new EnclaveError('BAD_REQUEST', 'contract address longer than 255 bytes');
  const out = new Uint8Array(1 + address.length + DISK_KEY_BYTES * diskKeys.length);
  out[0] = address.length;
  out.set(address, 1);
  diskKeys.forEach((key, i) => {
    if (key.length !== DISK_KEY_BYTES) throw new EnclaveError('BAD_REQUEST', 'a disk key is 32 bytes');
    out.set(key, 1 + address.length + DISK_KEY_BYTES * i);
  });
  return out;
}

/** @throws EnclaveError BAD_REQUEST when the keys are not a whole number of 32-byte keys. */
export function decodeReadStateBatch(payload: Uint8Array): { contract: string; diskKeys: Uint8Array[] } {
  const length = payload[0] ?? 0;
  const keys = payload.subarray(1 + length);
  if (payload.length < 1 + length || keys.length % DISK_KEY_BYTES !== 0) {
    throw new EnclaveError('BAD_REQUEST', 'malformed readStateBatch request');
  }
  const diskKeys: Uint8Array[] = [];
  for (let at = 0; at < keys.length; at += DISK_KEY_BYTES) diskKeys.push(keys.slice(at, at + DISK_KEY_BYTES));
  return { contract: decoder.decode(payload.subarray(1, 1 + length)), diskKeys };
}

export function encodeBlobs(blobs: readonly (Uint8Array | null)[]): Uint8Array {
  let size = 0;
  for (const blob of blobs) size += 4 + (blob?.length ?? 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const blob of blobs) {
    view.setUint32(at, blob?.length ?? 0);
    if (blob) out.set(blob, at + 4);
    at += 4 + (blob?.length ?? 0);
  }
  return out;
}

/**
 * The host's answer to a readStateBatch of `count` keys.
 * @throws EnclaveError OCALL_FAILED when the answer does not hold exactly `count` blobs.
 */
export function decodeBlobs(answer: Uint8Array, count: number): (Uint8Array | null)[] {
  const view = new DataView(answer.buffer, answer.byteOffset, answer.byteLength);
  const blobs: (Uint8Array | null)[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 4 > answer.length) break;
    const length = view.getUint32(at);
    if (at + 4 + length > answer.length) break;
    blobs.push(length === 0 ? null : answer.slice(at + 4, at + 4 + length));
    at += 4 + length;
  }
  if (blobs.length !== count || at !== answer.length) {
    throw new EnclaveError('OCALL_FAILED', 'the host answered readStateBatch with a malformed list of blobs');
  }
  return blobs;
}

/**
 * A batch's place in a pipelined chain (ADR 006 "Pipelined batches"): `id` names this batch
 * (non-zero: the enclave keeps its overlay, the writes of all its calls, if every call ran and
 * succeeded); `after` non-zero makes it speculative: it starts from the kept overlay of batch
 * `after`, as if the host had applied that batch's writes, and every call, the first included,
 * stops the batch where a later call would (so it may answer no result).
 */
export interface BatchChain {
  id: number;
  after: number;
}
