// Gas and stack-depth metering injected into the contract's bytecode (CONTRACT_ABI §6,
// DESIGN.md §5, docs/adr/003-gas-metering.md). The rewritten module charges every
// instruction sequence before it runs, traps deterministically when gas or the call-stack
// budget runs out, caps memory at `maxPages` and charges memory.grow and bulk memory ops by
// their operand. Injected functions and globals are appended at the end of their index
// spaces, so no existing index (calls, exports, elements, names) moves.

import { VmError } from './errors.js';
import { GAS_COSTS, MAX_STACK_COST, WASM_LIMITS } from './limits.js';
import {
  type FuncType,
  type Instruction,
  type WasmModule,
  Op,
  SECTION_ORDER,
  SectionId,
  ValType,
  WasmWriter,
  decodeBody,
  maxOperandHeight,
  parseModule,
} from './wasm/index.js';

/** Exported mutable i64: remaining wasm gas. The host sets it before a call and reads it after. */
export const GAS_GLOBAL = 'gas_limit';
/** Exported mutable i64: set to the failed charge before an out-of-gas `unreachable`. */
export const GAS_EXHAUSTED_GLOBAL = 'gas_limit_exhausted';
/** Exported mutable i32: set to 1 before a stack-budget `unreachable`. */
export const STACK_EXHAUSTED_GLOBAL = 'stack_exhausted';

/**
 * Fixed part of a frame's stack cost. cost(f) = STACK_FRAME_BASE + params + declared locals +
 * max operand-stack height. The base covers V8's per-frame overhead (return address, frame
 * pointer, instance) so thin frames also count; see the ADR for the measurements.
 */
export const STACK_FRAME_BASE = 4;

export interface InstrumentOptions {
  /** Call-stack budget in cost units (default MAX_STACK_COST). */
  maxStackCost?: number;
  /** Memory maximum forced on the module (default WASM_LIMITS.maxPages). */
  maxPages?: number;
  /**
   * How sequences charge gas: 'inline' (compare and subtract the global in place, default) or
   * 'call' (call an injected charge function). Same gas figures; see bench/vm-metering.ts.
   */
  chargeMode?: 'inline' | 'call';
}

/** Per-function metering facts (for tests and `shroud contract check`). */
export interface FunctionMetering {
  functionIndex: number;
  stackCost: number;
  /** Gas charged at entry of the function body sequence. */
  entryGas: number;
}

/**
 * Returns the metered module. The input (bytes, or a module from `parseModule`) must already
 * be valid wasm (validateContractCode).
 * @example
 *   const metered = instrumentContract(code.wasm);
 *   const { instance } = await WebAssembly.instantiate(metered, imports);
 *   (instance.exports[GAS_GLOBAL] as WebAssembly.Global).value = 1_000_000n;
 * @throws VmError PARSE_ERROR (malformed input) or INSTRUMENT_ERROR (reserved export name
 *   taken, memory larger than maxPages, budget out of range).
 */
export function instrumentContract(
  wasm: Uint8Array | WasmModule,
  options: InstrumentOptions = {},
): Uint8Array {
  const maxStackCost = options.maxStackCost ?? MAX_STACK_COST;
  const maxPages = options.maxPages ?? WASM_LIMITS.maxPages;
  if (!Number.isInteger(maxStackCost) || maxStackCost < 1 || maxStackCost > 0x3fffffff) {
    throw new VmError('INSTRUMENT_ERROR', `maxStackCost ${maxStackCost} out of range`);
  }
  // Accepts an already parsed module so upload validation does not parse twice.
  const module = wasm instanceof Uint8Array ? parseModule(wasm) : wasm;
  return new Instrumenter(module, maxStackCost, maxPages, options.chargeMode ?? 'inline').run();
}

/** Stack cost and entry gas of every defined function, as the instrumentation computes them. */
export function meteringReport(wasm: Uint8Array): FunctionMetering[] {
  const module = parseModule(wasm);
  return module.bodies.map((body, i) => {
    const functionIndex = i + module.importedFunctionCount;
    const instructions = decodeBody(body.code, { functionIndex, codeOffset: body.codeOffset });
    const type = module.types[module.functionTypeIndices[functionIndex] ?? -1];
    return {
      functionIndex,
      stackCost: stackCost(module, type, body.localCount, instructions),
      entryGas: sequenceCosts(instructions).get(-1) ?? 0,
    };
  });
}

