// Gas and stack-depth metering injected into the contract's bytecode (CONTRACT_ABI §6,
// DESIGN.md §5, docs/adr/003-gas-metering.md). The rewritten module pays for every
// instruction before it runs (at function entry, loop bodies and large if arms: `chargeCosts`),
// meters the call-stack depth of functions that can recurse (`unmeteredFunctions`), traps
// deterministically when gas or the stack budget runs out, caps memory at `maxPages` and
// charges memory.grow and bulk memory ops by their operand. Injected functions and globals are appended at the end of their index
// spaces, so no existing index (calls, exports, elements, names) moves.

import { VmError } from './errors.js';
import { GAS_COSTS, MAX_STACK_COST, WASM_LIMITS } from './limits.js';
import {
  type FuncType,
  type Instruction,
  type WasmModule,
  Op,
  SECTION_ORDER,
  fcKey,
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
 * Exported `() -> ()` added with `{ reset: true }`: sets every mutable global back to its
 * initial value, so the host can return a used instance to its pristine state (instance
 * reuse, docs/adr/010-vm-instance-reuse.md). Never called by contract code.
 */
export const RESET_EXPORT = '__shroud_reset';

/**
 * Instructions that change instance state other than memory and globals (a table entry, a
 * dropped segment). A module using any of them gets no reset export: its instances are never
 * reused. table.init/copy/grow/fill are rejected by validation; they are listed for modules
 * instrumented without it.
 */
const INSTANCE_STATE_OPS: ReadonlySet<number> = new Set([
  0x26, // table.set
  fcKey(9), // data.drop
  fcKey(12), // table.init
  fcKey(13), // elem.drop
  fcKey(14), // table.copy
  fcKey(15), // table.grow
  fcKey(17), // table.fill
]);

/**
 * Fixed part of a frame's stack cost. cost(f) = STACK_FRAME_BASE + params + declared locals +
 * max operand-stack height. The base covers V8's per-frame overhead (return address, frame
 * pointer, instance) so thin frames also count; see the ADR for the measurements.
 */
export const STACK_FRAME_BASE = 4;

/**
 * Stack headroom, in cost units, above `maxStackCost` for functions that run without the
 * stack meter. A function skips the meter only if it is on no cycle of the call graph and
 * every call chain starting at it adds at most this many unmetered units (see
 * `unmeteredFunctions`); the injected helpers (memory.grow, bulk memory) add ≤ 11 more. So
 * the deepest wasm stack is maxStackCost + STACK_HEADROOM + 11 units. See the ADR.
 */
export const STACK_HEADROOM = 2_048;

/**
 * The only export the host calls while an import runs (to return data in a Region). If the
 * host ever re-enters through another export, add it here: the stack bound relies on it.
 */
const REENTRY_EXPORT = 'allocate';

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
  /**
   * Where gas is charged: 'merged' (default) charges only at function entry and at each loop
   * body entry, folding `block` bodies and the costlier `if`/`else` arm into the enclosing
   * charge (see `chargeCosts`); 'sequence' charges every sequence at its own entry, the exact
   * CONTRACT_ABI §6 rule (kept for the bench and to test that 'merged' never charges less).
   */
  chargePoints?: 'merged' | 'sequence';
  /**
   * Which functions run the stack meter: 'cycles' (default) skips functions on no call-graph
   * cycle within STACK_HEADROOM (`unmeteredFunctions`); 'all' meters every function (bench).
   */
  stackMeter?: 'cycles' | 'all';
  /** 'merged' only: SMALL_ARM_INSTRUCTIONS by default (an option for the bench and tests). */
  smallArmInstructions?: number;
  /**
   * Add the RESET_EXPORT function (default false) when the module's instance state is only
   * memory and globals: no instruction in INSTANCE_STATE_OPS and the name not already exported.
   */
  reset?: boolean;
}

/** Per-function metering facts (for tests and `shroud contract check`). */
export interface FunctionMetering {
  functionIndex: number;
  stackCost: number;
  /** Gas charged at entry of the function body (default 'merged' charge points). */
  entryGas: number;
  /** False for a function that runs without the stack meter (STACK_HEADROOM). */
  stackMetered: boolean;
}

