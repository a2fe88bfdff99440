// Module parser for the WebAssembly binary format (spec §5.5): every section of the MVP plus
// datacount, with bounded counts. It keeps each section's byte range so instrumentation can
// copy sections it does not change. Function bodies are kept raw; code.ts decodes them.

import { VmError } from '../errors.js';
import { WASM_LIMITS, type WasmLimits } from '../limits.js';
import { WasmReader, parseError } from './reader.js';
import { isValType } from './opcodes.js';

export const WASM_MAGIC = Uint8Array.of(0x00, 0x61, 0x73, 0x6d);
export const WASM_VERSION = 1;

export const SectionId = {
  custom: 0,
  type: 1,
  import: 2,
  function: 3,
  table: 4,
  memory: 5,
  global: 6,
  export: 7,
  start: 8,
  element: 9,
  code: 10,
  data: 11,
  dataCount: 12,
} as const;

/** Order in which non-custom sections must appear (spec §5.5.2: datacount sits before code). */
export const SECTION_ORDER: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 10, 11];

export interface FuncType {
  params: number[];
  results: number[];
}
export interface Limits {
  min: number;
  max?: number;
}
export type ExternalKind = 'func' | 'table' | 'memory' | 'global';
export interface Import {
  module: string;
  name: string;
  kind: ExternalKind;
  /** func: type index. */
  typeIndex?: number;
  /** global: value type and mutability. */
  globalType?: { valType: number; mutable: boolean };
  /** memory or table limits. */
  limits?: Limits;
  offset: number;
}
export interface Global {
  valType: number;
  mutable: boolean;
  /** Raw constant expression bytes, including the final `end`. */
  init: Uint8Array;
}
export interface Export {
  name: string;
  kind: ExternalKind;
  index: number;
}
export interface FunctionBody {
  /** Local declarations: (count, type) runs. */
  locals: { count: number; valType: number }[];
  /** Total declared locals (excluding params). */
  localCount: number;
  /** Raw instruction bytes (from the first instruction through the final `end`). */
  code: Uint8Array;
  /** Offset of `code` in the module binary (for error messages). */
  codeOffset: number;
}
export interface SectionSpan {
  id: number;
  /** Offset of the section id byte. */
  start: number;
  /** Offset of the payload's first byte. */
  payloadStart: number;
  /** Offset just after the payload. */
  end: number;
  /** Custom sections: their name. */
  name?: string;
}
export interface WasmModule {
  bytes: Uint8Array;
  sections: SectionSpan[];
  types: FuncType[];
  imports: Import[];
  /** Type index of each defined function. */
  functions: number[];
  tables: { refType: number; limits: Limits }[];
  memories: Limits[];
  globals: Global[];
  exports: Export[];
  start?: number;
  elementCount: number;
  dataCount?: number;
  dataSegmentCount: number;
  bodies: FunctionBody[];
  importedFunctionCount: number;
  /** Type index of every function in the function index space (imports first). */
  functionTypeIndices: number[];
}

const KINDS: readonly ExternalKind[] = ['func', 'table', 'memory', 'global'];

/**
 * Parses a wasm binary. Checks structure, not types: `WebAssembly.validate` does the rest.
 * @throws VmError NOT_WASM / BAD_VERSION (header) or PARSE_ERROR (anything malformed or over a limit).
 */