function stackCost(
  module: WasmModule,
  type: FuncType | undefined,
  localCount: number,
  instructions: Instruction[],
): number {
  return STACK_FRAME_BASE + (type?.params.length ?? 0) + localCount + maxOperandHeight(module, instructions);
}

/**
 * Gas of each sequence, keyed by the index of the instruction that opens it (block, loop,
 * if, else; -1 = the function body). As in Secret's walrus-based injector (contract-engine
 * `wasm3/gas.rs`), a sequence's instructions are those directly in it, a nested
 * `block/loop/if` counting once in the enclosing sequence; `else` and `end` are structure,
 * not instructions. Each instruction costs GAS_COSTS.perInstruction (CONTRACT_ABI §6).
 */
export function sequenceCosts(instructions: readonly Instruction[]): Map<number, number> {
  const costs = new Map<number, number>();
  const open: { key: number; count: number }[] = [{ key: -1, count: 0 }];
  instructions.forEach((ins, i) => {
    if (ins.op === Op.else || ins.op === Op.end) {
      const done = open.pop();
      if (done) costs.set(done.key, done.count * GAS_COSTS.perInstruction);
      if (ins.op === Op.else) open.push({ key: i, count: 0 });
      return;
    }
    const current = open[open.length - 1];
    if (current) current.count++;
    if (ins.op === Op.block || ins.op === Op.loop || ins.op === Op.if) open.push({ key: i, count: 0 });
  });
  return costs;
}

type HelperKind = 'charge' | 'grow' | 'copy' | 'fill' | `init${number}`;

class Instrumenter {
  private readonly types: FuncType[];
  private readonly helperOrder: HelperKind[] = [];
  private readonly helperIndex = new Map<HelperKind, number>();
  private readonly firstHelper: number;
  private readonly gasGlobal: number;
  private readonly exhaustedGlobal: number;
  private readonly depthGlobal: number;
  private readonly stackExhaustedGlobal: number;

  constructor(
    private readonly module: WasmModule,
    private readonly maxStackCost: number,
    private readonly maxPages: number,
    private readonly chargeMode: 'inline' | 'call',
  ) {
    this.types = module.types.map((t) => ({ params: [...t.params], results: [...t.results] }));
    this.firstHelper = module.functionTypeIndices.length;
    const importedGlobals = module.imports.filter((imp) => imp.kind === 'global').length;
    const firstGlobal = importedGlobals + module.globals.length;
    this.gasGlobal = firstGlobal;
    this.exhaustedGlobal = firstGlobal + 1;
    this.depthGlobal = firstGlobal + 2;
    this.stackExhaustedGlobal = firstGlobal + 3;
    for (const name of [GAS_GLOBAL, GAS_EXHAUSTED_GLOBAL, STACK_EXHAUSTED_GLOBAL]) {
      if (module.exports.some((e) => e.name === name)) {
        throw new VmError(
          'INSTRUMENT_ERROR',
          `the module already exports "${name}", a name reserved for metering`,
        );
      }
    }
    const memory = module.memories[0];
    if (memory && memory.min > maxPages) {
      throw new VmError(
        'INSTRUMENT_ERROR',
        `initial memory ${memory.min} pages exceeds the ${maxPages}-page maximum`,
      );
    }
  }

