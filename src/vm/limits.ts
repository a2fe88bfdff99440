// Limits of the wasm sandbox. Every number here is consensus-critical: all nodes must use
// the same ones, or the same upload is accepted on one node and rejected on another.

/** Bytes of one wasm page (WebAssembly spec §2.5.5). */
export const WASM_PAGE_BYTES = 65_536;

export const WASM_LIMITS = {
  /** Max uncompressed module size, and the gzip decompression cap (CONTRACT_ABI §6: 2 MiB). */
  maxCodeBytes: 2 * 1024 * 1024,
  /** Max initial memory pages accepted at upload (CONTRACT_ABI §6: 192 pages = 12 MiB). */
  maxInitialPages: 192,
  /** Memory maximum forced by instrumentation; memory.grow beyond it returns -1. */
  maxPages: 192,
  /** Functions (imported + defined). Real contracts have a few thousand. */
  maxFunctions: 50_000,
  /** Imports. */
  maxImports: 200,
  /** Exports. */
  maxExports: 1_000,
  /** Type-section entries. */
  maxTypes: 10_000,
  /** Params or results per function type. */
  maxParams: 100,
  /** Declared locals per function (plus params). */
  maxLocalsPerFunction: 10_000,
  /** Globals. */
  maxGlobals: 1_000,
  /** Table initial/max elements. */
  maxTableElements: 100_000,
  /** Element segments and data segments, each. */
  maxSegments: 100_000,
  /** Nesting depth of blocks in one function body (bounds the parser's control stack). */
  maxBlockDepth: 1_024,
  /** br_table targets in one instruction. */
  maxBrTableTargets: 65_536,
} as const;

export type WasmLimits = { -readonly [K in keyof typeof WASM_LIMITS]: number };

/** Gas constants (CONTRACT_ABI §6). */
export const GAS_COSTS = {
  /** Each wasm instruction costs 2 wasm gas, charged per sequence before it runs. */
  perInstruction: 2,
  /** memory.grow costs this much per requested page, before growing. */
  perPage: 8_192,
  /** Bulk memory ops (memory.copy/fill/init) cost this per byte of their length operand (our choice; Secret's engine has no bulk memory). */
  perBulkByte: 1,
} as const;

/**
 * Max call-stack cost of nested frames before the deterministic stack meter traps. Each frame
 * costs 4 + params + locals + max operand-stack height (src/vm/instrument.ts). Measured on
 * V8 11.3 x64 (Node 20): Liftoff frames take 8–11.5 bytes per cost unit, TurboFan fewer, so
 * this budget uses at most ~190 KB of V8's ~984 KB stack and V8's own limit is never what stops
 * a contract. In slot terms it is about twice Secret's wasm3 stack (60 KiB = 7 680 slots).
 * See docs/adr/003-gas-metering.md.
 */
export const MAX_STACK_COST = 16_384;
