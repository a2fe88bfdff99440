// Test helper: WAT → wasm through the `wabt` package, plus a minimal contract skeleton so
// each validation test changes exactly one thing.
import wabtInit from 'wabt';

const wabt = await wabtInit();

/** Features tests may need; all the ones V8 ships are on. */
const FEATURES = {
  bulk_memory: true,
  multi_value: true,
  sign_extension: true,
  sat_float_to_int: true,
  reference_types: true,
  mutable_globals: true,
  simd: true,
  multi_memory: true,
  tail_call: true,
};

/** Compiles WAT text to wasm bytes. @throws Error on a WAT syntax error. */
export function wat(text: string): Uint8Array {
  const module = wabt.parseWat('test.wat', text, FEATURES);
  try {
    return new Uint8Array(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

/** Disassembles wasm (for failure messages). */
export function wasmToText(bytes: Uint8Array): string {
  const module = wabt.readWasm(bytes, { readDebugNames: false, ...FEATURES });
  try {
    return module.toText({});
  } finally {
    module.destroy();
  }
}

export interface ContractParts {
  /** Interface marker export name; null = none. Default interface_version_8. */
  marker?: string | null;
  /** Extra module fields (imports must come first in WAT order rules, so they have their own slot). */
  imports?: string;
  /** Memory field; default `(memory (export "memory") 1)`. */
  memory?: string;
  /** Exported entry functions; default allocate, deallocate, instantiate. */
  entries?: string[];
  /** Extra fields (functions, globals, exports). */
  extra?: string;
}

/** A minimal v1 contract in WAT with one part changed. */
export function contractWat(parts: ContractParts = {}): string {
  const marker = parts.marker === undefined ? 'interface_version_8' : parts.marker;
  const entries = parts.entries ?? ['allocate', 'deallocate', 'instantiate'];
  const signatures: Record<string, string> = {
    allocate: '(param i32) (result i32) (i32.const 0)',
    deallocate: '(param i32)',
    instantiate: '(param i32 i32 i32) (result i32) (i32.const 0)',
    execute: '(param i32 i32 i32) (result i32) (i32.const 0)',
    query: '(param i32 i32) (result i32) (i32.const 0)',
    init: '(param i32 i32) (result i32) (i32.const 0)',
    handle: '(param i32 i32) (result i32) (i32.const 0)',
  };
  return `(module
  ${parts.imports ?? ''}
  ${parts.memory ?? '(memory (export "memory") 1)'}
  ${marker === null ? '' : `(func (export "${marker}"))`}
  ${entries.map((name) => `(func (export "${name}") ${signatures[name] ?? ''})`).join('\n  ')}
  ${parts.extra ?? ''}
)`;
}

/** A minimal contract as wasm bytes. */
export function contract(parts: ContractParts = {}): Uint8Array {
  return wat(contractWat(parts));
}
