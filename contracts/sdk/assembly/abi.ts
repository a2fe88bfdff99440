// The raw contract ABI: host imports, the Region struct and the required exports
// (CONTRACT_ABI §1.1, §1.2, §2). Everything above this file works with typed values.

import { db_read, db_write, db_remove, debug } from './env';
export * from './env';

// --- Region (12 bytes: offset, capacity, length; u32 LE each, CONTRACT_ABI §1.2) -------------

/** Size of a Region struct in bytes. */
export const REGION_SIZE: u32 = 12;

/** Allocates a Region and a data buffer of `capacity` bytes; returns the Region's address. */
export function newRegion(capacity: u32): u32 {
  // The data pointer must never be 0 (the host traps on offset 0), so reserve at least 1 byte.
  const data = <u32>heap.alloc(<usize>(capacity == 0 ? 1 : capacity));
  const region = <u32>heap.alloc(<usize>REGION_SIZE);
  store<u32>(region, data, 0);
  store<u32>(region, capacity, 4);
  store<u32>(region, 0, 8);
  return region;
}

/** Copies the bytes a Region holds (offset .. offset+length) into a fresh Uint8Array. */
export function readRegion(region: u32): Uint8Array {
  const offset = load<u32>(region, 0);
  const length = load<u32>(region, 8);
  const out = new Uint8Array(<i32>length);
  memory.copy(out.dataStart, <usize>offset, <usize>length);
  return out;
}

/**
 * Builds a Region that points at `bytes` (no copy) so the host can read them. The array must
 * stay alive until the host call returns, which the never-freeing stub runtime guarantees.
 */
export function regionOf(bytes: Uint8Array): u32 {
  if (bytes.length == 0) return newRegion(0);
  const region = <u32>heap.alloc(<usize>REGION_SIZE);
  store<u32>(region, <u32>bytes.dataStart, 0);
  store<u32>(region, <u32>bytes.length, 4);
  store<u32>(region, <u32>bytes.length, 8);
  return region;
}

/** Copies `bytes` into a new Region (used for entry-point results). */
export function regionWith(bytes: Uint8Array): u32 {
  const region = newRegion(<u32>bytes.length);
  memory.copy(<usize>load<u32>(region, 0), bytes.dataStart, <usize>bytes.length);
  store<u32>(region, <u32>bytes.length, 8);
  return region;
}

/** UTF-8 bytes of an AssemblyScript (UTF-16) string. */
export function utf8(text: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(text));
}

/** Decodes UTF-8 bytes into a string (invalid sequences become U+FFFD). */
export function fromUtf8(bytes: Uint8Array): string {
  return String.UTF8.decodeUnsafe(bytes.dataStart, <usize>bytes.length);
}

/** Writes a UTF-8 line to the host's debug log (a no-op in production, CONTRACT_ABI §2). */
export function log(message: string): void {
  debug(regionOf(utf8(message)));
}

// --- Required exports --------------------------------------------------------------------------

/** `allocate(size) -> regionPtr`: the host calls this to pass any buffer in (§1.2). */
export function allocate(size: u32): u32 {
  return newRegion(size);
}

/**
 * `deallocate(regionPtr)`: required by the upload check, never called by the Secret host.
 * A no-op: the stub runtime never frees, and the instance is discarded after the call
 * (see ASC_FLAGS in scripts/build-contracts.mjs).
 */
export function deallocate(region: u32): void {}

/** The CosmWasm v1 API marker (§1.1); never called. */
export function interface_version_8(): void {}

/**
 * The `abort` replacement (`--use abort=...`): the upload check forbids an `abort` import
 * (§2), so a failed assertion logs through `debug` and traps. A trap is a VM failure, never
 * a contract `Err` (§1.3).
 */
export function contractAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  const text = message === null ? 'abort' : message;
  const where = fileName === null ? '?' : fileName;
  log('panic: ' + text + ' at ' + where + ':' + line.toString() + ':' + column.toString());
  unreachable();
}
