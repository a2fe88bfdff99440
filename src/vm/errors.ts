// Typed errors of the VM layer. One code per rejection reason so that callers (the upload
// handler, the CLI `contract check`, tests) branch on `code`, never on the message.
// VM-A owns this file; VM-B may add runtime codes to the union (keep it sorted by group).

import { ShroudError } from '../errors.js';

/**
 * Upload-validation codes (CONTRACT_ABI §6). Policy for all of them: the upload is rejected,
 * the uploader pays the gas spent so far, nothing is stored. Each is deterministic: the same
 * bytes give the same code on every node.
 */
export type VmValidationCode =
  /** Input is not gzip and does not start with `\0asm`. */
  | 'NOT_WASM'
  /** Wasm binary version is not 1. */
  | 'BAD_VERSION'
  /** Uncompressed module larger than WASM_LIMITS.maxCodeBytes (2 MiB). */
  | 'TOO_LARGE'
  /** gzip stream corrupt, truncated, or decompressing past the 2 MiB cap (gzip bomb). */
  | 'GZIP_ERROR'
  /** Binary does not parse: truncated, overlong/out-of-range LEB128, unknown section or opcode, bad UTF-8 name, counts beyond limits. */
  | 'PARSE_ERROR'
  /** Our parser accepted it but `WebAssembly.validate` did not (type errors etc.). */
  | 'INVALID_WASM'
  /** The module defines no memory. */
  | 'NO_MEMORY'
  /** More than one memory (defined or imported). */
  | 'MULTIPLE_MEMORIES'
  /** The memory is imported instead of defined. */
  | 'IMPORTED_MEMORY'
  /** Initial memory pages above WASM_LIMITS.maxInitialPages (192). */
  | 'MEMORY_TOO_LARGE'
  /** The memory declares a maximum (the host forces its own, CONTRACT_ABI §6). */
  | 'MEMORY_MAX_DECLARED'
  /** Neither `interface_version_8` nor `cosmwasm_vm_version_3` is exported. */
  | 'MISSING_INTERFACE_VERSION'
  /** A required export (allocate, deallocate, instantiate / init) is missing or not a function; also used at call time by VM-B. */
  | 'MISSING_EXPORT'
  /** A function import not on the allow-list of the detected interface version (CONTRACT_ABI §2). */
  | 'FORBIDDEN_IMPORT'
  /** `env.abort` is imported (rejected explicitly, CONTRACT_ABI §2 notes). */
  | 'ABORT_IMPORT'
  /** An import that is not a function (table, memory, global), or from a module other than `env`. */
  | 'NON_FUNCTION_IMPORT'
  /** A `requires_<feature>` export names a feature the chain does not support. */
  | 'UNSUPPORTED_FEATURE'
  /** The module has a start function. */
  | 'START_FUNCTION'
  /** f32/f64 appears in a type, local, global or import signature. */
  | 'FLOAT_TYPE'
  /** A floating-point instruction appears in a function body. */
  | 'FLOAT_INSTRUCTION'
  /** A SIMD (0xFD prefix) instruction appears in a function body. */
  | 'SIMD_INSTRUCTION'
  /** A bulk-memory or reference-type instruction we do not allow (e.g. table.grow, memory.init without datacount). */
  | 'UNSUPPORTED_INSTRUCTION'
  /** More functions than WASM_LIMITS.maxFunctions. */
  | 'TOO_MANY_FUNCTIONS'
  /** More locals in one function than WASM_LIMITS.maxLocalsPerFunction. */
  | 'TOO_MANY_LOCALS'
  /** Other count limits (imports, exports, globals, types, table size, element/data segments, params). */
  | 'LIMIT_EXCEEDED';

/** Instrumentation codes (instrumentContract on an already validated module). */
export type VmInstrumentCode =
  /** The module cannot be instrumented (e.g. its stack cost exceeds the stack limit on its own, or a reserved export name is taken). */
  'INSTRUMENT_ERROR';

/** Runtime codes (VM-B adds its own here). */
export type VmRuntimeCode =
  /** `gas_limit_exhausted` was non-zero after a trap, or a host charge exceeded the remaining gas. */
  | 'OUT_OF_GAS'
  /** `stack_exhausted` was 1 after a trap: the deterministic call-depth meter stopped the contract. */
  | 'STACK_OVERFLOW'
  /** Any other trap (unreachable, division by zero, out-of-bounds access, host error). */
  | 'CONTRACT_TRAP'
  /** A Region pointer, offset or length the contract passed to the host points outside its memory, or a Region pointer/offset is 0 (CONTRACT_ABI §1.2). */
  | 'REGION_OUT_OF_BOUNDS'
  /** The contract's `allocate` returned a Region too small (capacity < length) or out of bounds, or trapped. */
  | 'ALLOCATION_FAILED'
  /** db_write / db_remove called during a query (CONTRACT_ABI §2, §5). */
  | 'UNAUTHORIZED_WRITE'
  /** A host function got input it cannot interpret and the ABI says it traps (e.g. malformed ed25519 batch sections). */
  | 'INVALID_HOST_INPUT'
  /** The entry point returned bytes that are not the result envelope / Response of CONTRACT_ABI §1.3, §3.3. */
  | 'INVALID_RESPONSE'
  /** The host's Querier threw instead of returning a SystemResult (a host bug, not the contract's). */
  | 'QUERIER_FAILED'
  /**
   * The host itself failed during a call (Storage.get threw, a bug in a host function, the node
   * ran out of memory). Policy: not the contract's fault and not deterministic — the node must
   * not commit a result based on it (halt or retry), unlike CONTRACT_TRAP.
   */
  | 'HOST_FAILURE';

export type VmErrorCode = VmValidationCode | VmInstrumentCode | VmRuntimeCode;

/** The VM layer's error: a `code` from VmErrorCode plus a message naming what to fix. */
export class VmError extends ShroudError<VmErrorCode> {
  /** Wasm gas the failed call used (set by the runtime on call failures; undefined elsewhere). */
  gasUsed?: bigint;
}