export function parseModule(bytes: Uint8Array, limits: WasmLimits = WASM_LIMITS): WasmModule {
  const reader = new WasmReader(bytes);
  checkHeader(bytes);
  reader.skip(8);
  const module: WasmModule = {
    bytes,
    sections: [],
    types: [],
    imports: [],
    functions: [],
    tables: [],
    memories: [],
    globals: [],
    exports: [],
    elementCount: 0,
    dataSegmentCount: 0,
    bodies: [],
    importedFunctionCount: 0,
    functionTypeIndices: [],
  };
  let lastOrder = -1;
  while (!reader.atEnd()) {
    const start = reader.pos;
    const id = reader.u8();
    const size = reader.u32();
    const payloadStart = reader.pos;
    if (size > reader.remaining) parseError(`section ${id} size ${size} exceeds the bytes left`, start);
    const end = payloadStart + size;
    const span: SectionSpan = { id, start, payloadStart, end };
    const section = new WasmReader(bytes, payloadStart, end);
    if (id === SectionId.custom) {
      span.name = section.name();
    } else {
      const order = SECTION_ORDER.indexOf(id);
      if (order < 0) parseError(`unknown section id ${id}`, start);
      if (order <= lastOrder) parseError(`section ${id} out of order or duplicated`, start);
      lastOrder = order;
      parseSection(module, id, section, limits);
      if (!section.atEnd()) parseError(`section ${id} has ${section.remaining} trailing bytes`, section.pos);
    }
    module.sections.push(span);
    reader.pos = end;
  }
  if (module.functions.length !== module.bodies.length) {
    parseError(
      `function section declares ${module.functions.length} functions, code section has ${module.bodies.length}`,
      bytes.length,
    );
  }
  if (module.dataCount !== undefined && module.dataCount !== module.dataSegmentCount) {
    parseError(
      `datacount ${module.dataCount} differs from ${module.dataSegmentCount} data segments`,
      bytes.length,
    );
  }
  for (const imp of module.imports)
    if (imp.kind === 'func') module.functionTypeIndices.push(imp.typeIndex ?? 0);
  module.functionTypeIndices.push(...module.functions);
  for (const [i, t] of module.functionTypeIndices.entries()) {
    if (t >= module.types.length)
      parseError(`function ${i} uses type ${t}, module has ${module.types.length} types`, bytes.length);
  }
  return module;
}

/** @throws VmError NOT_WASM or BAD_VERSION. */
export function checkHeader(bytes: Uint8Array): void {
  if (bytes.length < 4 || !WASM_MAGIC.every((b, i) => bytes[i] === b)) {
    throw new VmError(
      'NOT_WASM',
      'not a wasm module: the first bytes are not \\0asm (upload raw or gzipped wasm)',
    );
  }
  if (bytes.length < 8) parseError('truncated header', bytes.length);
  const version =
    (bytes[4] as number) |
    ((bytes[5] as number) << 8) |
    ((bytes[6] as number) << 16) |
    ((bytes[7] as number) << 24);
  if (version !== WASM_VERSION) {
    throw new VmError(
      'BAD_VERSION',
      `wasm binary version ${version >>> 0} is not supported (only version 1)`,
    );
  }
}

function parseSection(module: WasmModule, id: number, r: WasmReader, limits: WasmLimits): void {
  switch (id) {
    case SectionId.type:
      return parseTypes(module, r, limits);
    case SectionId.import:
      return parseImports(module, r, limits);
    case SectionId.function: {
      const n = r.count('function', limits.maxFunctions, 1, 'TOO_MANY_FUNCTIONS');
      for (let i = 0; i < n; i++) module.functions.push(r.u32());
      const total = module.functions.length + module.importedFunctionCount;
      if (total > limits.maxFunctions) {
        throw new VmError('TOO_MANY_FUNCTIONS', `${total} functions, the limit is ${limits.maxFunctions}`);
      }
      return;
    }
    case SectionId.table: {
      const n = r.count('table', 100, 2);
      for (let i = 0; i < n; i++) module.tables.push(parseTableType(r, limits));
      return;
    }
    case SectionId.memory: {
      const n = r.count('memory', 100, 2);
      for (let i = 0; i < n; i++) module.memories.push(parseLimits(r, 65_536));
      return;
    }
    case SectionId.global: {
      const n = r.count('global', limits.maxGlobals, 3);
      for (let i = 0; i < n; i++) {
        const { valType, mutable } = parseGlobalType(r);
        module.globals.push({ valType, mutable, init: parseConstExpr(r) });
      }
      return;
    }
    case SectionId.export: {
      const n = r.count('export', limits.maxExports, 3);
      const seen = new Set<string>();
      for (let i = 0; i < n; i++) {
        const at = r.pos;
        const name = r.name();
        if (seen.has(name)) parseError(`duplicate export name "${name}"`, at);
        seen.add(name);
        module.exports.push({ name, kind: parseKind(r), index: r.u32() });
      }
      return;
    }
    case SectionId.start:
      module.start = r.u32();
      return;
    case SectionId.element:
      return parseElements(module, r, limits);
    case SectionId.code:
      return parseCode(module, r, limits);
    case SectionId.data:
      return parseData(module, r, limits);
    case SectionId.dataCount:
      module.dataCount = r.u32();
      if (module.dataCount > limits.maxSegments)
        parseError(`datacount ${module.dataCount} exceeds limit`, r.pos);
      return;
    default:
      parseError(`unknown section id ${id}`, r.pos);
  }
}

