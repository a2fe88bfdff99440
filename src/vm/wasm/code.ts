// Function-body decoder (WebAssembly spec §5.4), driven by the opcode table. It checks the
// block structure (balanced `end`s, `else` only in `if`, nothing after the final `end`) and
// bounds nesting, but leaves typing to `WebAssembly.validate`.

import { VmError } from '../errors.js';
import { WASM_LIMITS, type WasmLimits } from '../limits.js';
import {
  type Immediate,
  Op,
  PREFIX_FC,
  PREFIX_SIMD,
  TAIL_CALL_OPS,
  fcKey,
  isValType,
  opcodeInfo,
} from './opcodes.js';
import { WasmReader, parseError } from './reader.js';
import { type FuncType, type WasmModule } from './module.js';

export interface Instruction {
  /** Opcode byte, or fcKey(sub) for 0xFC-prefixed ops. */
  op: number;
  /** Offset of the opcode in the body's `code` bytes. */
  start: number;
  /** Offset just after its immediates. */
  end: number;
  /**
   * First immediate: block type (s33: -64 empty, negative valtype, or type index), label,
   * function/type/local/global/table/data/elem index, or ref.null's type byte. 0 otherwise.
   */
  imm: number;
  /** select_t: its value types. */
  types?: number[];
}

export interface DecodeContext {
  /** Function index (for messages). */
  functionIndex: number;
  /** Offset of the body in the module binary (for messages). */
  codeOffset: number;
  limits?: WasmLimits;
}

/**
 * Decodes one function body's instructions.
 * @throws VmError PARSE_ERROR (malformed, unknown opcode, bad nesting), SIMD_INSTRUCTION, UNSUPPORTED_INSTRUCTION (tail calls).
 */
export function decodeBody(code: Uint8Array, context: DecodeContext): Instruction[] {
  const limits = context.limits ?? WASM_LIMITS;
  const r = new WasmReader(code);
  const out: Instruction[] = [];
  // Control stack of opcodes that opened a block (to check `else` placement). The function
  // body itself is the outermost entry.
  const control: number[] = [-1];
  const where = (at: number): string =>
    `function ${context.functionIndex} at byte ${context.codeOffset + at}`;
  while (!r.atEnd()) {
    const start = r.pos;
    let op = r.u8();
    if (op === PREFIX_FC) {
      op = fcKey(r.u32());
    } else if (op === PREFIX_SIMD) {
      throw new VmError(
        'SIMD_INSTRUCTION',
        `SIMD instruction (0xFD prefix) in ${where(start)}: SIMD is not allowed in contracts`,
      );
    }
    if (TAIL_CALL_OPS.has(op)) {
      throw new VmError(
        'UNSUPPORTED_INSTRUCTION',
        `tail call in ${where(start)}: tail calls are not allowed in contracts`,
      );
    }
    const info = opcodeInfo(op);
    if (info === undefined) {
      parseError(
        `unknown opcode ${op > 0xff ? `0xfc ${op & 0xff}` : `0x${op.toString(16)}`} in function ${context.functionIndex}`,
        context.codeOffset + start,
      );
    }
    const instruction: Instruction = { op, start, end: start, imm: 0 };
    readImmediate(r, info.immediate, instruction, context, limits);
    instruction.end = r.pos;
    out.push(instruction);
    if (op === Op.block || op === Op.loop || op === Op.if) {
      if (control.length > limits.maxBlockDepth)
        parseError(
          `blocks nested deeper than ${limits.maxBlockDepth} in ${where(start)}`,
          context.codeOffset + start,
        );
      control.push(op);
    } else if (op === Op.else) {
      if (control[control.length - 1] !== Op.if)
        parseError(`'else' outside 'if' in ${where(start)}`, context.codeOffset + start);
      control[control.length - 1] = Op.else;
    } else if (op === Op.end) {
      control.pop();
      if (control.length === 0 && !r.atEnd())
        parseError(`bytes after the final 'end' in ${where(start)}`, context.codeOffset + r.pos);
    }
  }
  if (control.length !== 0)
    parseError(
      `function ${context.functionIndex} body ends inside a block`,
      context.codeOffset + code.length,
    );
  return out;
}

