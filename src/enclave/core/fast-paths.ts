// Hot-path helpers of runContract, each equal by construction (and by test,
// test/enclave/core.test.ts) to the slower general function it replaces:
// - signDocBytes == codec signBytes: the canonical SignDoc encoding (docs/adr/002) written
//   directly, without building and re-checking a protobuf message (~40 µs → ~1 µs).
// - BoundedCache: per-enclave memo of pure functions of public inputs (signer address of a
//   public key, X25519 shared secret with a user's key), so a repeat sender skips the curve work.
import { concatBytes, utf8Encode } from '../../crypto/index.js';
import { EnclaveError } from '../errors.js';

function varint(value: bigint): number[] {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80n) {
    out.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  out.push(Number(rest));
  return out;
}

function field(number: number, bytes: Uint8Array): Uint8Array {
  if (bytes.length === 0) return new Uint8Array(0); // proto3 omits default values
  return concatBytes(Uint8Array.from([(number << 3) | 2, ...varint(BigInt(bytes.length))]), bytes);
}

/**
 * SignDoc { bytes body_bytes = 1; bytes auth_info_bytes = 2; string chain_id = 3;
 * uint64 account_number = 4 } in canonical proto3 form.
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
  const account =
    accountNumber === 0n ? new Uint8Array(0) : Uint8Array.from([4 << 3, ...varint(accountNumber)]);
  return concatBytes(field(1, bodyBytes), field(2, authInfoBytes), field(3, utf8Encode(chainId)), account);
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
    if (entry === undefined || entry.blob.length !== blob.length) return undefined;
    if (!Buffer.from(entry.blob.buffer, entry.blob.byteOffset, entry.blob.length).equals(blob))
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