/** The configured Instrumenter (options checked, module parsed); `run()` makes the bytes. */
function instrumenter(wasm: Uint8Array | WasmModule, options: InstrumentOptions): Instrumenter {
  const maxStackCost = options.maxStackCost ?? MAX_STACK_COST;
  const maxPages = options.maxPages ?? WASM_LIMITS.maxPages;
  if (!Number.isInteger(maxStackCost) || maxStackCost < 1 || maxStackCost > 0x3fffffff) {
    throw new VmError('INSTRUMENT_ERROR', `maxStackCost ${maxStackCost} out of range`);
  }
  // Accepts an already parsed module so upload validation does not parse twice.
  const module = wasm instanceof Uint8Array ? parseModule(wasm) : wasm;
  return new Instrumenter(module, maxStackCost, maxPages, {
    chargeMode: options.chargeMode ?? 'inline',
    chargePoints: options.chargePoints ?? 'merged',
    smallArm: options.smallArmInstructions ?? SMALL_ARM_INSTRUCTIONS,
    stackMeter: options.stackMeter ?? 'cycles',
    reset: options.reset ?? false,
  });
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
  return instrumenter(wasm, options).run();
}

/**
 * `instrumentContract` with `{ reset: true }`, saying whether the module's RESET_EXPORT is the
 * injected function. Only then may the host call it: a contract may export a function of that
 * name itself (no rule forbids it), and calling that between calls would run contract code
 * outside any call, in whatever context the host is in, and reset nothing (ADR 010, Review).
 * @throws VmError as `instrumentContract`.
 */
export function instrumentResettable(
  wasm: Uint8Array | WasmModule,
  options: Omit<InstrumentOptions, 'reset'> = {},
): { wasm: Uint8Array; resettable: boolean } {
  const it = instrumenter(wasm, { ...options, reset: true });
  const bytes = it.run();
  return { wasm: bytes, resettable: it.resetInjected };
}

/** Stack cost and entry gas of every defined function, as the instrumentation computes them. */
export function meteringReport(wasm: Uint8Array): FunctionMetering[] {
  const module = parseModule(wasm);
  const facts = functionFacts(module);
  const unmetered = unmeteredFunctions(module, facts);
  return module.bodies.map((body, i) => {
    const functionIndex = i + module.importedFunctionCount;
    const instructions = decodeBody(body.code, { functionIndex, codeOffset: body.codeOffset });
    return {
      functionIndex,
      stackCost: facts[i]?.cost ?? 0,
      entryGas: chargeCosts(instructions).get(-1) ?? 0,
      stackMetered: unmetered[i] !== true,
    };
  });
}

/** What the stack analysis needs of one defined function. */
export interface FunctionFacts {
  /** Stack cost of its frame. */
  cost: number;
  /** Function indices it calls directly. */
  calls: number[];
  /** Type indices of its call_indirect instructions. */
  indirectTypes: number[];
}

function functionFacts(module: WasmModule): FunctionFacts[] {
  return module.bodies.map((body, i) => {
    const functionIndex = i + module.importedFunctionCount;
    const instructions = decodeBody(body.code, { functionIndex, codeOffset: body.codeOffset });
    const type = module.types[module.functionTypeIndices[functionIndex] ?? -1];
    const calls: number[] = [];
    const indirectTypes: number[] = [];
    for (const ins of instructions) {
      if (ins.op === Op.call) calls.push(ins.imm);
      else if (ins.op === Op.call_indirect) indirectTypes.push(ins.imm);
    }
    return { cost: stackCost(module, type, body.localCount, instructions), calls, indirectTypes };
  });
}

/**
 * Which defined functions (by body index) may run without the stack meter. The call graph has
 * a node per defined function plus virtual nodes: "host" (a call to any import may re-enter
 * the instance through `allocate`, the only export the host calls during an import) and one per function signature (a call_indirect may reach any defined function of
 * its signature, the only thing the engine checks, or an imported one). Virtual nodes keep the
 * edge count linear in the code size. A function is skipped iff its strongly connected
 * component is itself alone without a self-call (so it is on no cycle and appears at most once
 * in any chain of active frames) and U(f) = cost(f) + max U over its callees ≤ STACK_HEADROOM,
 * where U of a metered node is the max U over its callees. U(f) bounds the unmetered units on
 * any chain of frames from f, so a stack holds ≤ maxStackCost metered + STACK_HEADROOM
 * unmetered units. Tarjan's algorithm yields components callees first: one pass decides all.
 */