function readImmediate(
  r: WasmReader,
  kind: Immediate,
  ins: Instruction,
  context: DecodeContext,
  limits: WasmLimits,
): void {
  switch (kind) {
    case 'none':
      return;
    case 'blocktype': {
      const at = r.pos;
      const first = r.bytes[r.pos];
      if (first === 0x40) {
        r.u8();
        ins.imm = -64;
      } else if (first !== undefined && isValType(first)) {
        r.u8();
        ins.imm = first - 0x80; // e.g. 0x7f → -1, same as its s33 reading
      } else {
        const index = r.s33();
        if (index < 0) parseError('invalid block type', context.codeOffset + at);
        ins.imm = index;
      }
      return;
    }
    case 'label':
    case 'func':
    case 'local':
    case 'global':
    case 'table':
    case 'data':
    case 'elem':
      ins.imm = r.u32();
      return;
    case 'br_table': {
      const n = r.count('br_table target', limits.maxBrTableTargets);
      for (let i = 0; i < n; i++) r.u32();
      ins.imm = r.u32();
      return;
    }
    case 'call_indirect':
      ins.imm = r.u32();
      r.u32(); // table index
      return;
    case 'memarg':
      r.u32();
      r.u32();
      return;
    case 'memory':
      expectZeroMemory(r, context);
      return;
    case 'memory_memory':
      expectZeroMemory(r, context);
      expectZeroMemory(r, context);
      return;
    case 'data_memory':
      ins.imm = r.u32();
      expectZeroMemory(r, context);
      return;
    case 'elem_table':
    case 'table_table':
      ins.imm = r.u32();
      r.u32();
      return;
    case 'i32':
      r.i32();
      return;
    case 'i64':
      r.i64();
      return;
    case 'f32':
      r.skip(4);
      return;
    case 'f64':
      r.skip(8);
      return;
    case 'select_t': {
      const n = r.count('select type', 16);
      ins.types = [];
      for (let i = 0; i < n; i++) {
        const at = r.pos;
        const t = r.u8();
        if (!isValType(t)) parseError('invalid select type', context.codeOffset + at);
        ins.types.push(t);
      }
      return;
    }
    case 'reftype': {
      const at = r.pos;
      ins.imm = r.u8();
      if (ins.imm !== 0x70 && ins.imm !== 0x6f) parseError('invalid reference type', context.codeOffset + at);
      return;
    }
  }
}

function expectZeroMemory(r: WasmReader, context: DecodeContext): void {
  const at = r.pos;
  if (r.u32() !== 0) parseError('memory index must be 0 (one memory)', context.codeOffset + at);
}

/** Params and results of a block type immediate. @throws VmError PARSE_ERROR on a bad type index. */
export function blockSignature(module: WasmModule, blockType: number): FuncType {
  if (blockType === -64) return { params: [], results: [] };
  if (blockType < 0) return { params: [], results: [blockType + 0x80] };
  const type = module.types[blockType];
  if (type === undefined) parseError(`block type index ${blockType} out of range`, 0);
  return type;
}

/** Value types a block type mentions (for the float check). */
export function blockTypeValTypes(module: WasmModule, blockType: number): number[] {
  const sig = blockSignature(module, blockType);
  return [...sig.params, ...sig.results];
}

/**
 * Maximum operand-stack height of a body (in values), following the spec's validation
 * algorithm (§A.3) on heights only. Unreachable code after br/return/unreachable is
 * polymorphic: the height drops to the block's base and is not allowed below it. Deterministic
 * and an upper bound for valid code; used as part of each frame's stack cost.
 * @throws VmError PARSE_ERROR on out-of-range function or type indices.
 */
export function maxOperandHeight(module: WasmModule, instructions: readonly Instruction[]): number {
  // Each frame: base height, results of the block (pushed at end), params (restored on else).
  const frames: { base: number; params: number; results: number }[] = [{ base: 0, params: 0, results: 0 }];
  let height = 0;
  let max = 0;
  const pop = (n: number): void => {
    const frame = frames[frames.length - 1];
    height = Math.max(frame === undefined ? 0 : frame.base, height - n);
  };
  const push = (n: number): void => {
    height += n;
    if (height > max) max = height;
  };
  const unreachable = (): void => {
    const frame = frames[frames.length - 1];
    height = frame === undefined ? 0 : frame.base;
  };
  for (const ins of instructions) {
    const op = ins.op;
    switch (op) {
      case Op.block:
      case Op.loop:
      case Op.if: {
        if (op === Op.if) pop(1);
        const sig = blockSignature(module, ins.imm);
        pop(sig.params.length);
        frames.push({ base: height, params: sig.params.length, results: sig.results.length });
        push(sig.params.length);
        break;
      }
      case Op.else: {
        const frame = frames[frames.length - 1];
        if (frame) {
          height = frame.base;
          push(frame.params);
        }
        break;
      }
      case Op.end: {
        const frame = frames.pop();
        height = frame ? frame.base : 0;
        push(frame ? frame.results : 0);
        break;
      }
      case Op.br:
      case Op.br_table:
      case Op.return:
      case Op.unreachable:
        if (op === Op.br_table) pop(1);
        unreachable();
        break;
      case Op.call:
      case Op.call_indirect: {
        const type = op === Op.call ? functionTypeOf(module, ins.imm) : module.types[ins.imm];
        if (type === undefined)
          parseError(`call to unknown ${op === Op.call ? 'function' : 'type'} ${ins.imm}`, ins.start);
        pop(type.params.length + (op === Op.call_indirect ? 1 : 0));
        push(type.results.length);
        break;
      }
      default: {
        const info = opcodeInfo(op);
        if (info === undefined || info.pop < 0) parseError(`no stack effect for opcode ${op}`, ins.start);
        pop(info.pop);
        push(info.push);
      }
    }
  }
  return max;
}

function functionTypeOf(module: WasmModule, index: number): FuncType | undefined {
  const typeIndex = module.functionTypeIndices[index];
  return typeIndex === undefined ? undefined : module.types[typeIndex];
}
