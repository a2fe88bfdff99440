// Hot-path helpers of runContract, each equal by construction (and by test,
// test/enclave/core.test.ts) to the slower general function it replaces:
// - signDocBytes == codec signBytes: the canonical SignDoc encoding (docs/adr/002) written
//   directly, without building and re-checking a protobuf message (~40 µs → ~1 µs).
// - BoundedCache: per-enclave memo of pure functions of public inputs (signer address of a
//   public key, X25519 shared secret with a user's key), so a repeat sender skips the curve work.
// - SlotCache: per contract, each plaintext key's disk key with its latin1 id and state-memo id
//   made once, so a call's storage accesses build no strings and derive no keys.
import { utf8Encode } from '../../crypto/index.js';
import { EnclaveError } from '../errors.js';

/** Bytes of the proto varint of `value` (value < 2^64). */
function varintLength(value: bigint): number {
  let length = 1;
  for (let rest = value >> 7n; rest > 0n; rest >>= 7n) length++;
  return length;
}

/** Writes the varint of `value` at `at`; returns the offset after it. */
function putVarint(out: Uint8Array, at: number, value: bigint): number {
  let rest = value;
  let offset = at;
  while (rest >= 0x80n) {
    out[offset++] = Number(rest & 0x7fn) | 0x80;
    rest >>= 7n;
  }
  out[offset++] = Number(rest);
  return offset;
}

/** Bytes of a length-delimited field (proto3 omits an empty one). */
function fieldLength(bytes: Uint8Array): number {
  return bytes.length === 0 ? 0 : 1 + varintLength(BigInt(bytes.length)) + bytes.length;
}

/** Writes a length-delimited field at `at` (nothing for empty bytes); returns the offset after it. */
function putField(out: Uint8Array, at: number, number: number, bytes: Uint8Array): number {
  if (bytes.length === 0) return at;
  out[at] = (number << 3) | 2;
  const offset = putVarint(out, at + 1, BigInt(bytes.length));
  out.set(bytes, offset);
  return offset + bytes.length;
}

/**
 * SignDoc { bytes body_bytes = 1; bytes auth_info_bytes = 2; string chain_id = 3;
 * uint64 account_number = 4 } in canonical proto3 form, written into one exact-size array
 * (every call of a batch computes it: the parts and their concatenation were 4 arrays).
 * @throws EnclaveError SIGN_DOC_MALFORMED for an empty or over-long chain id or an account
 *   number outside uint64 (the rules of codec signBytes).
 */
export function signDocBytes(
  bodyBytes: Uint8Array,
  authInfoBytes: Uint8Array,
  chainId: string,
  accountNumber: bigint,
): Uint8Array {
  if (typeof chainId !== 'string' || chainId.length === 0 || chainId.length > 50) {
    throw new EnclaveError('SIGN_DOC_MALFORMED', 'chain id must have 1 to 50 characters');
  }
  if (typeof accountNumber !== 'bigint' || accountNumber < 0n || accountNumber > 0xffff_ffff_ffff_ffffn) {
    throw new EnclaveError('SIGN_DOC_MALFORMED', 'account number must be a uint64');
  }
  const chain = utf8Encode(chainId);
  const accountLength = accountNumber === 0n ? 0 : 1 + varintLength(accountNumber);
  const out = new Uint8Array(
    fieldLength(bodyBytes) + fieldLength(authInfoBytes) + fieldLength(chain) + accountLength,
  );
  let offset = putField(out, 0, 1, bodyBytes);
  offset = putField(out, offset, 2, authInfoBytes);
  offset = putField(out, offset, 3, chain);
  if (accountLength !== 0) {
    out[offset] = 4 << 3;
    putVarint(out, offset + 1, accountNumber);
  }
  return out;
}

/** A size-bounded memo (cleared when full: simple, and the working set refills it quickly). */
export class BoundedCache<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly limit: number) {}

  get(key: string, compute: () => V): V {
    let value = this.entries.get(key);
    if (value === undefined) {
      value = compute();
      if (this.entries.size >= this.limit) this.entries.clear();
      this.entries.set(key, value);
    }
    return value;
  }
}

/** One plaintext storage key of one contract, as the enclave's storage uses it on every access. */
export interface SlotEntry {
  /** The disk key: HMAC(contract key, label || plaintext key) (or SHA-256 of it, null cipher). */
  readonly slot: Uint8Array;
  /** The disk key as latin1 (1:1 with its bytes): its id in read-ahead, overlay and batch maps. */
  readonly id: string;
  /** Its StateValueMemo id: contract NUL id. */
  readonly memoId: string;
}

/**
 * Disk keys by (contract, plaintext key): a pure function of the contract key and the plaintext
 * key, memoized inside the enclave (the plaintext keys never leave it). One map per contract, so
 * a lookup needs no concatenated key string; at most `limit` entries in all (every map is
 * cleared when full: simple, and the working set refills it quickly). A map handed out before a
 * clear stays usable; its later entries count toward the limit but are not kept.
 */
export class SlotCache {
  private readonly contracts = new Map<string, Map<string, SlotEntry>>();
  private entries = 0;

  constructor(private readonly limit: number) {}

  /** The slots of `contract`, by the latin1 text of the plaintext key. */
  of(contract: string): Map<string, SlotEntry> {
    let slots = this.contracts.get(contract);
    if (slots === undefined) {
      if (this.contracts.size >= this.limit) this.clear();
      this.contracts.set(contract, (slots = new Map<string, SlotEntry>()));
    }
    return slots;
  }

  /** Adds an entry made for `keyText` to a map `of()` returned. */
  add(slots: Map<string, SlotEntry>, keyText: string, entry: SlotEntry): void {
    if (this.entries >= this.limit) this.clear();
    slots.set(keyText, entry);
    this.entries++;
  }

  private clear(): void {
    for (const slots of this.contracts.values()) slots.clear();
    this.contracts.clear();
    this.entries = 0;
  }
}

/**
 * Plaintexts of state blobs this enclave wrote or opened recently, keyed by (contract, disk key)
 * and checked against the exact blob the host returns: a byte-identical blob for the same slot
 * opens to the same value, so its AES-GCM decryption can be skipped. Anything else (another
 * blob, a tampered one) misses and goes through full decryption and authentication.
 */
export class StateValueMemo {
  private readonly entries = new Map<string, { blob: Uint8Array; value: Uint8Array }>();

  constructor(private readonly limit: number) {}

  lookup(id: string, blob: Uint8Array): Uint8Array | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined) return undefined;
    // The same array is the common case in a batch (the overlay holds the blob seal made);
    // Buffer.compare takes plain Uint8Arrays (no Buffer wrapper per lookup).
    if (entry.blob !== blob && (entry.blob.length !== blob.length || Buffer.compare(entry.blob, blob) !== 0))
      return undefined;
    return entry.value.slice();
  }

  remember(id: string, blob: Uint8Array, value: Uint8Array): void {
    if (this.entries.size >= this.limit) this.entries.clear();
    this.entries.set(id, { blob, value: value.slice() });
  }

  forget(id: string): void {
    this.entries.delete(id);
  }
}
