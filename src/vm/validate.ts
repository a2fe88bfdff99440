// Upload validation of contract code (CONTRACT_ABI §1.1, §2, §6; DESIGN.md §5). Every rule
// rejects with its own VmError code so `shroud contract check` and tests can tell them apart.
// Deterministic: the same bytes give the same result on every node (no clocks, no machine
// limits; the only engine call is `WebAssembly.validate`, pinned by the Node version).

import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';

import { VmError } from './errors.js';
import { instrumentContract } from './instrument.js';
import { WASM_LIMITS, type WasmLimits } from './limits.js';
import {
  type WasmModule,
  blockTypeValTypes,
  constExprOpcode,
  decodeBody,
  isFloatType,
  opcodeInfo,
  Op,
  parseModule,
  UNMETERED_TABLE_OPS,
  valTypeName,
  ValType,
} from './wasm/index.js';

export type InterfaceVersion = 'v1' | 'v0.10';

export interface ValidatedCode {
  /** Uncompressed original bytes. */
  wasm: Uint8Array;
  /** sha256(wasm), 64 lowercase hex. */
  codeHash: string;
  interfaceVersion: InterfaceVersion;
  /** From `requires_*` exports, sorted, e.g. ['random']. */
  features: string[];
  /** Function export names, in export order. */
  exports: string[];
}

/** Interface marker exports (CONTRACT_ABI §1.1), checked in this order. */
export const INTERFACE_MARKERS: Readonly<Record<string, InterfaceVersion>> = {
  interface_version_8: 'v1',
  cosmwasm_vm_version_3: 'v0.10',
};

/** Exports every contract of the version must have (v1: CONTRACT_ABI §6; v0.10: Secret's sgx-vm `compatability.rs`). */
export const REQUIRED_EXPORTS: Readonly<Record<InterfaceVersion, readonly string[]>> = {
  v1: ['allocate', 'deallocate', 'instantiate'],
  'v0.10': ['allocate', 'deallocate', 'init', 'handle', 'query'],
};

/**
 * Allowed `env` imports per version. v1: CONTRACT_ABI §2. v0.10: Secret's sgx-vm v0.10 list
 * (db_read, db_write, db_remove, canonicalize_address, humanize_address, query_chain,
 * debug_print) plus the crypto functions Secret's enclave links for every version
 * (contract-engine `wasm3/mod.rs` link_host_functions).
 */
export const ALLOWED_IMPORTS: Readonly<Record<InterfaceVersion, ReadonlySet<string>>> = {
  v1: new Set([
    'db_read',
    'db_write',
    'db_remove',
    'addr_validate',
    'addr_canonicalize',
    'addr_humanize',
    'secp256k1_verify',
    'secp256k1_recover_pubkey',
    'secp256k1_sign',
    'ed25519_verify',
    'ed25519_batch_verify',
    'ed25519_sign',
    'dcap_quote_verify',
    'debug',
    'query_chain',
    'gas_evaporate',
    'check_gas',
  ]),
  'v0.10': new Set([
    'db_read',
    'db_write',
    'db_remove',
    'canonicalize_address',
    'humanize_address',
    'query_chain',
    'debug_print',
    'secp256k1_verify',
    'secp256k1_recover_pubkey',
    'secp256k1_sign',
    'ed25519_verify',
    'ed25519_batch_verify',
    'ed25519_sign',
  ]),
};

/** Features a `requires_<feature>` export may name (CONTRACT_ABI §1.1). */
export const SUPPORTED_FEATURES: ReadonlySet<string> = new Set(['staking', 'stargate', 'ibc3', 'random']);

const GZIP_MAGIC = [0x1f, 0x8b, 0x08];

/**
 * Validates an upload (raw or gzipped wasm) and returns the code to store.
 *
 * @example
 *   const code = validateContractCode(readFileSync('snip20.wasm'));
 *   code.codeHash // '3f1c…'
 * @throws VmError with one code per rule: GZIP_ERROR, TOO_LARGE, NOT_WASM, BAD_VERSION,
 *   PARSE_ERROR, INVALID_WASM, NO_MEMORY, MULTIPLE_MEMORIES, IMPORTED_MEMORY, MEMORY_TOO_LARGE,
 *   MEMORY_MAX_DECLARED, START_FUNCTION, MISSING_INTERFACE_VERSION, MISSING_EXPORT,
 *   NON_FUNCTION_IMPORT, ABORT_IMPORT, FORBIDDEN_IMPORT, UNSUPPORTED_FEATURE, FLOAT_TYPE,
 *   FLOAT_INSTRUCTION, SIMD_INSTRUCTION, UNSUPPORTED_INSTRUCTION, TOO_MANY_FUNCTIONS,
 *   TOO_MANY_LOCALS, LIMIT_EXCEEDED, INSTRUMENT_ERROR.
 */