export function unmeteredFunctions(module: WasmModule, facts: readonly FunctionFacts[]): boolean[] {
  const n = facts.length;
  const first = module.importedFunctionCount;
  const sigKey = (t: FuncType | undefined): string =>
    t ? `${t.params.join(',')}>${t.results.join(',')}` : '?';
  const HOST = n;
  const sigNode = new Map<string, number>();
  const nodeOfSig = (key: string): number => {
    let node = sigNode.get(key);
    if (node === undefined) {
      node = n + 1 + sigNode.size;
      sigNode.set(key, node);
    }
    return node;
  };
  const edges: number[][] = facts.map((f) => {
    const out: number[] = [];
    for (const callee of f.calls) out.push(callee < first ? HOST : callee - first);
    for (const t of f.indirectTypes) out.push(nodeOfSig(sigKey(module.types[t])), HOST);
    return out;
  });
  // The host re-enters the instance only through `allocate` (CONTRACT_ABI §1.1: host functions
  // that return data allocate a Region in the contract; src/vm/host/imports.ts).
  edges.push(
    module.exports
      .filter((e) => e.kind === 'func' && e.name === REENTRY_EXPORT && e.index >= first)
      .map((e) => e.index - first),
  );
  for (let v = 0; v < sigNode.size; v++) edges.push([]);
  facts.forEach((_f, i) => {
    const node = sigNode.get(sigKey(module.types[module.functionTypeIndices[i + first] ?? -1]));
    if (node !== undefined) edges[node]?.push(i);
  });

  const total = edges.length;
  const index = new Int32Array(total).fill(-1);
  const low = new Int32Array(total);
  const component = new Int32Array(total).fill(-1);
  const onStack = new Uint8Array(total);
  const height: number[] = []; // U, by component id
  const unmetered = new Array<boolean>(n).fill(false);
  const stack: number[] = [];
  let counter = 0;
  // Iterative Tarjan: a hostile module may chain 50 000 functions.
  for (let root = 0; root < total; root++) {
    if (index[root] !== -1) continue;
    const work: { v: number; e: number }[] = [{ v: root, e: 0 }];
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (work.length > 0) {
      const top = work[work.length - 1] as { v: number; e: number };
      const out = edges[top.v] as number[];
      if (top.e < out.length) {
        const w = out[top.e++] as number;
        if (index[w] === -1) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          work.push({ v: w, e: 0 });
        } else if (onStack[w] === 1) {
          low[top.v] = Math.min(low[top.v] as number, index[w] as number);
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low[parent.v] = Math.min(low[parent.v] as number, low[top.v] as number);
      if (low[top.v] !== index[top.v]) continue;
      const id = height.length;
      const members: number[] = [];
      let w: number;
      do {
        w = stack.pop() as number;
        onStack[w] = 0;
        component[w] = id;
        members.push(w);
      } while (w !== top.v);
      // Callees in other components are finished (Tarjan emits callees first).
      let below = 0;
      let selfCall = false;
      for (const m of members) {
        for (const t of edges[m] as number[]) {
          if (component[t] === id) selfCall = true;
          else below = Math.max(below, height[component[t] as number] as number);
        }
      }
      const only = members[0] as number;
      const alone = members.length === 1 && !selfCall && only < n;
      const cost = alone ? (facts[only]?.cost ?? Infinity) : Infinity;
      if (cost + below <= STACK_HEADROOM) {
        unmetered[only] = true;
        height.push(cost + below);
      } else {
        height.push(below);
      }
    }
  }
  return unmetered;
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

/**
 * An `if` whose costlier arm has at most this many instructions is charged up front in the
 * enclosing sequence (no charge inside its arms). Bounds the over-charge of an arm not taken
 * to 2 × this gas per `if` executed; see `chargeCosts`.
 */
export const SMALL_ARM_INSTRUCTIONS = 4;

/**
 * Gas charged at each charge point under the default 'merged' rule, keyed like
 * `sequenceCosts` (-1 = function entry, else the index of a `loop`, `if` or `else`).
 * Instructions are counted as in `sequenceCosts` (a nested block/loop/if counts once,
 * `else`/`end` are structure), but fewer places charge:
 * - a `block` body is always entered when the `block` is reached, so its cost is added to the
 *   enclosing charge;
 * - an `if` whose costlier arm has ≤ SMALL_ARM_INSTRUCTIONS instructions adds that arm's cost
 *   to the enclosing charge, and its arms charge nothing;
 * - otherwise the cheaper arm's cost (0 without `else`) is added to the enclosing charge and
 *   each arm charges only the rest at its entry, so an `if`/`else` charges exactly the arm
 *   taken and arms of equal cost charge nothing;
 * - function entry and loop bodies (run on every iteration) keep their own charge.
 * For any run this charges at least the ABI's per-sequence rule (CONTRACT_ABI §6): only an
 * early `br`/`return` out of a sequence, or a small arm not taken, make it an over-estimate,
 * and the same one on every run.
 */
export function chargeCosts(
  instructions: readonly Instruction[],
  smallArm = SMALL_ARM_INSTRUCTIONS,
): Map<number, number> {
  const costs = new Map<number, number>();
  // count: instructions (and merged nested costs) of the sequence being read; then: for an
  // `if` whose `else` was reached, the then-arm's total and the `else` index.
  interface Open {
    key: number;
    op: number;
    count: number;
    then?: number;
    elseKey?: number;
  }
  const open: Open[] = [{ key: -1, op: -1, count: 0 }];
  const gas = (count: number): number => count * GAS_COSTS.perInstruction;
  instructions.forEach((ins, i) => {
    const current = open[open.length - 1];
    if (current === undefined) return;
    if (ins.op === Op.else) {
      current.then = current.count;
      current.elseKey = i;
      current.count = 0;
      return;
    }
    if (ins.op === Op.end) {
      open.pop();
      const parent = open[open.length - 1];
      if (current.op === Op.loop || parent === undefined) {
        costs.set(current.key, gas(current.count));
      } else if (current.op !== Op.if) {
        parent.count += current.count;
      } else {
        const thenArm = current.then ?? current.count;
        const elseArm = current.then === undefined ? 0 : current.count;
        const high = Math.max(thenArm, elseArm);
        const low = high <= smallArm ? high : Math.min(thenArm, elseArm);
        parent.count += low;
        if (thenArm > low) costs.set(current.key, gas(thenArm - low));
        if (current.elseKey !== undefined && elseArm > low) costs.set(current.elseKey, gas(elseArm - low));
      }
      return;
    }
    current.count++;
    if (ins.op === Op.block || ins.op === Op.loop || ins.op === Op.if) {
      open.push({ key: i, op: ins.op, count: 0 });
    }
  });
  return costs;
}

type HelperKind = 'charge' | 'grow' | 'copy' | 'fill' | 'reset' | `init${number}`;

class Instrumenter {
  private readonly types: FuncType[];
  private readonly helperOrder: HelperKind[] = [];
  private readonly helperIndex = new Map<HelperKind, number>();
  private readonly firstHelper: number;
  private readonly gasGlobal: number;
  private readonly exhaustedGlobal: number;
  private readonly depthGlobal: number;
  private readonly stackExhaustedGlobal: number;
  /** Set while instrumenting bodies: the module uses an INSTANCE_STATE_OPS instruction. */
  private changesInstanceState = false;
  /** After `run`: the module's RESET_EXPORT is the injected reset function. */
  resetInjected = false;

  constructor(
    private readonly module: WasmModule,
    private readonly maxStackCost: number,
    private readonly maxPages: number,
    private readonly mode: {
      chargeMode: 'inline' | 'call';
      chargePoints: 'merged' | 'sequence';
      stackMeter: 'cycles' | 'all';
      smallArm: number;
      reset: boolean;
    },
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
    const facts = functionFacts(this.module);
    const unmetered = this.mode.stackMeter === 'all' ? [] : unmeteredFunctions(this.module, facts);
    const bodies = this.module.bodies.map((_body, i) =>
      this.instrumentBody(i, facts[i]?.cost ?? 0, unmetered[i] !== true),
    );
    if (
      this.mode.reset &&
      !this.changesInstanceState &&
      !this.module.exports.some((e) => e.name === RESET_EXPORT)
    ) {
      this.helper('reset'); // last helper: the index of every other injected function is unchanged
    }
    this.resetInjected = this.helperIndex.has('reset');
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

  private instrumentBody(i: number, cost: number, stackMetered: boolean): Uint8Array {
    const module = this.module;
    const body = module.bodies[i];
    if (body === undefined) throw new VmError('INSTRUMENT_ERROR', `missing body ${i}`);
    const functionIndex = i + module.importedFunctionCount;
    const instructions = decodeBody(body.code, { functionIndex, codeOffset: body.codeOffset });
    const type = module.types[module.functionTypeIndices[functionIndex] ?? -1];
    if (type === undefined) throw new VmError('INSTRUMENT_ERROR', `function ${functionIndex} has no type`);
    const gas =
      this.mode.chargePoints === 'merged'
        ? chargeCosts(instructions, this.mode.smallArm)
        : sequenceCosts(instructions);
    const w = new WasmWriter(body.code.length * 2 + 64);
    w.u32(body.locals.length);
    for (const group of body.locals) w.u32(group.count).u8(group.valType);
    this.emitCharge(w, gas.get(-1) ?? 0);
    if (stackMetered) {
      this.emitStackEnter(w, cost);
      // The body runs inside a block of the function's result type: a `br` to the function's
      // own label now lands on this block's end, so the stack exit below runs on that path too.
      w.u8(Op.block);
      this.emitBlockType(w, type.results);
    }
    const last = instructions.length - 1;
    instructions.forEach((ins, k) => {
      if (k === last) return; // the final `end` is re-emitted after the stack exit
      if (INSTANCE_STATE_OPS.has(ins.op)) this.changesInstanceState = true;
      switch (ins.op) {
        case Op.return:
          if (stackMetered) this.emitStackExit(w, cost);
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
          // Charge points are keyed by their opening instruction; a merged block has none.
          if (ins.op === Op.block || ins.op === Op.loop || ins.op === Op.if || ins.op === Op.else) {
            this.emitCharge(w, gas.get(k) ?? 0);
          }
      }
    });
    if (stackMetered) {
      w.u8(Op.end);
      this.emitStackExit(w, cost);
    }
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
    if (this.mode.chargeMode === 'call') {
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
    if (kind === 'reset') return this.typeIndex([], []);
    return this.typeIndex([ValType.i32, ValType.i32, ValType.i32], []);
  }

  private helperBody(kind: HelperKind): Uint8Array {
    if (kind === 'reset') return this.resetBody();
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

  /**
   * Body of the reset export: `<initializer>; global.set g` for every mutable global, the
   * module's own (a constant expression is a valid instruction sequence once its `end` is
   * dropped, spec §3.3.10) and the four metering globals (all 0). Immutable globals cannot
   * change, so after it every global holds its instantiation value.
   */
  private resetBody(): Uint8Array {
    const w = new WasmWriter(64);
    w.u32(0);
    const importedGlobals = this.module.imports.filter((imp) => imp.kind === 'global').length;
    this.module.globals.forEach((g, i) => {
      if (!g.mutable) return;
      w.bytes(g.init.subarray(0, g.init.length - 1)); // drop the initializer's `end`
      w.u8(Op.global_set).u32(importedGlobals + i);
    });
    w.u8(Op.i64_const).i64(0n).u8(Op.global_set).u32(this.gasGlobal);
    w.u8(Op.i64_const).i64(0n).u8(Op.global_set).u32(this.exhaustedGlobal);
    w.u8(Op.i32_const).i32(0).u8(Op.global_set).u32(this.depthGlobal);
    w.u8(Op.i32_const).i32(0).u8(Op.global_set).u32(this.stackExhaustedGlobal);
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
    const reset = this.helperIndex.get('reset');
    w.u32(this.module.exports.length + 3 + (reset === undefined ? 0 : 1));
    for (const e of this.module.exports) w.name(e.name).u8(kinds[e.kind]).u32(e.index);
    w.name(GAS_GLOBAL).u8(3).u32(this.gasGlobal);
    w.name(GAS_EXHAUSTED_GLOBAL).u8(3).u32(this.exhaustedGlobal);
    w.name(STACK_EXHAUSTED_GLOBAL).u8(3).u32(this.stackExhaustedGlobal);
    if (reset !== undefined) w.name(RESET_EXPORT).u8(0).u32(reset);
    return w.finish();
  }

  private codeSection(bodies: Uint8Array[]): Uint8Array {
    const w = new WasmWriter(bodies.reduce((n, b) => n + b.length + 5, 8));
    w.u32(bodies.length);
    for (const body of bodies) w.u32(body.length).bytes(body);
    return w.finish();
  }
}