  run(): Uint8Array {
    const bodies = this.module.bodies.map((body, i) => this.instrumentBody(i));
    const helperBodies = this.helperOrder.map((kind) => this.helperBody(kind));
    // Helper types may add entries to the type section, so they are settled before it is written.
    this.helperTypeIndices = this.helperOrder.map((kind) => this.helperType(kind));
    const out = new WasmWriter(this.module.bytes.length * 2 + 256);
    out.bytes(this.module.bytes.subarray(0, 8));
    const rewritten = new Map<number, Uint8Array>([
      [SectionId.type, this.typeSection()],
      [SectionId.function, this.functionSection()],
      [SectionId.global, this.globalSection()],
      [SectionId.export, this.exportSection()],
      [SectionId.code, this.codeSection([...bodies, ...helperBodies])],
    ]);
    if (this.module.memories.length > 0) rewritten.set(SectionId.memory, this.memorySection());
    // Custom sections stay after the known section they followed in the input.
    const byId = new Map<number, { raw?: Uint8Array; customs: Uint8Array[] }>();
    const leading: Uint8Array[] = [];
    let previous: number | undefined;
    for (const span of this.module.sections) {
      const raw = this.module.bytes.subarray(span.start, span.end);
      if (span.id === SectionId.custom) {
        if (previous === undefined) leading.push(raw);
        else byId.get(previous)?.customs.push(raw);
      } else {
        byId.set(span.id, { raw, customs: [] });
        previous = span.id;
      }
    }
    for (const raw of leading) out.bytes(raw);
    for (const id of SECTION_ORDER) {
      const original = byId.get(id);
      const replacement = rewritten.get(id);
      if (replacement) out.section(id, replacement);
      else if (original?.raw) out.bytes(original.raw);
      for (const raw of original?.customs ?? []) out.bytes(raw);
    }
    return out.finish();
  }

  /** Index of a function type, added if missing. A map keeps this O(1): a hostile module may
   * have 10 000 types and 50 000 multi-value functions. */
  private typeIndex(params: number[], results: number[]): number {
    if (this.typeKeys === undefined) {
      this.typeKeys = new Map();
      for (const [i, t] of this.types.entries()) {
        const key = `${t.params.join(',')}>${t.results.join(',')}`;
        if (!this.typeKeys.has(key)) this.typeKeys.set(key, i);
      }
    }
    const key = `${params.join(',')}>${results.join(',')}`;
    const found = this.typeKeys.get(key);
    if (found !== undefined) return found;
    this.types.push({ params, results });
    this.typeKeys.set(key, this.types.length - 1);
    return this.types.length - 1;
  }

  private helper(kind: HelperKind): number {
    let index = this.helperIndex.get(kind);
    if (index === undefined) {
      index = this.firstHelper + this.helperOrder.length;
      this.helperIndex.set(kind, index);
      this.helperOrder.push(kind);
    }
    return index;
  }

  private instrumentBody(i: number): Uint8Array {
    const module = this.module;
    const body = module.bodies[i];
    if (body === undefined) throw new VmError('INSTRUMENT_ERROR', `missing body ${i}`);
    const functionIndex = i + module.importedFunctionCount;
    const instructions = decodeBody(body.code, { functionIndex, codeOffset: body.codeOffset });
    const type = module.types[module.functionTypeIndices[functionIndex] ?? -1];
    if (type === undefined) throw new VmError('INSTRUMENT_ERROR', `function ${functionIndex} has no type`);
    const cost = stackCost(module, type, body.localCount, instructions);
    const gas = sequenceCosts(instructions);
    const w = new WasmWriter(body.code.length * 2 + 64);
    w.u32(body.locals.length);
    for (const group of body.locals) w.u32(group.count).u8(group.valType);
    this.emitCharge(w, gas.get(-1) ?? 0);
    this.emitStackEnter(w, cost);
    // The body runs inside a block of the function's result type: a `br` to the function's
    // own label now lands on this block's end, so the stack exit below runs on that path too.
    w.u8(Op.block);
    this.emitBlockType(w, type.results);
    const last = instructions.length - 1;
    instructions.forEach((ins, k) => {
      if (k === last) return; // the final `end` is re-emitted after the stack exit
      switch (ins.op) {
        case Op.return:
          this.emitStackExit(w, cost);
          w.bytes(body.code.subarray(ins.start, ins.end));
          return;
        case Op.memory_grow:
          w.u8(Op.call).u32(this.helper('grow'));
          return;
        case Op.memory_copy:
          w.u8(Op.call).u32(this.helper('copy'));
          return;
        case Op.memory_fill:
          w.u8(Op.call).u32(this.helper('fill'));
          return;
        case Op.memory_init:
          w.u8(Op.call).u32(this.helper(`init${ins.imm}`));
          return;
        default:
          w.bytes(body.code.subarray(ins.start, ins.end));
          if (ins.op === Op.block || ins.op === Op.loop || ins.op === Op.if || ins.op === Op.else) {
            this.emitCharge(w, gas.get(k) ?? 0);
          }
      }
    });
    w.u8(Op.end);
    this.emitStackExit(w, cost);
    w.u8(Op.end);
    return w.finish();
  }