function parseValType(r: WasmReader): number {
  const at = r.pos;
  const byte = r.u8();
  if (!isValType(byte)) parseError(`invalid value type 0x${byte.toString(16)}`, at);
  return byte;
}

function parseTypes(module: WasmModule, r: WasmReader, limits: WasmLimits): void {
  const n = r.count('type', limits.maxTypes, 3);
  for (let i = 0; i < n; i++) {
    const at = r.pos;
    if (r.u8() !== 0x60) parseError('function type must start with 0x60', at);
    const params: number[] = [];
    const results: number[] = [];
    const np = r.count('param', limits.maxParams);
    for (let j = 0; j < np; j++) params.push(parseValType(r));
    const nr = r.count('result', limits.maxParams);
    for (let j = 0; j < nr; j++) results.push(parseValType(r));
    module.types.push({ params, results });
  }
}

function parseKind(r: WasmReader): ExternalKind {
  const at = r.pos;
  const kind = KINDS[r.u8()];
  if (kind === undefined) parseError('invalid external kind', at);
  return kind;
}

function parseLimits(r: WasmReader, maxValue: number): Limits {
  const at = r.pos;
  const flag = r.u8();
  if (flag !== 0 && flag !== 1)
    parseError(`invalid limits flag ${flag} (shared or 64-bit memories are not supported)`, at);
  const min = r.u32();
  if (min > maxValue) parseError(`limit minimum ${min} exceeds ${maxValue}`, at);
  if (flag === 0) return { min };
  const max = r.u32();
  if (max > maxValue || max < min) parseError(`limit maximum ${max} invalid`, at);
  return { min, max };
}

function parseTableType(r: WasmReader, limits: WasmLimits): { refType: number; limits: Limits } {
  const at = r.pos;
  const refType = r.u8();
  if (refType !== 0x70 && refType !== 0x6f) parseError('table element type must be funcref or externref', at);
  const tableLimits = parseLimits(r, 0xffffffff);
  if (tableLimits.min > limits.maxTableElements)
    throw new VmError(
      'LIMIT_EXCEEDED',
      `table size ${tableLimits.min} at byte ${at} exceeds the limit ${limits.maxTableElements}`,
    );
  return { refType, limits: tableLimits };
}

function parseGlobalType(r: WasmReader): { valType: number; mutable: boolean } {
  const valType = parseValType(r);
  const at = r.pos;
  const mut = r.u8();
  if (mut > 1) parseError('invalid global mutability', at);
  return { valType, mutable: mut === 1 };
}

/**
 * Constant expression (spec §3.3.10): one constant-producing instruction then `end`. Returns
 * the raw bytes including `end`. Floats are allowed by the parser; validation rejects them.
 */
export function parseConstExpr(r: WasmReader): Uint8Array {
  const start = r.pos;
  const op = r.u8();
  switch (op) {
    case 0x41:
      r.i32();
      break;
    case 0x42:
      r.i64();
      break;
    case 0x43:
      r.skip(4);
      break;
    case 0x44:
      r.skip(8);
      break;
    case 0x23: // global.get
    case 0xd2: // ref.func
      r.u32();
      break;
    case 0xd0: // ref.null t
      r.u8();
      break;
    default:
      parseError(`unsupported constant expression opcode 0x${op.toString(16)}`, start);
  }
  const at = r.pos;
  if (r.u8() !== 0x0b) parseError('constant expression must end after one instruction', at);
  return r.bytes.subarray(start, r.pos);
}

/** First byte of a constant expression (to detect f32.const / f64.const). */
export function constExprOpcode(expr: Uint8Array): number {
  return expr[0] as number;
}