export function validateContractCode(
  upload: Uint8Array,
  limitOverrides?: Partial<WasmLimits>,
): ValidatedCode {
  const limits: WasmLimits = { ...WASM_LIMITS, ...limitOverrides };
  const wasm = decompress(upload, limits.maxCodeBytes);
  if (wasm.length > limits.maxCodeBytes) {
    throw new VmError(
      'TOO_LARGE',
      `wasm is ${wasm.length} bytes, the limit is ${limits.maxCodeBytes}: optimize it (wasm-opt -Oz)`,
    );
  }
  // Counts (functions, locals, imports, ...) are bounded while parsing: TOO_MANY_FUNCTIONS,
  // TOO_MANY_LOCALS, LIMIT_EXCEEDED come from here.
  const module = parseModule(wasm, limits);
  checkMemory(module, limits);
  if (module.start !== undefined) {
    throw new VmError(
      'START_FUNCTION',
      `the module has a start function (function ${module.start}); contracts may not run code at instantiation`,
    );
  }
  const interfaceVersion = detectInterfaceVersion(module);
  checkImports(module, interfaceVersion);
  const exports = checkExports(module, interfaceVersion);
  const features = checkFeatures(module);
  checkFloatTypes(module);
  checkVectorTypes(module);
  checkBodies(module, limits);
  if (!engineValidates(wasm)) {
    throw new VmError(
      'INVALID_WASM',
      'the engine rejects the module (type error or unsupported feature): run wasm-validate on it',
    );
  }
  const instrumented = instrumentContract(module, { maxPages: limits.maxPages });
  if (!engineValidates(instrumented)) {
    throw new VmError(
      'INSTRUMENT_ERROR',
      'the metered module does not validate (a function body too large once metered, or an instrumentation bug): split large functions or report it',
    );
  }
  return {
    wasm,
    codeHash: createHash('sha256').update(wasm).digest('hex'),
    interfaceVersion,
    features,
    exports,
  };
}

/** `WebAssembly.validate` (its lib type wants an ArrayBuffer-backed view; ours always are). */
export function engineValidates(bytes: Uint8Array): boolean {
  return WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>);
}

