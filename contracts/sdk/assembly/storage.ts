// Typed storage over db_read/db_write/db_remove (CONTRACT_ABI §2, §5). Writes are buffered
// by the host and dropped if the call fails; there is no iteration.
import { db_read, db_write, db_remove, regionOf, readRegion, utf8, fromUtf8 } from './abi';
import { Uint128 } from './uint128';

/** Raw read; null when the key is absent. */
export function storageGet(key: Uint8Array): Uint8Array | null {
  const region = db_read(regionOf(key));
  if (region == 0) return null;
  return readRegion(region);
}

/** Raw write. Traps (VM failure) inside a query, where storage is read-only. */
export function storageSet(key: Uint8Array, value: Uint8Array): void {
  db_write(regionOf(key), regionOf(value));
}

/** Removes a key. Traps inside a query. */
export function storageRemove(key: Uint8Array): void {
  db_remove(regionOf(key));
}

/**
 * A key inside a namespace, `len(ns) as u16 BE ‖ ns ‖ key` (cosmwasm-storage's layout), so
 * keys of different namespaces can never collide.
 */
export function namespacedKey(namespace: string, key: Uint8Array): Uint8Array {
  const ns = utf8(namespace);
  const out = new Uint8Array(2 + ns.length + key.length);
  out[0] = <u8>(ns.length >> 8);
  out[1] = <u8>ns.length;
  out.set(ns, 2);
  out.set(key, 2 + ns.length);
  return out;
}

/** `namespacedKey` with a string key. */
export function keyOf(namespace: string, key: string): Uint8Array {
  return namespacedKey(namespace, utf8(key));
}

export function getBytes(key: string): Uint8Array | null {
  return storageGet(utf8(key));
}

export function setBytes(key: string, value: Uint8Array): void {
  storageSet(utf8(key), value);
}

export function getString(key: string): string | null {
  const v = storageGet(utf8(key));
  return v === null ? null : fromUtf8(v);
}

export function setString(key: string, value: string): void {
  storageSet(utf8(key), utf8(value));
}

/** Encodes a u64 as 8 bytes big-endian. */
export function u64Bytes(n: u64): Uint8Array {
  const out = new Uint8Array(8);
  for (let i = 0; i < 8; i++) out[i] = <u8>(n >> (<u64>(56 - 8 * i)));
  return out;
}

/** Decodes 8 bytes big-endian; `fallback` for any other length. */
export function bytesU64(bytes: Uint8Array, fallback: u64): u64 {
  if (bytes.length != 8) return fallback;
  let n: u64 = 0;
  for (let i = 0; i < 8; i++) n = (n << 8) | (<u64>bytes[i]);
  return n;
}

/** A stored u64 (8 bytes BE), or `fallback` when absent. */
export function getU64Raw(key: Uint8Array, fallback: u64): u64 {
  const v = storageGet(key);
  return v === null ? fallback : bytesU64(v, fallback);
}

export function setU64Raw(key: Uint8Array, value: u64): void {
  storageSet(key, u64Bytes(value));
}

export function getU64(key: string, fallback: u64): u64 {
  return getU64Raw(utf8(key), fallback);
}

export function setU64(key: string, value: u64): void {
  setU64Raw(utf8(key), value);
}

/** A stored Uint128 (16 bytes BE), or zero when absent. */
export function getUint128Raw(key: Uint8Array): Uint128 {
  const v = storageGet(key);
  if (v === null) return Uint128.zero();
  const n = Uint128.fromBytes(v);
  return n === null ? Uint128.zero() : n;
}

export function setUint128Raw(key: Uint8Array, value: Uint128): void {
  storageSet(key, value.toBytes());
}

export function getUint128(key: string): Uint128 {
  return getUint128Raw(utf8(key));
}

export function setUint128(key: string, value: Uint128): void {
  setUint128Raw(utf8(key), value);
}

/**
 * An append-only list without iteration: `ns‖"len"` holds the count, `ns‖u64 BE index` each
 * item. Pages are read by index, so no scan is needed (CONTRACT_ABI §5).
 */
export class AppendStore {
  constructor(public namespace: string) {}

  private lengthKey(): Uint8Array {
    return keyOf(this.namespace, 'len');
  }

  private itemKey(index: u64): Uint8Array {
    const suffix = new Uint8Array(9);
    suffix[0] = 0x69; // 'i', keeps item keys apart from the length key
    suffix.set(u64Bytes(index), 1);
    return namespacedKey(this.namespace, suffix);
  }

  get length(): u64 {
    return getU64Raw(this.lengthKey(), 0);
  }

  /** Appends and returns the new item's index. */
  push(value: Uint8Array): u64 {
    const index = this.length;
    storageSet(this.itemKey(index), value);
    setU64Raw(this.lengthKey(), index + 1);
    return index;
  }

  get(index: u64): Uint8Array | null {
    if (index >= this.length) return null;
    return storageGet(this.itemKey(index));
  }
}
