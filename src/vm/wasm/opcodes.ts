// The opcode table that drives the function-body decoder (WebAssembly spec §5.4, plus the
// finished proposals V8 ships: sign-extension, non-trapping float-to-int (0xFC 0–7), bulk
// memory (0xFC 8–17), multi-value, reference types). For each opcode: the shape of its
// immediates, its operand-stack effect (for the stack-height weight of src/vm/instrument.ts),
// and whether it touches floating point (rejected at upload, CONTRACT_ABI §6).

/** Shape of an instruction's immediates. */
export type Immediate =
  | 'none'
  | 'blocktype' // block, loop, if: 0x40 | valtype | s33 type index
  | 'label' // br, br_if: u32
  | 'br_table' // vec(u32) + u32
  | 'func' // call, ref.func: u32
  | 'call_indirect' // type u32, table u32
  | 'local' // u32
  | 'global' // u32
  | 'table' // u32
  | 'memarg' // align u32, offset u32
  | 'memory' // memory index: u32, must be 0 (single memory)
  | 'i32'
  | 'i64'
  | 'f32' // 4 raw bytes
  | 'f64' // 8 raw bytes
  | 'select_t' // vec(valtype)
  | 'reftype' // one byte
  | 'data' // data index u32
  | 'data_memory' // data index u32, memory u32 (memory.init)
  | 'memory_memory' // two memory indices (memory.copy)
  | 'elem' // elem index u32
  | 'elem_table' // elem index, table index (table.init)
  | 'table_table'; // two table indices (table.copy)

export interface OpcodeInfo {
  readonly name: string;
  readonly immediate: Immediate;
  /** Operands popped, or -1 when it depends on types (calls, blocks, branches). */
  readonly pop: number;
  /** Results pushed, or -1 when it depends on types. */
  readonly push: number;
  /** Uses f32/f64 (load, store, const, arithmetic, comparison, conversion, reinterpret). */
  readonly float: boolean;
}

/** Opcode key for 0xFC-prefixed instructions: 0xFC00 | sub-opcode. */
export const PREFIX_FC = 0xfc;
export const PREFIX_SIMD = 0xfd;
export const fcKey = (sub: number): number => 0xfc00 | sub;

export const Op = {
  unreachable: 0x00,
  nop: 0x01,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  br_if: 0x0d,
  br_table: 0x0e,
  return: 0x0f,
  call: 0x10,
  call_indirect: 0x11,
  return_call: 0x12,
  return_call_indirect: 0x13,
  drop: 0x1a,
  select: 0x1b,
  local_get: 0x20,
  local_set: 0x21,
  local_tee: 0x22,
  global_get: 0x23,
  global_set: 0x24,
  i32_const: 0x41,
  i64_const: 0x42,
  f32_const: 0x43,
  f64_const: 0x44,
  i32_add: 0x6a,
  i32_sub: 0x6b,
  i32_gt_u: 0x4b,
  i64_lt_u: 0x54,
  i64_sub: 0x7d,
  i64_mul: 0x7e,
  i64_extend_i32_u: 0xad,
  memory_size: 0x3f,
  memory_grow: 0x40,
  memory_init: fcKey(8),
  memory_copy: fcKey(10),
  memory_fill: fcKey(11),
} as const;

const table = new Map<number, OpcodeInfo>();

function def(
  code: number,
  name: string,
  immediate: Immediate,
  pop: number,
  push: number,
  float = false,
): void {
  table.set(code, { name, immediate, pop, push, float });
}

function range(
  from: number,
  names: string[],
  pop: number,
  push: number,
  float: (name: string) => boolean,
): void {
  names.forEach((name, i) => def(from + i, name, 'none', pop, push, float(name)));
}

const isFloatName = (name: string): boolean => /f32|f64/.test(name);

