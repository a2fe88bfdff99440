// ContractVm: runs one entry point of a validated contract (CONTRACT_ABI §1, §3, §6).
// Compile once per code hash (instrumented, LRU-cached), a pristine instance per call (fresh,
// or a used one reset to exactly the fresh state: instance-pool.ts, ADR 010), host imports
// bound to a per-call context, arguments passed as Regions in Secret's order, the result
// envelope parsed into typed values. Every failure leaves as a typed VmError that
// carries the gas used; no RangeError or host exception escapes untyped.

import { VmError } from '../errors.js';
import {
  GAS_EXHAUSTED_GLOBAL,
  GAS_GLOBAL,
  instrumentResettable,
  RESET_EXPORT,
  STACK_EXHAUSTED_GLOBAL,
} from '../instrument.js';
import { WASM_LIMITS } from '../limits.js';
import { validateContractCode } from '../validate.js';
import type { ValidatedCode } from '../validate.js';
import { buildHostImports, HOST_GAS } from '../host/imports.js';
import type { HostBinding } from '../host/imports.js';
import { ModuleCache } from './cache.js';
import type { ModuleCacheStats } from './cache.js';
import { CallContext } from './context.js';
import { InstancePool, snapshotMemory } from './instance-pool.js';
import type { MemorySnapshot, ReadyInstance } from './instance-pool.js';
import { importMemory, MemoryPool } from './memory-pool.js';
import type { MemoryShape } from './memory-pool.js';
import { encodeEnv, encodeEnvV010, encodeInfo } from './json.js';
import { parseEnvelope, parseQueryResult, parseResponse, parseResponseV010 } from './response.js';
import type { CallOutcome, CallRequest, EntryPoint } from './types.js';

export interface ContractVmOptions {
  /** Compiled modules kept in the LRU cache (default 64). */
  cacheSize?: number;
  /** Bech32 prefix for the address host functions (default `shroud`). */
  addressPrefix?: string;
  /** Receives the contract's `debug`/`debug_print` messages (dropped when absent, as in production). */
  debug?: (message: string) => void;
  /**
   * Inject gas and stack metering (default true). `false` exists only to measure the metering
   * overhead (bench/vm.ts) and to run hand-written test modules; it is not deterministic-safe.
   */
  instrument?: boolean;
  /**
   * Reuse instances, reset to their pristine state, across calls (default true; ADR 010).
   * `false` creates a fresh instance for every call: the reference the differential tests
   * and bench/vm.ts compare against. Calls are identical either way.
   */
  reuseInstances?: boolean;
}

/** The wasm argument list of an entry point, in Secret's allocation order (CONTRACT_ABI §1.2). */
interface EntryPlan {
  exportName: string;
  /** Argument per position: Env/MessageInfo JSON text (written as UTF-8), the message bytes as given. */
  args: (Uint8Array | string)[];
  /** Order in which positions are allocated. */
  allocationOrder: number[];
}

function planV1(entry: EntryPoint, env: string, info: string | undefined, msg: Uint8Array): EntryPlan {
  switch (entry) {
    case 'instantiate':
      return { exportName: entry, args: [env, info as string, msg], allocationOrder: [0, 2, 1] };
    case 'execute':
      return { exportName: entry, args: [env, info as string, msg], allocationOrder: [2, 0, 1] };
    case 'query':
      return { exportName: entry, args: [env, msg], allocationOrder: [1, 0] };
    case 'reply':
    case 'migrate':
      return { exportName: entry, args: [env, msg], allocationOrder: [0, 1] };
  }
}

/** A cached compiled contract: the module (memory imported, see memory-pool.ts) and its memory limits. */
export interface CompiledContract {
  module: WebAssembly.Module;
  memory: MemoryShape;
  /**
   * The module's RESET_EXPORT is the function the instrumentation injected. False for modules
   * that cannot be reset and for uninstrumented ones, even if the contract itself exports a
   * function of that name: the host must never call contract code as the reset (ADR 010, Review).
   */
  resettable: boolean;
  /**
   * The memory of a just-created instance, taken at the first instantiation; set only for
   * modules with the reset export (their instances may be reused, instance-pool.ts).
   */
  snapshot?: MemorySnapshot;
}

