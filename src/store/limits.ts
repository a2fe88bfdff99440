// Bounds on what the store accepts, and the argument checks that enforce them. The key bound
// comes from LMDB: lmdb-js builds LMDB with a 1,978-byte key limit, and the store prefixes
// index keys with the 2-byte bucket id; 1,024 leaves room and is far above what modules use.
import { StoreError } from './errors.js';

/** Longest key the store accepts, in bytes. */
export const MAX_KEY_BYTES = 1024;
/** Largest value the store accepts, in bytes (wasm code is the biggest value: ≤ 2 MiB). */
export const MAX_VALUE_BYTES = 8 * 1024 * 1024;
/** Longest metadata name, in UTF-8 bytes. */
export const MAX_META_NAME_BYTES = 256;

/** One pending write of a batch: data ('d', hashed) or metadata ('m', not hashed); null deletes. */
export interface Pending {
  readonly kind: 'd' | 'm';
  readonly key: Uint8Array;
  readonly value: Uint8Array | null;
}

/**
 * The batch's map key for a write: kind tag + the key bytes as latin1 (one char per byte, so
 * string order equals byte order and the mapping is one-to-one).
 */
export function slotOf(kind: 'd' | 'm', key: Uint8Array | string): string {
  if (typeof key === 'string') return kind + key;
  return kind + Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

/** @throws StoreError INVALID_KEY unless `key` is a Uint8Array of 1..MAX_KEY_BYTES bytes. */
export function checkKey(key: unknown): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array)) throw new StoreError('INVALID_KEY', 'key must be a Uint8Array');
  if (key.length === 0 || key.length > MAX_KEY_BYTES) {
    throw new StoreError('INVALID_KEY', `key must be 1..${MAX_KEY_BYTES} bytes, got ${key.length}`);
  }
}

/** @throws StoreError INVALID_VALUE unless `value` is a Uint8Array of at most MAX_VALUE_BYTES. */
export function checkValue(value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new StoreError('INVALID_VALUE', 'value must be a Uint8Array');
  if (value.length > MAX_VALUE_BYTES) {
    throw new StoreError(
      'INVALID_VALUE',
      `value must be at most ${MAX_VALUE_BYTES} bytes, got ${value.length}`,
    );
  }
}

/** @throws StoreError INVALID_KEY unless `name` is a string of 1..MAX_META_NAME_BYTES UTF-8 bytes. */
export function checkMetaName(name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new StoreError('INVALID_KEY', 'metadata name must be a string');
  const length = Buffer.byteLength(name, 'utf8');
  if (length === 0 || length > MAX_META_NAME_BYTES) {
    throw new StoreError('INVALID_KEY', `metadata name must be 1..${MAX_META_NAME_BYTES} UTF-8 bytes`);
  }
}

/** @throws StoreError HEIGHT_MISMATCH unless `height` is a bigint in 1..2^64-1. */
export function checkHeight(height: unknown): asserts height is bigint {
  if (typeof height !== 'bigint' || height < 1n || height >= 1n << 64n) {
    throw new StoreError('HEIGHT_MISMATCH', 'block height must be a bigint in 1..2^64-1');
  }
}
