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

/**
 * Per-call buffer of storage changes (CONTRACT_ABI §5): reads see the call's own pending
 * writes; nothing reaches the caller's storage unless the call succeeds.
 */
export class WriteCache {
  private readonly pending = new Map<string, StorageWrite>();

  constructor(private readonly storage: Storage) {}

  get(key: Uint8Array): Uint8Array | undefined {
    const entry = this.pending.get(cacheKey(key));
    if (entry !== undefined) return entry.value ?? undefined;
    return this.storage.get(key);
  }

  set(key: Uint8Array, value: Uint8Array | null): void {
    const k = cacheKey(key);
    // Delete first so the Map's order is the order of each key's last change: applying
    // `writes()` in order then gives the same final state as replaying every call.
    this.pending.delete(k);
    this.pending.set(k, { key: key.slice(), value: value === null ? null : value.slice() });
  }

  /** The buffered changes, one per key, in the order of each key's last change. */
  writes(): StorageWrite[] {
    return [...this.pending.values()];
  }
}

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

  private mem(): WebAssembly.Memory {
    if (this.memory === null)
      throw new VmError('CONTRACT_TRAP', 'a host function was called before the instance was ready');
    return this.memory;
  }

  /** Reads the (offset, capacity, length) of the Region at `pointer`, bounds-checked. */
  private regionAt(pointer: number): { view: DataView; offset: number; capacity: number; length: number } {
    const ptr = pointer >>> 0; // wasm i32 arrives signed; addresses are unsigned
    const buffer = this.mem().buffer; // re-read every time: memory.grow detaches the old one
    if (ptr === 0) throw new VmError('REGION_OUT_OF_BOUNDS', 'the contract passed a null Region pointer');
    if (ptr + REGION_BYTES > buffer.byteLength) {
      throw new VmError('REGION_OUT_OF_BOUNDS', `Region pointer ${ptr} is outside the contract's memory`);
    }
    const view = new DataView(buffer);
    return {
      view,
      offset: view.getUint32(ptr, true),
      capacity: view.getUint32(ptr + 4, true),
      length: view.getUint32(ptr + 8, true),
    };
  }

  /**
   * Copies out the bytes a contract Region points to. Like Secret, checks offset ≠ 0 and
   * offset + length ≤ memory size, but not length ≤ capacity.
   * @throws {VmError} REGION_OUT_OF_BOUNDS for a bad pointer, offset or length.
   */
  readRegion(pointer: number): Uint8Array {
    const { offset, length } = this.regionAt(pointer);
    const buffer = this.mem().buffer;
    if (offset === 0)
      throw new VmError('REGION_OUT_OF_BOUNDS', 'the contract passed a Region whose offset is 0');
    if (offset + length > buffer.byteLength) {
      throw new VmError(
        'REGION_OUT_OF_BOUNDS',
        `Region data [${offset}, ${offset + length}) is outside the contract's memory (${buffer.byteLength} bytes)`,
      );
    }
    return new Uint8Array(buffer, offset, length).slice();
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
    const ptr = pointer >>> 0;
    const { view, offset, capacity } = this.regionAt(ptr);
    const buffer = view.buffer;
    if (offset === 0) throw new VmError(code, 'the Region to write into has offset 0');
    if (capacity < data.length) {
      throw new VmError(code, `the Region to write into holds ${capacity} bytes, ${data.length} are needed`);
    }
    if (offset + data.length > buffer.byteLength) {
      throw new VmError(
        code,
        `Region data [${offset}, ${offset + data.length}) is outside the contract's memory`,
      );
    }
    new Uint8Array(buffer, offset, data.length).set(data);
    view.setUint32(ptr + 8, data.length, true);
  }

  /**
   * Passes `data` into the contract: calls its `allocate(len)` (metered wasm), checks the
   * returned Region (capacity ≥ len, inside memory) and copies the bytes in.
   * @returns the Region pointer.
   * @throws {VmError} ALLOCATION_FAILED when `allocate` returns an unusable Region.
   */
  allocateRegion(data: Uint8Array): number {
    if (this.allocateFn === null) throw new VmError('CONTRACT_TRAP', 'allocate is not bound');
    const pointer = this.allocateFn(data.length) >>> 0;
    if (pointer === 0)
      throw new VmError(
        'ALLOCATION_FAILED',
        `the contract's allocate(${data.length}) returned a null Region`,
      );
    try {
      this.writeRegion(pointer, data, 'ALLOCATION_FAILED');
    } catch (error) {
      if (error instanceof VmError && error.code === 'REGION_OUT_OF_BOUNDS') {
        throw new VmError(
          'ALLOCATION_FAILED',
          `the contract's allocate(${data.length}) returned an unusable Region: ${error.message}`,
        );
      }
      throw error;
    }
    return pointer;
  }
}