/** gzip (magic 1f 8b 08) is inflated with a hard output cap so a gzip bomb fails fast. */
function decompress(upload: Uint8Array, maxBytes: number): Uint8Array {
  if (upload.length > maxBytes && !isGzip(upload)) {
    throw new VmError('TOO_LARGE', `upload is ${upload.length} bytes, the limit is ${maxBytes}`);
  }
  if (!isGzip(upload)) return upload;
  try {
    return new Uint8Array(gunzipSync(upload, { maxOutputLength: maxBytes }));
  } catch (error) {
    const tooLarge =
      error instanceof RangeError || (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
    throw new VmError(
      'GZIP_ERROR',
      tooLarge
        ? `gzip upload inflates past the ${maxBytes}-byte limit`
        : 'gzip upload is corrupt or truncated: re-compress it',
    );
  }
}

function isGzip(bytes: Uint8Array): boolean {
  return GZIP_MAGIC.every((b, i) => bytes[i] === b);
}

function checkMemory(module: WasmModule, limits: WasmLimits): void {
  const imported = module.imports.filter((imp) => imp.kind === 'memory').length;
  const total = imported + module.memories.length;
  if (total > 1)
    throw new VmError('MULTIPLE_MEMORIES', `the module has ${total} memories; exactly one is allowed`);
  if (imported > 0)
    throw new VmError('IMPORTED_MEMORY', 'the memory is imported; the contract must define its own memory');
  const memory = module.memories[0];
  if (memory === undefined)
    throw new VmError('NO_MEMORY', 'the module defines no memory; a contract needs exactly one');
  if (memory.min > limits.maxInitialPages) {
    throw new VmError(
      'MEMORY_TOO_LARGE',
      `initial memory is ${memory.min} pages, the limit is ${limits.maxInitialPages}`,
    );
  }
  if (memory.max !== undefined) {
    throw new VmError(
      'MEMORY_MAX_DECLARED',
      `the memory declares a maximum (${memory.max} pages); leave it unset, the host sets it`,
    );
  }
}

function functionExports(module: WasmModule): string[] {
  return module.exports.filter((e) => e.kind === 'func').map((e) => e.name);
}

function detectInterfaceVersion(module: WasmModule): InterfaceVersion {
  for (const name of functionExports(module)) {
    const version = INTERFACE_MARKERS[name];
    if (version !== undefined) return version;
  }
  throw new VmError(
    'MISSING_INTERFACE_VERSION',
    'no interface marker export: a contract must export interface_version_8 (CosmWasm v1) or cosmwasm_vm_version_3 (v0.10)',
  );
}

function checkImports(module: WasmModule, version: InterfaceVersion): void {
  const allowed = ALLOWED_IMPORTS[version];
  for (const imp of module.imports) {
    const full = `${imp.module}.${imp.name}`;
    if (imp.kind !== 'func') {
      throw new VmError(
        'NON_FUNCTION_IMPORT',
        `import "${full}" is a ${imp.kind}; contracts may import only functions`,
      );
    }
    if (imp.module === 'env' && imp.name === 'abort') {
      throw new VmError(
        'ABORT_IMPORT',
        'import "env.abort" is not provided (CONTRACT_ABI §2); AssemblyScript: build with --use abort=',
      );
    }
    if (imp.module !== 'env' || !allowed.has(imp.name)) {
      throw new VmError(
        'FORBIDDEN_IMPORT',
        `import "${full}" is not provided by the ${version} host (CONTRACT_ABI §2)`,
      );
    }
  }
}

function checkExports(module: WasmModule, version: InterfaceVersion): string[] {
  const names = functionExports(module);
  const present = new Set(names);
  for (const required of REQUIRED_EXPORTS[version]) {
    if (!present.has(required)) {
      throw new VmError('MISSING_EXPORT', `a ${version} contract must export the function "${required}"`);
    }
  }
  return names;
}

function checkFeatures(module: WasmModule): string[] {
  const features: string[] = [];
  for (const name of functionExports(module)) {
    if (!name.startsWith('requires_')) continue;
    const feature = name.slice('requires_'.length);
    if (feature === '') continue; // CosmWasm ignores a bare "requires_"
    if (!SUPPORTED_FEATURES.has(feature)) {
      throw new VmError(
        'UNSUPPORTED_FEATURE',
        `the contract requires feature "${feature}"; supported: ${[...SUPPORTED_FEATURES].join(', ')}`,
      );
    }
    features.push(feature);
  }
  return [...new Set(features)].sort();
}

/** f32/f64 in types, locals, globals and imports (CONTRACT_ABI §6: no floating point). */
function checkFloatTypes(module: WasmModule): void {
  module.types.forEach((type, i) => {
    const float = [...type.params, ...type.results].find(isFloatType);
    if (float !== undefined)
      throw new VmError('FLOAT_TYPE', `type ${i} uses ${valTypeName(float)}: floating point is not allowed`);
  });
  module.globals.forEach((global, i) => {
    const op = constExprOpcode(global.init);
    if (isFloatType(global.valType) || op === Op.f32_const || op === Op.f64_const) {
      throw new VmError(
        'FLOAT_TYPE',
        `global ${i} is ${valTypeName(global.valType)}: floating point is not allowed`,
      );
    }
  });
  for (const imp of module.imports) {
    if (imp.globalType && isFloatType(imp.globalType.valType)) {
      throw new VmError('FLOAT_TYPE', `import "${imp.module}.${imp.name}" is a float global`);
    }
  }
  module.bodies.forEach((body, i) => {
    const local = body.locals.find((l) => isFloatType(l.valType));
    if (local) {
      throw new VmError(
        'FLOAT_TYPE',
        `function ${i + module.importedFunctionCount} has a ${valTypeName(local.valType)} local: floating point is not allowed`,
      );
    }
  });
}

/** v128 values need SIMD even without a 0xFD instruction in sight (a v128 param, local or global). */
function checkVectorTypes(module: WasmModule): void {
  const v128 = (t: number): boolean => t === ValType.v128;
  const where =
    module.types.findIndex((t) => [...t.params, ...t.results].some(v128)) >= 0
      ? 'a function type'
      : module.globals.some((g) => v128(g.valType))
        ? 'a global'
        : module.bodies.some((b) => b.locals.some((l) => v128(l.valType)))
          ? 'a local'
          : undefined;
  if (where !== undefined)
    throw new VmError('SIMD_INSTRUCTION', `v128 (SIMD) type in ${where}: SIMD is not allowed`);
}

/** Decodes every body: float and SIMD instructions, float block types, unmetered table ops. */
function checkBodies(module: WasmModule, limits: WasmLimits): void {
  module.bodies.forEach((body, i) => {
    const functionIndex = i + module.importedFunctionCount;
    const instructions = decodeBody(body.code, { functionIndex, codeOffset: body.codeOffset, limits });
    for (const ins of instructions) {
      const at = `function ${functionIndex} at byte ${body.codeOffset + ins.start}`;
      const info = opcodeInfo(ins.op);
      if (info?.float) {
        throw new VmError('FLOAT_INSTRUCTION', `${info.name} in ${at}: floating point is not allowed`);
      }
      if (ins.op === Op.block || ins.op === Op.loop || ins.op === Op.if) {
        const float = blockTypeValTypes(module, ins.imm).find(isFloatType);
        if (float !== undefined)
          throw new VmError('FLOAT_TYPE', `block of type ${valTypeName(float)} in ${at}`);
      }
      if (ins.op === Op.block || ins.op === Op.loop || ins.op === Op.if) {
        if (blockTypeValTypes(module, ins.imm).includes(ValType.v128)) {
          throw new VmError('SIMD_INSTRUCTION', `block of type v128 in ${at}: SIMD is not allowed`);
        }
      }
      if (ins.types?.includes(ValType.v128)) throw new VmError('SIMD_INSTRUCTION', `select of v128 in ${at}`);
      if (ins.types?.some(isFloatType)) throw new VmError('FLOAT_TYPE', `select of a float type in ${at}`);
      if (UNMETERED_TABLE_OPS.has(ins.op)) {
        throw new VmError(
          'UNSUPPORTED_INSTRUCTION',
          `${info?.name ?? 'table op'} in ${at}: table bulk operations are not allowed`,
        );
      }
    }
  });
}