export class ContractVm {
  private readonly cache: ModuleCache<CompiledContract>;
  private readonly memories = new MemoryPool();
  private readonly instances: InstancePool<CompiledContract> | null;
  private readonly binding: HostBinding = { ctx: null as unknown as CallContext }; // set before any wasm runs
  private readonly importObject: { env: Record<string, WebAssembly.ImportValue> };
  private readonly addressPrefix: string;
  private readonly debug: ((message: string) => void) | undefined;
  private readonly instrument: boolean;

  constructor(options: ContractVmOptions = {}) {
    const instances = (options.reuseInstances ?? true) ? new InstancePool<CompiledContract>() : null;
    this.instances = instances;
    // A module leaving the cache takes its idle instances with it.
    this.cache = new ModuleCache<CompiledContract>(options.cacheSize ?? 64, (evicted) =>
      instances?.drop(evicted),
    );
    this.importObject = { env: { ...buildHostImports(this.binding) } };
    this.addressPrefix = options.addressPrefix ?? 'shroud';
    this.debug = options.debug;
    this.instrument = options.instrument ?? true;
  }

  /** Idle instances kept for reuse, all modules together, and the memory bytes they hold. */
  get idleInstances(): { bytes: number } {
    return { bytes: this.instances?.idleBytes ?? 0 };
  }

  /** Compilation counters of the module cache. */
  get cacheStats(): Readonly<ModuleCacheStats> {
    return this.cache.stats;
  }

  /** Modules currently cached. */
  get cachedModules(): number {
    return this.cache.size;
  }

  /**
   * Validates an upload exactly as the chain does (CONTRACT_ABI §6).
   * @throws {VmError} with the rejection's code.
   */
  validate(upload: Uint8Array): ValidatedCode {
    return validateContractCode(upload);
  }