// Control (spec §5.4.1). Block-like stack effects are handled by the decoder's control stack.
def(0x00, 'unreachable', 'none', 0, 0);
def(0x01, 'nop', 'none', 0, 0);
def(0x02, 'block', 'blocktype', -1, -1);
def(0x03, 'loop', 'blocktype', -1, -1);
def(0x04, 'if', 'blocktype', -1, -1);
def(0x05, 'else', 'none', -1, -1);
def(0x0b, 'end', 'none', -1, -1);
def(0x0c, 'br', 'label', -1, -1);
def(0x0d, 'br_if', 'label', 1, 0);
def(0x0e, 'br_table', 'br_table', -1, -1);
def(0x0f, 'return', 'none', -1, -1);
def(0x10, 'call', 'func', -1, -1);
def(0x11, 'call_indirect', 'call_indirect', -1, -1);
// Parametric (§5.4.2) and reference (§5.4.3).
def(0x1a, 'drop', 'none', 1, 0);
def(0x1b, 'select', 'none', 3, 1);
def(0x1c, 'select_t', 'select_t', 3, 1);
def(0xd0, 'ref.null', 'reftype', 0, 1);
def(0xd1, 'ref.is_null', 'none', 1, 1);
def(0xd2, 'ref.func', 'func', 0, 1);
// Variable (§5.4.4) and table (§5.4.5).
def(0x20, 'local.get', 'local', 0, 1);
def(0x21, 'local.set', 'local', 1, 0);
def(0x22, 'local.tee', 'local', 1, 1);
def(0x23, 'global.get', 'global', 0, 1);
def(0x24, 'global.set', 'global', 1, 0);
def(0x25, 'table.get', 'table', 1, 1);
def(0x26, 'table.set', 'table', 2, 0);
// Memory (§5.4.6).
const loads = [
  'i32.load',
  'i64.load',
  'f32.load',
  'f64.load',
  'i32.load8_s',
  'i32.load8_u',
  'i32.load16_s',
  'i32.load16_u',
  'i64.load8_s',
  'i64.load8_u',
  'i64.load16_s',
  'i64.load16_u',
  'i64.load32_s',
  'i64.load32_u',
];
loads.forEach((name, i) => def(0x28 + i, name, 'memarg', 1, 1, isFloatName(name)));
const stores = [
  'i32.store',
  'i64.store',
  'f32.store',
  'f64.store',
  'i32.store8',
  'i32.store16',
  'i64.store8',
  'i64.store16',
  'i64.store32',
];
stores.forEach((name, i) => def(0x36 + i, name, 'memarg', 2, 0, isFloatName(name)));
def(0x3f, 'memory.size', 'memory', 0, 1);
def(0x40, 'memory.grow', 'memory', 1, 1);
// Numeric (§5.4.7).
def(0x41, 'i32.const', 'i32', 0, 1);
def(0x42, 'i64.const', 'i64', 0, 1);
def(0x43, 'f32.const', 'f32', 0, 1, true);
def(0x44, 'f64.const', 'f64', 0, 1, true);
def(0x45, 'i32.eqz', 'none', 1, 1);
range(
  0x46,
  [
    'i32.eq',
    'i32.ne',
    'i32.lt_s',
    'i32.lt_u',
    'i32.gt_s',
    'i32.gt_u',
    'i32.le_s',
    'i32.le_u',
    'i32.ge_s',
    'i32.ge_u',
  ],
  2,
  1,
  isFloatName,
);
def(0x50, 'i64.eqz', 'none', 1, 1);
range(
  0x51,
  [
    'i64.eq',
    'i64.ne',
    'i64.lt_s',
    'i64.lt_u',
    'i64.gt_s',
    'i64.gt_u',
    'i64.le_s',
    'i64.le_u',
    'i64.ge_s',
    'i64.ge_u',
  ],
  2,
  1,
  isFloatName,
);
range(
  0x5b,
  [
    'f32.eq',
    'f32.ne',
    'f32.lt',
    'f32.gt',
    'f32.le',
    'f32.ge',
    'f64.eq',
    'f64.ne',
    'f64.lt',
    'f64.gt',
    'f64.le',
    'f64.ge',
  ],
  2,
  1,
  isFloatName,
);
range(0x67, ['i32.clz', 'i32.ctz', 'i32.popcnt'], 1, 1, isFloatName);
range(
  0x6a,
  [
    'i32.add',
    'i32.sub',
    'i32.mul',
    'i32.div_s',
    'i32.div_u',
    'i32.rem_s',
    'i32.rem_u',
    'i32.and',
    'i32.or',
    'i32.xor',
    'i32.shl',
    'i32.shr_s',
    'i32.shr_u',
    'i32.rotl',
    'i32.rotr',
  ],
  2,
  1,
  isFloatName,
);
range(0x79, ['i64.clz', 'i64.ctz', 'i64.popcnt'], 1, 1, isFloatName);
range(
  0x7c,
  [
    'i64.add',
    'i64.sub',
    'i64.mul',
    'i64.div_s',
    'i64.div_u',
    'i64.rem_s',
    'i64.rem_u',
    'i64.and',
    'i64.or',
    'i64.xor',
    'i64.shl',
    'i64.shr_s',
    'i64.shr_u',
    'i64.rotl',
    'i64.rotr',
  ],
  2,
  1,
  isFloatName,
);
range(
  0x8b,
  ['f32.abs', 'f32.neg', 'f32.ceil', 'f32.floor', 'f32.trunc', 'f32.nearest', 'f32.sqrt'],
  1,
  1,
  isFloatName,
);
range(
  0x92,
  ['f32.add', 'f32.sub', 'f32.mul', 'f32.div', 'f32.min', 'f32.max', 'f32.copysign'],
  2,
  1,
  isFloatName,
);
range(
  0x99,
  ['f64.abs', 'f64.neg', 'f64.ceil', 'f64.floor', 'f64.trunc', 'f64.nearest', 'f64.sqrt'],
  1,
  1,
  isFloatName,
);
range(
  0xa0,
  ['f64.add', 'f64.sub', 'f64.mul', 'f64.div', 'f64.min', 'f64.max', 'f64.copysign'],
  2,
  1,
  isFloatName,
);
range(
  0xa7,
  [
    'i32.wrap_i64',
    'i32.trunc_f32_s',
    'i32.trunc_f32_u',
    'i32.trunc_f64_s',
    'i32.trunc_f64_u',
    'i64.extend_i32_s',
    'i64.extend_i32_u',
    'i64.trunc_f32_s',
    'i64.trunc_f32_u',
    'i64.trunc_f64_s',
    'i64.trunc_f64_u',
    'f32.convert_i32_s',
    'f32.convert_i32_u',
    'f32.convert_i64_s',
    'f32.convert_i64_u',
    'f32.demote_f64',
    'f64.convert_i32_s',
    'f64.convert_i32_u',
    'f64.convert_i64_s',
    'f64.convert_i64_u',
    'f64.promote_f32',
    'i32.reinterpret_f32',
    'i64.reinterpret_f64',
    'f32.reinterpret_i32',
    'f64.reinterpret_i64',
  ],
  1,
  1,
  isFloatName,
);
// Sign-extension operators.
range(
  0xc0,
  ['i32.extend8_s', 'i32.extend16_s', 'i64.extend8_s', 'i64.extend16_s', 'i64.extend32_s'],
  1,
  1,
  isFloatName,
);
// 0xFC prefix: non-trapping float-to-int (0–7, all float) and bulk memory / table ops (8–17).
range(
  fcKey(0),
  [
    'i32.trunc_sat_f32_s',
    'i32.trunc_sat_f32_u',
    'i32.trunc_sat_f64_s',
    'i32.trunc_sat_f64_u',
    'i64.trunc_sat_f32_s',
    'i64.trunc_sat_f32_u',
    'i64.trunc_sat_f64_s',
    'i64.trunc_sat_f64_u',
  ],
  1,
  1,
  () => true,
);
def(fcKey(8), 'memory.init', 'data_memory', 3, 0);
def(fcKey(9), 'data.drop', 'data', 0, 0);
def(fcKey(10), 'memory.copy', 'memory_memory', 3, 0);
def(fcKey(11), 'memory.fill', 'memory', 3, 0);
def(fcKey(12), 'table.init', 'elem_table', 3, 0);
def(fcKey(13), 'elem.drop', 'elem', 0, 0);
def(fcKey(14), 'table.copy', 'table_table', 3, 0);
def(fcKey(15), 'table.grow', 'table', 2, 1);
def(fcKey(16), 'table.size', 'table', 0, 1);
def(fcKey(17), 'table.fill', 'table', 3, 0);

