// The state of one contract call as the host functions see it: the instance's memory and
// `allocate`, the gas counter (the instrumented module's `gas_limit` global), the write
// cache over read-only storage, and the Region protocol (CONTRACT_ABI §1.2) with bounds
// checks on every access. Every hostile pointer/offset/length becomes a VmError here, so a
// contract can never make the host read or write outside its own memory.

import { VmError } from '../errors.js';
import type { Querier, Storage, StorageWrite } from './types.js';

/** Size of a Region struct: offset, capacity, length, each u32 LE (CONTRACT_ABI §1.2). */
export const REGION_BYTES = 12;

/** Keys of the write cache: latin1 strings map bytes 1:1 and hash fast (no hex encoding). */
function cacheKey(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

/** The bytes of a latin1 string (each char code is one byte; the inverse of cacheKey). */
export function latin1Bytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** A storage key read from contract memory: its bytes (a copy) and its write-cache string. */
export interface RegionKey {
  bytes: Uint8Array;
  text: string;
}

/**
 * Per-call buffer of storage changes (CONTRACT_ABI §5): reads see the call's own pending
 * writes; nothing reaches the caller's storage unless the call succeeds.
 */
export class WriteCache {
  private readonly pending = new Map<string, StorageWrite>();

  constructor(private readonly storage: Storage) {}

  get(key: Uint8Array): Uint8Array | undefined {
    return this.getKey({ bytes: key, text: cacheKey(key) });
  }

  /** `get` for a key read with CallContext.readKey (its cache string already made). */
  getKey(key: RegionKey): Uint8Array | undefined {
    const entry = this.pending.get(key.text);
    if (entry !== undefined) return entry.value ?? undefined;
    return this.storage.get(key.bytes, key.text);
  }

  /**
   * `get` for a key read with CallContext.readKeyText: the storage's getText when it has one,
   * else its get with the key's bytes made from the text (latin1 is 1:1 with bytes).
   */
  getText(keyText: string): Uint8Array | undefined {
    const entry = this.pending.get(keyText);
    if (entry !== undefined) return entry.value ?? undefined;
    if (this.storage.getText !== undefined) return this.storage.getText(keyText);
    return this.storage.get(latin1Bytes(keyText), keyText);
  }

  set(key: Uint8Array, value: Uint8Array | null): void {
    this.setOwned({ bytes: key.slice(), text: cacheKey(key) }, value === null ? null : value.slice());
  }

  /**
   * `set` that keeps `key.bytes` and `value` without copying: for bytes the caller just
   * copied out of contract memory (CallContext.readKey / readRegion) and will not touch again.
   */
  setOwned(key: RegionKey, value: Uint8Array | null): void {
    // Delete first so the Map's order is the order of each key's last change: applying
    // `writes()` in order then gives the same final state as replaying every call.
    this.pending.delete(key.text);
    this.pending.set(key.text, { key: key.bytes, value, keyText: key.text });
  }

  /** The buffered changes, one per key, in the order of each key's last change. */
  writes(): StorageWrite[] {
    return [...this.pending.values()];
  }
}

/** Empty views every context starts with (length 0: the first Region access replaces them). */
const NO_MEMORY = (() => {
  const buffer = new ArrayBuffer(0);
  return { buffer, view: new DataView(buffer), bytes: new Uint8Array(buffer), text: Buffer.from(buffer) };
})();

/** Exported instance globals the instrumentation adds (src/vm/instrument.ts). */
export interface MeterGlobals {
  gas: WebAssembly.Global | null;
  exhausted: WebAssembly.Global | null;
  stackExhausted: WebAssembly.Global | null;
}

export interface CallContextOptions {
  storage: Storage;
  querier: Querier;
  readOnly: boolean;
  gasLimit: bigint;
  queryDepth: number;
  addressPrefix: string;
  debug: ((message: string) => void) | undefined;
}

/** Host-side view of one running instance. Created before instantiation, bound after. */
export class CallContext {
  readonly cache: WriteCache;
  readonly querier: Querier;
  readonly readOnly: boolean;
  readonly gasLimit: bigint;
  readonly queryDepth: number;
  readonly addressPrefix: string;
  readonly debug: ((message: string) => void) | undefined;
  /** Per-byte db_write gas charged so far (refunded after a successful execute, CONTRACT_ABI §2). */
  perByteWriteGas = 0n;

  private memory: WebAssembly.Memory | null = null;
  // Views over the memory's current buffer, made again only when it changes: memory.grow
  // detaches the old ArrayBuffer (its byteLength becomes 0), so a cheap length check replaces
  // a `memory.buffer` call (a C++ getter) on every Region access.
  private buffer = NO_MEMORY.buffer;
  private view = NO_MEMORY.view;
  private bytes = NO_MEMORY.bytes;
  private text = NO_MEMORY.text;
  private allocateFn: ((size: number) => number) | null = null;
  private globals: MeterGlobals = { gas: null, exhausted: null, stackExhausted: null };
  // Used only for modules without a `gas_limit` global (raw modules in tests and benchmarks);
  // production modules are always instrumented and keep the counter inside wasm.
  private fallbackRemaining: bigint;
  private fallbackExhausted = 0n;

  constructor(options: CallContextOptions) {
    this.cache = new WriteCache(options.storage);
    this.querier = options.querier;
    this.readOnly = options.readOnly;
    this.gasLimit = options.gasLimit;
    this.queryDepth = options.queryDepth;
    this.addressPrefix = options.addressPrefix;
    this.debug = options.debug;
    this.fallbackRemaining = options.gasLimit;
  }

  /** Binds the instance: its memory, `allocate`, and the meter globals (seeded with the limit). */
  bind(memory: WebAssembly.Memory, allocate: (size: number) => number, globals: MeterGlobals): void {
    this.memory = memory;
    this.allocateFn = allocate;
    this.globals = globals;
    if (globals.gas !== null) globals.gas.value = this.gasLimit;
  }

  // ---- gas (CONTRACT_ABI §6: host functions subtract from the same counter) ----

  remainingGas(): bigint {
    return this.globals.gas !== null ? (this.globals.gas.value as bigint) : this.fallbackRemaining;
  }

  exhaustedGas(): bigint {
    return this.globals.exhausted !== null
      ? (this.globals.exhausted.value as bigint)
      : this.fallbackExhausted;
  }

  stackExhausted(): boolean {
    return this.globals.stackExhausted !== null && this.globals.stackExhausted.value === 1;
  }

  /**
   * Charges `amount` wasm gas before the host does the work.
   * @throws {VmError} OUT_OF_GAS when less than `amount` remains (the counter is left as it
   *   was and `gas_limit_exhausted` records the failed charge, like the instrumented code).
   */
  charge(amount: bigint): void {
    const remaining = this.remainingGas();
    if (remaining < amount) {
      if (this.globals.exhausted !== null) this.globals.exhausted.value = amount;
      else this.fallbackExhausted = amount;
      throw new VmError(
        'OUT_OF_GAS',
        `out of gas: a host function needed ${amount} wasm gas, ${remaining} left`,
      );
    }
    if (this.globals.gas !== null) this.globals.gas.value = remaining - amount;
    else this.fallbackRemaining = remaining - amount;
  }

  /** Gas used so far: limit − remaining (+ the failed charge after out of gas), capped at the limit. */
  gasUsed(): bigint {
    const used = this.gasLimit - this.remainingGas() + this.exhaustedGas();
    if (used < 0n) return 0n;
    return used > this.gasLimit ? this.gasLimit : used;
  }

  // ---- Region protocol (CONTRACT_ABI §1.2) ----

  /** The memory's size in bytes, after making the views follow a grown memory. */
  private memorySize(): number {
    const size = this.buffer.byteLength;
    if (size !== 0) return size; // not detached: still the memory's buffer
    if (this.memory === null)
      throw new VmError('CONTRACT_TRAP', 'a host function was called before the instance was ready');
    const buffer = this.memory.buffer;
    if (buffer !== this.buffer) {
      this.buffer = buffer;
      this.view = new DataView(buffer);
      this.bytes = new Uint8Array(buffer);
      this.text = Buffer.from(buffer);
    }
    return buffer.byteLength;
  }

  /**
   * Bounds-checks a Region pointer (non-null, the 12-byte struct inside memory).
   * @returns the pointer as an unsigned address.
   */
  private regionPointer(pointer: number, size: number): number {
    const ptr = pointer >>> 0; // wasm i32 arrives signed; addresses are unsigned
    if (ptr === 0) throw new VmError('REGION_OUT_OF_BOUNDS', 'the contract passed a null Region pointer');
    if (ptr + REGION_BYTES > size) {
      throw new VmError('REGION_OUT_OF_BOUNDS', `Region pointer ${ptr} is outside the contract's memory`);
    }
    return ptr;
  }

  /**
   * Bounds-checks the Region at `pointer` and its data (offset ≠ 0, offset + length ≤ memory
   * size; like Secret, not length ≤ capacity).
   * @returns the data's offset; its length is then at `pointer + 8`.
   */
  private regionData(pointer: number): number {
    const size = this.memorySize();
    const ptr = this.regionPointer(pointer, size);
    const offset = this.view.getUint32(ptr, true);
    const length = this.view.getUint32(ptr + 8, true);
    if (offset === 0)
      throw new VmError('REGION_OUT_OF_BOUNDS', 'the contract passed a Region whose offset is 0');
    if (offset + length > size) {
      throw new VmError(
        'REGION_OUT_OF_BOUNDS',
        `Region data [${offset}, ${offset + length}) is outside the contract's memory (${size} bytes)`,
      );
    }
    return offset;
  }

  /**
   * Copies out the bytes a contract Region points to. Like Secret, checks offset ≠ 0 and
   * offset + length ≤ memory size, but not length ≤ capacity.
   * @throws {VmError} REGION_OUT_OF_BOUNDS for a bad pointer, offset or length.
   */
  readRegion(pointer: number): Uint8Array {
    const offset = this.regionData(pointer);
    return this.bytes.slice(offset, offset + this.view.getUint32((pointer >>> 0) + 8, true));
  }

  /**
   * readRegion for a storage key: the bytes plus their write-cache string, made straight from
   * contract memory (half the cost of converting the copy, bench/vm.ts).
   * @throws {VmError} REGION_OUT_OF_BOUNDS as readRegion.
   */
  readKey(pointer: number): RegionKey {
    const offset = this.regionData(pointer);
    const end = offset + this.view.getUint32((pointer >>> 0) + 8, true);
    return { bytes: this.bytes.slice(offset, end), text: this.text.toString('latin1', offset, end) };
  }

  /**
   * readKey without the bytes: only the write-cache string (db_read, whose storage can look
   * the key up by it; one array copy less per read).
   * @throws {VmError} REGION_OUT_OF_BOUNDS as readRegion.
   */
  readKeyText(pointer: number): string {
    const offset = this.regionData(pointer);
    return this.text.toString('latin1', offset, offset + this.view.getUint32((pointer >>> 0) + 8, true));
  }

  /**
   * Writes `data` into the contract-owned Region at `pointer` and sets its length.
   * @throws {VmError} REGION_OUT_OF_BOUNDS when capacity < data length or the data would fall outside memory.
   */
  writeRegion(
    pointer: number,
    data: Uint8Array,
    code: 'REGION_OUT_OF_BOUNDS' | 'ALLOCATION_FAILED' = 'REGION_OUT_OF_BOUNDS',
  ): void {
    this.bytes.set(data, this.reserveRegion(pointer, data.length, code));
  }

  /**
   * Checks that the Region at `pointer` can take `length` bytes (offset ≠ 0, capacity, inside
   * memory) and sets its length; the caller then copies the data to the returned offset.
   */
  private reserveRegion(
    pointer: number,
    length: number,
    code: 'REGION_OUT_OF_BOUNDS' | 'ALLOCATION_FAILED',
  ): number {
    const size = this.memorySize();
    const ptr = this.regionPointer(pointer, size);
    const offset = this.view.getUint32(ptr, true);
    const capacity = this.view.getUint32(ptr + 4, true);
    if (offset === 0) throw new VmError(code, 'the Region to write into has offset 0');
    if (capacity < length) {
      throw new VmError(code, `the Region to write into holds ${capacity} bytes, ${length} are needed`);
    }
    if (offset + length > size) {
      throw new VmError(code, `Region data [${offset}, ${offset + length}) is outside the contract's memory`);
    }
    this.view.setUint32(ptr + 8, length, true);
    return offset;
  }

  /**
   * Passes `data` into the contract: calls its `allocate(len)` (metered wasm), checks the
   * returned Region (capacity ≥ len, inside memory) and copies the bytes in. A string is
   * written as UTF-8 straight into contract memory (the bytes TextEncoder would give, lone
   * surrogates as U+FFFD, without the intermediate array: Env and MessageInfo, every call).
   * @returns the Region pointer.
   * @throws {VmError} ALLOCATION_FAILED when `allocate` returns an unusable Region.
   */
  allocateRegion(data: Uint8Array | string): number {
    if (this.allocateFn === null) throw new VmError('CONTRACT_TRAP', 'allocate is not bound');
    const length = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length;
    const pointer = this.allocateFn(length) >>> 0;
    if (pointer === 0)
      throw new VmError('ALLOCATION_FAILED', `the contract's allocate(${length}) returned a null Region`);
    let offset: number;
    try {
      offset = this.reserveRegion(pointer, length, 'ALLOCATION_FAILED');
    } catch (error) {
      if (error instanceof VmError && error.code === 'REGION_OUT_OF_BOUNDS') {
        throw new VmError(
          'ALLOCATION_FAILED',
          `the contract's allocate(${length}) returned an unusable Region: ${error.message}`,
        );
      }
      throw error;
    }
    if (typeof data !== 'string') this.bytes.set(data, offset);
    else if (this.text.write(data, offset, length, 'utf8') !== length)
      throw new RangeError('allocateRegion: UTF-8 length mismatch (host bug)');
    return pointer;
  }
}