  /**
   * The compiled, instrumented module for `code`, from the cache or compiled now.
   * @throws {VmError} INSTRUMENT_ERROR or INVALID_WASM when the code cannot be compiled.
   */
  compile(code: ValidatedCode): CompiledContract {
    return this.cache.getOrCompile(code.codeHash, () => {
      const instrumented = this.instrument
        ? instrumentResettable(code.wasm, { maxPages: WASM_LIMITS.maxPages })
        : { wasm: code.wasm, resettable: false };
      try {
        const { wasm, shape } = importMemory(instrumented.wasm);
        return {
          module: new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>),
          memory: shape,
          resettable: instrumented.resettable,
        };
      } catch (error) {
        throw new VmError('INVALID_WASM', `the contract does not compile: ${(error as Error).message}`, {
          cause: error,
        });
      }
    });
  }

  /**
   * Runs one entry point.
   * @returns `{ ok: true, … }` on `Ok`, `{ ok: false, error }` on the contract's `Err`.
   * @throws {VmError} on VM failures (OUT_OF_GAS, STACK_OVERFLOW, CONTRACT_TRAP, REGION_OUT_OF_BOUNDS,
   *   UNAUTHORIZED_WRITE, INVALID_RESPONSE, MISSING_EXPORT, …) with `gasUsed` set.
   */
  call(request: CallRequest): CallOutcome {
    const { code, entry } = request;
    if ((entry === 'instantiate' || entry === 'execute') && request.info === undefined) {
      throw new RangeError(`call: ${entry} needs request.info (sender and funds)`);
    }
    let compiled: CompiledContract;
    try {
      compiled = this.compile(code);
    } catch (error) {
      if (error instanceof VmError) error.gasUsed ??= 0n; // nothing ran
      throw error;
    }
    const ctx = new CallContext({
      storage: request.storage,
      querier: request.querier,
      readOnly: entry === 'query',
      gasLimit: request.gasLimit,
      queryDepth: request.queryDepth ?? 0,
      addressPrefix: this.addressPrefix,
      debug: this.debug,
    });
    const previous = this.binding.ctx;
    let ready: ReadyInstance | undefined;
    this.binding.ctx = ctx;
    try {
      ready = this.acquire(compiled);
      return this.run(ready, ctx, request);
    } catch (error) {
      throw this.toVmError(error, ctx);
    } finally {
      // The outcome (gas, writes, copied result bytes) is complete: the instance can be reset.
      this.binding.ctx = previous; // back to the outer call after a nested one (query_chain)
      if (ready !== undefined) this.release(code.codeHash, compiled, ready);
    }
  }

  /**
   * A pristine instance of `compiled`: an idle reset one from the pool, or a new one on a
   * zeroed memory (whose state right after instantiation becomes the module's snapshot).
   * @throws {RangeError} when the host is out of memory; WebAssembly.LinkError.
   */
  private acquire(compiled: CompiledContract): ReadyInstance {
    const pooled = this.instances?.take(compiled);
    if (pooled !== undefined) return pooled;
    const memory = this.memories.acquire(compiled.memory);
    let instance: WebAssembly.Instance;
    try {
      // The import object is shared; only `memory` changes, and it is read during instantiation only.
      this.importObject.env.memory = memory;
      instance = new WebAssembly.Instance(compiled.module, this.importObject);
    } catch (error) {
      this.memories.release(compiled.memory, memory);
      throw error;
    }
    const exports = instance.exports;
    const global = (name: string): WebAssembly.Global | null => {
      const value = exports[name];
      return value instanceof WebAssembly.Global ? value : null;
    };
    const allocate = exports.allocate;
    // Only the injected reset: a contract's own export of that name is contract code.
    const reset = this.instances !== null && compiled.resettable ? exports[RESET_EXPORT] : undefined;
    const ready: ReadyInstance = {
      memory,
      exports,
      allocate: typeof allocate === 'function' ? (allocate as (size: number) => number) : null,
      meter: {
        gas: global(GAS_GLOBAL),
        exhausted: global(GAS_EXHAUSTED_GLOBAL),
        stackExhausted: global(STACK_EXHAUSTED_GLOBAL),
      },
      reset: typeof reset === 'function' ? (reset as () => void) : null,
    };
    // No code has run yet (validation rejects start functions): this is the pristine memory.
    if (ready.reset !== null) compiled.snapshot ??= snapshotMemory(memory);
    return ready;
  }

  /**
   * After a call: reset the instance into the pool, or give its memory back if it grew or is
   * not kept. A module evicted from the cache while this call ran (by a nested call compiling
   * other code) keeps no instances: its pool entry would never be asked for again.
   */
  private release(codeHash: string, compiled: CompiledContract, ready: ReadyInstance): void {
    const snapshot = compiled.snapshot;
    if (
      this.instances !== null &&
      snapshot !== undefined &&
      this.cache.peek(codeHash) === compiled &&
      this.instances.give(compiled, ready, snapshot)
    )
      return;
    this.memories.release(compiled.memory, ready.memory);
  }

  private run(ready: ReadyInstance, ctx: CallContext, request: CallRequest): CallOutcome {
    const { code, entry } = request;
    const { exports, allocate } = ready;
    if (allocate === null) throw new VmError('MISSING_EXPORT', 'the contract exports no allocate function');
    ctx.bind(ready.memory, allocate, ready.meter);

    const v010 = code.interfaceVersion === 'v0.10';
    const plan = v010 ? this.planV010(request) : this.planV1(request);
    const fn = exports[plan.exportName];
    if (typeof fn !== 'function') {
      throw new VmError('MISSING_EXPORT', `the contract has no "${plan.exportName}" entry point`);
    }
    const pointers: number[] = new Array<number>(plan.args.length).fill(0);
    for (const position of plan.allocationOrder) {
      pointers[position] = ctx.allocateRegion(plan.args[position] as Uint8Array | string);
    }
    const resultPointer = (fn as (...args: number[]) => number)(...pointers);
    const envelope = parseEnvelope(ctx.readRegion(resultPointer));
    if (!envelope.ok) return { ok: false, error: envelope.error, gasUsed: ctx.gasUsed() };
    if (entry === 'query') {
      return {
        ok: true,
        response: null,
        queryResult: parseQueryResult(envelope.value),
        writes: [],
        gasUsed: ctx.gasUsed(),
      };
    }
    const response = v010 ? parseResponseV010(envelope.value) : parseResponse(envelope.value);
    // The per-byte db_write charge is refunded after a successful execute only (CONTRACT_ABI §2, observed quirk).
    const refund = entry === 'execute' ? ctx.perByteWriteGas : 0n;
    const used = ctx.gasUsed() - refund;
    return {
      ok: true,
      response,
      queryResult: null,
      writes: ctx.cache.writes(),
      gasUsed: used < 0n ? 0n : used,
    };
  }

  private planV1(request: CallRequest): EntryPlan {
    const withRandom = request.code.features.includes('random');
    const env = encodeEnv(request.env, withRandom && request.entry !== 'query');
    const info = request.info === undefined ? undefined : encodeInfo(request.info);
    return planV1(request.entry, env, info, request.msg);
  }

  /** v0.10: init(env, msg), handle(env, msg), query(msg); no reply or migrate. */
  private planV010(request: CallRequest): EntryPlan {
    const msg = request.msg;
    const env = encodeEnvV010(request.env, request.info);
    switch (request.entry) {
      case 'instantiate':
        return { exportName: 'init', args: [env, msg], allocationOrder: [0, 1] };
      case 'execute':
        return { exportName: 'handle', args: [env, msg], allocationOrder: [0, 1] };
      case 'query':
        return { exportName: 'query', args: [msg], allocationOrder: [0] };
      default:
        throw new VmError('MISSING_EXPORT', `v0.10 contracts have no "${request.entry}" entry point`);
    }
  }

  /** Classifies any failure of a call (CONTRACT_ABI §1.3: a trap is a VM failure, not an Err). */
  private toVmError(error: unknown, ctx: CallContext): VmError {
    let vmError: VmError;
    if (ctx.exhaustedGas() !== 0n) {
      vmError =
        error instanceof VmError && error.code === 'OUT_OF_GAS'
          ? error
          : new VmError(
              'OUT_OF_GAS',
              `out of gas: the call needed more than its limit of ${ctx.gasLimit} wasm gas`,
              {
                cause: error,
              },
            );
    } else if (error instanceof VmError) {
      vmError = error;
    } else if (ctx.stackExhausted()) {
      vmError = new VmError('STACK_OVERFLOW', 'the contract exceeded the call-stack limit', { cause: error });
    } else if (error instanceof RangeError && /call stack/i.test(error.message)) {
      // V8's own limit: the stack meter should have stopped the contract first. Reported as a
      // stack overflow so it is never mistaken for a node crash (DESIGN §5).
      vmError = new VmError('STACK_OVERFLOW', 'the contract exhausted the engine call stack', {
        cause: error,
      });
    } else if (error instanceof WebAssembly.RuntimeError) {
      vmError = new VmError('CONTRACT_TRAP', `the contract trapped: ${error.message}`, { cause: error });
    } else if (error instanceof WebAssembly.LinkError) {
      vmError = new VmError('CONTRACT_TRAP', `the contract cannot be linked: ${error.message}`, {
        cause: error,
      });
    } else {
      // Not a wasm trap: the host failed (storage backend, host bug, allocation). Typed, but
      // with its own code so the node does not mistake it for the contract's deterministic failure.
      const message = error instanceof Error ? error.message : String(error);
      vmError = new VmError('HOST_FAILURE', `the host failed during the call: ${message}`, { cause: error });
    }
    vmError.gasUsed = ctx.gasUsed();
    return vmError;
  }
}

export { HOST_GAS };