  private emitBlockType(w: WasmWriter, results: number[]): void {
    if (results.length === 0) w.u8(0x40);
    else if (results.length === 1) w.u8(results[0] as number);
    else w.i32(this.typeIndex([], results)); // multi-value: a type index, encoded as s33 (signed)
  }

  /** Charges a constant: trap with gas_limit_exhausted = cost if remaining < cost. */
  private emitCharge(w: WasmWriter, cost: number): void {
    if (cost === 0) return;
    if (this.chargeMode === 'call') {
      w.u8(Op.i64_const).i64(BigInt(cost)).u8(Op.call).u32(this.helper('charge'));
      return;
    }
    const c = BigInt(cost);
    w.u8(Op.global_get).u32(this.gasGlobal).u8(Op.i64_const).i64(c).u8(Op.i64_lt_u);
    w.u8(Op.if)
      .u8(0x40)
      .u8(Op.i64_const)
      .i64(c)
      .u8(Op.global_set)
      .u32(this.exhaustedGlobal)
      .u8(Op.unreachable)
      .u8(Op.end);
    w.u8(Op.global_get)
      .u32(this.gasGlobal)
      .u8(Op.i64_const)
      .i64(c)
      .u8(Op.i64_sub)
      .u8(Op.global_set)
      .u32(this.gasGlobal);
  }

  /** depth + cost > budget → stack_exhausted = 1, trap; else depth += cost. */
  private emitStackEnter(w: WasmWriter, cost: number): void {
    w.u8(Op.global_get).u32(this.depthGlobal).u8(Op.i32_const).i32(cost).u8(Op.i32_add);
    w.u8(Op.i32_const).i32(this.maxStackCost).u8(Op.i32_gt_u);
    w.u8(Op.if)
      .u8(0x40)
      .u8(Op.i32_const)
      .i32(1)
      .u8(Op.global_set)
      .u32(this.stackExhaustedGlobal)
      .u8(Op.unreachable)
      .u8(Op.end);
    w.u8(Op.global_get)
      .u32(this.depthGlobal)
      .u8(Op.i32_const)
      .i32(cost)
      .u8(Op.i32_add)
      .u8(Op.global_set)
      .u32(this.depthGlobal);
  }

  private emitStackExit(w: WasmWriter, cost: number): void {
    w.u8(Op.global_get)
      .u32(this.depthGlobal)
      .u8(Op.i32_const)
      .i32(cost)
      .u8(Op.i32_sub)
      .u8(Op.global_set)
      .u32(this.depthGlobal);
  }

  /** Charges the i64 in local `costLocal` (dynamic charges of helpers). */
  private emitChargeLocal(w: WasmWriter, costLocal: number): void {
    w.u8(Op.global_get).u32(this.gasGlobal).u8(Op.local_get).u32(costLocal).u8(Op.i64_lt_u);
    w.u8(Op.if)
      .u8(0x40)
      .u8(Op.local_get)
      .u32(costLocal)
      .u8(Op.global_set)
      .u32(this.exhaustedGlobal)
      .u8(Op.unreachable)
      .u8(Op.end);
    w.u8(Op.global_get)
      .u32(this.gasGlobal)
      .u8(Op.local_get)
      .u32(costLocal)
      .u8(Op.i64_sub)
      .u8(Op.global_set)
      .u32(this.gasGlobal);
  }

  private helperType(kind: HelperKind): number {
    if (kind === 'charge') return this.typeIndex([ValType.i64], []);
    if (kind === 'grow') return this.typeIndex([ValType.i32], [ValType.i32]);
    return this.typeIndex([ValType.i32, ValType.i32, ValType.i32], []);
  }