function parseImports(module: WasmModule, r: WasmReader, limits: WasmLimits): void {
  const n = r.count('import', limits.maxImports, 4);
  for (let i = 0; i < n; i++) {
    const offset = r.pos;
    const moduleName = r.name();
    const name = r.name();
    const kind = parseKind(r);
    const entry: Import = { module: moduleName, name, kind, offset };
    if (kind === 'func') {
      entry.typeIndex = r.u32();
      module.importedFunctionCount++;
    } else if (kind === 'table') {
      entry.limits = parseTableType(r, limits).limits;
    } else if (kind === 'memory') {
      entry.limits = parseLimits(r, 65_536);
    } else {
      entry.globalType = parseGlobalType(r);
    }
    module.imports.push(entry);
  }
}

/** Element segments, all 8 encodings (spec §5.5.12). Kept raw; only counted and bounded. */
function parseElements(module: WasmModule, r: WasmReader, limits: WasmLimits): void {
  const n = r.count('element segment', limits.maxSegments, 2);
  module.elementCount = n;
  for (let i = 0; i < n; i++) {
    const at = r.pos;
    const flags = r.u32();
    if (flags > 7) parseError(`invalid element segment flags ${flags}`, at);
    const passiveOrDeclarative = (flags & 1) !== 0;
    const explicitTable = (flags & 2) !== 0;
    const usesExpressions = (flags & 4) !== 0;
    if (!passiveOrDeclarative) {
      if (explicitTable) r.u32();
      parseConstExpr(r);
    }
    if (passiveOrDeclarative || explicitTable) {
      // elemkind (0x00 = funcref) for index lists, reftype for expression lists.
      const kindAt = r.pos;
      const kind = r.u8();
      if (usesExpressions ? kind !== 0x70 && kind !== 0x6f : kind !== 0x00)
        parseError('invalid element kind', kindAt);
    }
    const count = r.count('element', limits.maxTableElements);
    for (let j = 0; j < count; j++) {
      if (usesExpressions) parseConstExpr(r);
      else r.u32();
    }
  }
}

function parseData(module: WasmModule, r: WasmReader, limits: WasmLimits): void {
  const n = r.count('data segment', limits.maxSegments, 1);
  module.dataSegmentCount = n;
  for (let i = 0; i < n; i++) {
    const at = r.pos;
    const flags = r.u32();
    if (flags === 0) {
      parseConstExpr(r);
    } else if (flags === 2) {
      if (r.u32() !== 0) parseError('data segment for memory other than 0', at);
      parseConstExpr(r);
    } else if (flags !== 1) {
      parseError(`invalid data segment flags ${flags}`, at);
    }
    const size = r.u32();
    r.skip(size);
  }
}

function parseCode(module: WasmModule, r: WasmReader, limits: WasmLimits): void {
  const n = r.count('function body', limits.maxFunctions, 2, 'TOO_MANY_FUNCTIONS');
  for (let i = 0; i < n; i++) {
    const at = r.pos;
    const size = r.u32();
    if (size === 0) parseError(`function body ${i} is empty`, at);
    if (size > r.remaining) parseError(`function body ${i} size ${size} exceeds the bytes left`, at);
    const end = r.pos + size;
    const body = new WasmReader(r.bytes, r.pos, end);
    const groups = body.count('local group', limits.maxLocalsPerFunction, 2, 'TOO_MANY_LOCALS');
    const locals: { count: number; valType: number }[] = [];
    let localCount = 0;
    for (let j = 0; j < groups; j++) {
      const countAt = body.pos;
      const count = body.u32();
      localCount += count;
      if (localCount > limits.maxLocalsPerFunction) {
        throw new VmError(
          'TOO_MANY_LOCALS',
          `function ${i + module.importedFunctionCount} at byte ${countAt} declares more than ${limits.maxLocalsPerFunction} locals`,
        );
      }
      locals.push({ count, valType: parseValType(body) });
    }
    if (body.atEnd()) parseError(`function body ${i} has no instructions`, body.pos);
    if (r.bytes[end - 1] !== 0x0b) parseError(`function body ${i} does not end with 'end'`, end - 1);
    module.bodies.push({ locals, localCount, code: r.bytes.subarray(body.pos, end), codeOffset: body.pos });
    r.pos = end;
  }
}

/** Type of function `index` in the function index space (imports first), or undefined. */
export function functionType(module: WasmModule, index: number): FuncType | undefined {
  const typeIndex = module.functionTypeIndices[index];
  return typeIndex === undefined ? undefined : module.types[typeIndex];
}
