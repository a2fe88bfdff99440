// Reusing contract instances across calls without the contract being able to tell
// (docs/adr/010-vm-instance-reuse.md).
//
// Why: `new WebAssembly.Instance` was ~30 % of the VM's time in an encrypted token transfer
// (CPU profile of src/enclave/core/executor.ts runVm, issue #4). Secret gives every call a
// fresh instance (CONTRACT_ABI §1.2, §6); we keep that observable behaviour by returning a
// used instance to the exact state a fresh one has before it is reused:
// - memory: must still have its initial size (a memory that grew cannot shrink: the
//   instance is dropped), then its bytes are overwritten with the snapshot taken right after
//   the first instantiation (data segments written, nothing run: start functions are
//   rejected by validation);
// - globals: the instrumentation's RESET_EXPORT sets every mutable global (the contract's
//   own and the four metering globals) to its initializer; immutable ones cannot change.
//   Only the injected function is ever called: a contract may export one of that name itself,
//   and its module is never reused (CompiledContract.resettable, ADR 010 Review);
// - tables and data/element segments: the module gets a reset export only if no instruction
//   can change them (src/vm/instrument.ts INSTANCE_STATE_OPS); the host never touches them.
// Nothing else of an instance is observable from wasm. An instance is in the pool only while
// no call runs on it, so a nested call (query_chain into the same code) gets another one.

import type { MeterGlobals } from './context.js';

/** An instance with its exports looked up once. */
export interface ReadyInstance {
  memory: WebAssembly.Memory;
  exports: WebAssembly.Exports;
  /** The contract's `allocate`; null when it exports none (the call fails MISSING_EXPORT). */
  allocate: ((size: number) => number) | null;
  meter: MeterGlobals;
  /** The reset export; null when the module's instances must not be reused. */
  reset: (() => void) | null;
}

/** The pristine memory of one compiled module: bytes up to the last non-zero one. */
export interface MemorySnapshot {
  /** Memory size right after instantiation, in bytes. */
  byteLength: number;
  /** The memory's first bytes; every byte after them is 0. */
  prefix: Uint8Array;
}

/** Copies the memory of a just-created instance (all zero after its last non-zero byte). */
export function snapshotMemory(memory: WebAssembly.Memory): MemorySnapshot {
  const bytes = new Uint8Array(memory.buffer);
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return { byteLength: bytes.length, prefix: bytes.slice(0, end) };
}

/**
 * Puts a used instance back in its pristine state.
 * @returns false when it cannot be (memory grew, no reset export, the reset trapped): drop it.
 */
export function resetInstance(ready: ReadyInstance, snapshot: MemorySnapshot): boolean {
  if (ready.reset === null) return false;
  const buffer = ready.memory.buffer;
  if (buffer.byteLength !== snapshot.byteLength) return false; // grew: cannot shrink
  try {
    ready.reset();
  } catch {
    return false; // cannot happen (constants and global.set only); dropping is always safe
  }
  const bytes = new Uint8Array(buffer);
  bytes.set(snapshot.prefix);
  bytes.fill(0, snapshot.prefix.length);
  return true;
}

export interface InstancePoolOptions {
  /** Idle instances kept per compiled module (default 2: a call plus one nested call). */
  perModule?: number;
  /** Total initial-memory bytes the idle instances may hold (default 64 MiB). */
  maxBytes?: number;
}

/**
 * A bounded LRU pool of idle, pristine instances keyed by compiled module. Bounded per module
 * and in total memory bytes, so many live contracts or large memories cannot grow the host
 * without limit (STYLE: a limit on everything).
 */
export class InstancePool<K extends object> {
  private readonly idle = new Map<K, ReadyInstance[]>();
  private readonly perModule: number;
  private readonly maxBytes: number;
  private bytes = 0;

  constructor(options: InstancePoolOptions = {}) {
    this.perModule = options.perModule ?? 2;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    if (!Number.isInteger(this.perModule) || this.perModule < 0)
      throw new RangeError(`perModule must be an integer ≥ 0, got ${this.perModule}`);
    if (!Number.isFinite(this.maxBytes) || this.maxBytes < 0)
      throw new RangeError(`maxBytes must be ≥ 0, got ${this.maxBytes}`);
  }

  /** Bytes of memory the idle instances hold. */
  get idleBytes(): number {
    return this.bytes;
  }

  /** Idle instances of `key`. */
  idleCount(key: K): number {
    return this.idle.get(key)?.length ?? 0;
  }

  /** An idle pristine instance of `key`, removed from the pool; undefined if none. */
  take(key: K): ReadyInstance | undefined {
    const list = this.idle.get(key);
    if (list === undefined) return undefined;
    const ready = list.pop();
    if (list.length === 0) this.idle.delete(key);
    if (ready === undefined) return undefined;
    this.bytes -= ready.memory.buffer.byteLength; // idle instances never grow: the size given
    return ready;
  }

  /**
   * Resets `ready` and keeps it, unless it cannot be reset or the bounds say no.
   * @returns true when the instance was kept.
   */
  give(key: K, ready: ReadyInstance, snapshot: MemorySnapshot): boolean {
    const size = snapshot.byteLength;
    if (size > this.maxBytes) return false;
    let list = this.idle.get(key);
    if (list !== undefined && list.length >= this.perModule) return false;
    if (!resetInstance(ready, snapshot)) return false;
    while (this.bytes + size > this.maxBytes) this.evictOldest();
    list = this.idle.get(key) ?? [];
    list.push(ready);
    // Re-insert: a Map iterates in insertion order, so the first key is the least recently used.
    this.idle.delete(key);
    this.idle.set(key, list);
    this.bytes += size;
    return true;
  }

  /** Drops every idle instance of `key` (its module left the cache). */
  drop(key: K): void {
    const list = this.idle.get(key);
    if (list === undefined) return;
    for (const ready of list) this.bytes -= ready.memory.buffer.byteLength;
    this.idle.delete(key);
  }

  private evictOldest(): void {
    const oldest = this.idle.keys().next();
    if (oldest.done === true) {
      this.bytes = 0; // nothing idle: the count must be 0 (guards against drift)
      return;
    }
    this.drop(oldest.value);
  }
}