  private helperBody(kind: HelperKind): Uint8Array {
    const w = new WasmWriter(64);
    if (kind === 'charge') {
      w.u32(0); // no extra locals; param 0 is the cost
      this.emitChargeLocal(w, 0);
      return w.u8(Op.end).finish();
    }
    if (kind === 'grow') {
      // (pages) → cost in local 1 = pages × 8192, charged before growing (CONTRACT_ABI §6).
      w.u32(1).u32(1).u8(ValType.i64);
      w.u8(Op.local_get)
        .u32(0)
        .u8(Op.i64_extend_i32_u)
        .u8(Op.i64_const)
        .i64(BigInt(GAS_COSTS.perPage))
        .u8(Op.i64_mul);
      w.u8(Op.local_set).u32(1);
      this.emitChargeLocal(w, 1);
      w.u8(Op.local_get).u32(0).u8(Op.memory_grow).u8(0x00);
      return w.u8(Op.end).finish();
    }
    // Bulk memory (dst, src|value|offset, len): charge len × perBulkByte, then run the op.
    w.u32(1).u32(1).u8(ValType.i64);
    w.u8(Op.local_get)
      .u32(2)
      .u8(Op.i64_extend_i32_u)
      .u8(Op.i64_const)
      .i64(BigInt(GAS_COSTS.perBulkByte))
      .u8(Op.i64_mul);
    w.u8(Op.local_set).u32(3);
    this.emitChargeLocal(w, 3);
    w.u8(Op.local_get).u32(0).u8(Op.local_get).u32(1).u8(Op.local_get).u32(2);
    w.u8(0xfc);
    if (kind === 'copy') w.u32(10).u8(0).u8(0);
    else if (kind === 'fill') w.u32(11).u8(0);
    else
      w.u32(8)
        .u32(Number(kind.slice(4)))
        .u8(0);
    return w.u8(Op.end).finish();
  }

  private typeSection(): Uint8Array {
    const w = new WasmWriter();
    w.u32(this.types.length);
    for (const t of this.types) {
      w.u8(0x60).u32(t.params.length);
      for (const p of t.params) w.u8(p);
      w.u32(t.results.length);
      for (const r of t.results) w.u8(r);
    }
    return w.finish();
  }

  private helperTypeIndices: number[] = [];
  private typeKeys: Map<string, number> | undefined;

  private functionSection(): Uint8Array {
    const w = new WasmWriter();
    w.u32(this.module.functions.length + this.helperOrder.length);
    for (const t of this.module.functions) w.u32(t);
    for (const t of this.helperTypeIndices) w.u32(t);
    return w.finish();
  }

  private memorySection(): Uint8Array {
    const w = new WasmWriter();
    w.u32(this.module.memories.length);
    for (const memory of this.module.memories) {
      // Force the maximum (CONTRACT_ABI §6): growing past it makes memory.grow return -1.
      w.u8(1)
        .u32(memory.min)
        .u32(Math.max(memory.min, Math.min(memory.max ?? this.maxPages, this.maxPages)));
    }
    return w.finish();
  }

  private globalSection(): Uint8Array {
    const w = new WasmWriter();
    w.u32(this.module.globals.length + 4);
    for (const g of this.module.globals)
      w.u8(g.valType)
        .u8(g.mutable ? 1 : 0)
        .bytes(g.init);
    w.u8(ValType.i64).u8(1).u8(Op.i64_const).i64(0n).u8(Op.end); // gas_limit
    w.u8(ValType.i64).u8(1).u8(Op.i64_const).i64(0n).u8(Op.end); // gas_limit_exhausted
    w.u8(ValType.i32).u8(1).u8(Op.i32_const).i32(0).u8(Op.end); // call-stack depth (cost units)
    w.u8(ValType.i32).u8(1).u8(Op.i32_const).i32(0).u8(Op.end); // stack_exhausted
    return w.finish();
  }

  private exportSection(): Uint8Array {
    const kinds = { func: 0, table: 1, memory: 2, global: 3 } as const;
    const w = new WasmWriter();
    w.u32(this.module.exports.length + 3);
    for (const e of this.module.exports) w.name(e.name).u8(kinds[e.kind]).u32(e.index);
    w.name(GAS_GLOBAL).u8(3).u32(this.gasGlobal);
    w.name(GAS_EXHAUSTED_GLOBAL).u8(3).u32(this.exhaustedGlobal);
    w.name(STACK_EXHAUSTED_GLOBAL).u8(3).u32(this.stackExhaustedGlobal);
    return w.finish();
  }

  private codeSection(bodies: Uint8Array[]): Uint8Array {
    const w = new WasmWriter(bodies.reduce((n, b) => n + b.length + 5, 8));
    w.u32(bodies.length);
    for (const body of bodies) w.u32(body.length).bytes(body);
    return w.finish();
  }
}