/** Looks up an opcode (0xFC ops by fcKey). Undefined = unknown to us (PARSE_ERROR). */
export function opcodeInfo(code: number): OpcodeInfo | undefined {
  return table.get(code);
}

/**
 * Table-mutating bulk ops whose cost grows with an operand we do not meter; rejected at
 * upload (UNSUPPORTED_INSTRUCTION). Contracts compiled from Rust or AssemblyScript do not
 * emit them. Memory bulk ops are allowed: instrumentation charges their length.
 */
export const UNMETERED_TABLE_OPS: ReadonlySet<number> = new Set([fcKey(12), fcKey(14), fcKey(15), fcKey(17)]);

/** Tail calls: rejected (UNSUPPORTED_INSTRUCTION); they would skip the stack meter's exit path. */
export const TAIL_CALL_OPS: ReadonlySet<number> = new Set([Op.return_call, Op.return_call_indirect]);

/** Value type bytes (spec §5.3.1). */
export const ValType = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
  funcref: 0x70,
  externref: 0x6f,
} as const;

export function isValType(byte: number): boolean {
  return (
    byte === 0x7f ||
    byte === 0x7e ||
    byte === 0x7d ||
    byte === 0x7c ||
    byte === 0x7b ||
    byte === 0x70 ||
    byte === 0x6f
  );
}

export function isFloatType(byte: number): boolean {
  return byte === ValType.f32 || byte === ValType.f64;
}

export function valTypeName(byte: number): string {
  const entry = Object.entries(ValType).find(([, v]) => v === byte);
  return entry ? entry[0] : `0x${byte.toString(16)}`;
}
