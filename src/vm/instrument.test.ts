import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { wat } from '../../test/vm/wat.js';
import {
  GAS_EXHAUSTED_GLOBAL,
  GAS_GLOBAL,
  type InstrumentOptions,
  STACK_EXHAUSTED_GLOBAL,
  STACK_FRAME_BASE,
  SMALL_ARM_INSTRUCTIONS,
  STACK_HEADROOM,
  instrumentContract,
  meteringReport,
} from './instrument.js';
import { VmError } from './errors.js';
import { MAX_STACK_COST } from './limits.js';
import { engineValidates } from './validate.js';
import { WasmWriter } from './wasm/index.js';

type Exports = Record<string, unknown>;

interface Metered {
  exports: Exports;
  call: (name: string, ...args: unknown[]) => unknown;
  gas: () => bigint;
  exhausted: () => bigint;
  stackExhausted: () => number;
  global: (name: string) => number | bigint;
}

function globalOf(exports: Exports, name: string): WebAssembly.Global {
  const g = exports[name];
  assert.ok(g instanceof WebAssembly.Global, `export ${name} is a global`);
  return g;
}

function instantiate(bytes: Uint8Array): Exports {
  const module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  return new WebAssembly.Instance(module, {}).exports;
}

/** Instruments `wasm`, instantiates it with `gasLimit` wasm gas. */
function metered(wasm: Uint8Array, gasLimit: bigint, options?: InstrumentOptions): Metered {
  const bytes = instrumentContract(wasm, options);
  assert.ok(engineValidates(bytes), 'instrumented module validates');
  const exports = instantiate(bytes);
  globalOf(exports, GAS_GLOBAL).value = gasLimit;
  return {
    exports,
    call: (name, ...args) => (exports[name] as (...a: unknown[]) => unknown)(...args),
    gas: () => globalOf(exports, GAS_GLOBAL).value as bigint,
    exhausted: () => globalOf(exports, GAS_EXHAUSTED_GLOBAL).value as bigint,
    stackExhausted: () => globalOf(exports, STACK_EXHAUSTED_GLOBAL).value as number,
    global: (name) => globalOf(exports, name).value as number | bigint,
  };
}

function plain(wasm: Uint8Array): (name: string, ...args: unknown[]) => unknown {
  const exports = instantiate(wasm);
  return (name, ...args) => (exports[name] as (...a: unknown[]) => unknown)(...args);
}

const isUnreachableTrap = (error: unknown): boolean =>
  error instanceof WebAssembly.RuntimeError && /unreachable/.test(error.message);

// sum(n) = n + (n-1) + ... + 1. Charges (CONTRACT_ABI §6 counting, 2 gas per instruction; `end`
// and `else` are structure, not instructions, as in Secret's injector; a block body is charged
// with the sequence around it):
//   body  = block, local.get + the block body (loop)             = 3 instr →  6 gas
//   loop  = local.get, i32.eqz, br_if, local.get, local.get, i32.add,
//           local.set, local.get, i32.const, i32.sub, local.set, br = 12 instr → 24 gas
// The loop body runs n + 1 times, so sum(n) costs 6 + 24 (n + 1) = 30 + 24 n.
const SUM = wat(`(module (memory 1)
  (func (export "sum") (param $n i32) (result i32) (local $acc i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $acc)))`);
const sumGas = (n: number): bigint => BigInt(30 + 24 * n);

describe('instrumentContract: gas', () => {
  it('charges exactly the hand-computed gas for sum(10) = 270, the same on every run', () => {
    for (let run = 0; run < 2; run++) {
      const m = metered(SUM, 1000n);
      assert.equal(m.call('sum', 10), 55, `run ${run}: result`);
      assert.equal(1000n - m.gas(), sumGas(10), `run ${run}: gas used`);
      assert.equal(sumGas(10), 270n);
      assert.equal(m.exhausted(), 0n, `run ${run}: not exhausted`);
    }
  });

  it('succeeds with exactly enough gas and runs out one unit short, at the same charge every run', () => {
    const exact = metered(SUM, 270n);
    assert.equal(exact.call('sum', 10), 55);
    assert.equal(exact.gas(), 0n);
    for (let run = 0; run < 2; run++) {
      const short = metered(SUM, 269n);
      assert.throws(() => short.call('sum', 10), isUnreachableTrap, `run ${run}: traps`);
      // 6 + 24 × 10 = 246 charged; 23 left is less than the 11th loop charge of 24.
      assert.equal(short.exhausted(), 24n, `run ${run}: failed charge`);
      assert.equal(short.gas(), 23n, `run ${run}: remaining is left untouched by the failed charge`);
    }
  });

  it('charges the same in call mode as inline', () => {
    const m = metered(SUM, 10_000n, { chargeMode: 'call' });
    assert.equal(m.call('sum', 100), 5050);
    assert.equal(10_000n - m.gas(), sumGas(100));
    const short = metered(SUM, 269n, { chargeMode: 'call' });
    assert.throws(() => short.call('sum', 10), isUnreachableTrap);
    assert.equal(short.exhausted(), 24n);
  });

  it('stops an infinite loop with out of gas', () => {
    const m = metered(wat('(module (func (export "spin") (loop $l (br $l))))'), 1_000_000n);
    assert.throws(() => m.call('spin'), isUnreachableTrap);
    // body = loop (2 gas); loop body = br (2 gas per iteration) → 499 999 iterations, 0 left.
    assert.equal(m.exhausted(), 2n);
    assert.equal(m.gas(), 0n);
  });

  it('charges a small if/else up front: its costlier arm, whichever arm runs', () => {
    assert.ok(SMALL_ARM_INSTRUCTIONS >= 3, 'a 3-instruction arm is small');
    const wasm = wat(`(module (func (export "pick") (param i32) (result i32)
      (if (result i32) (local.get 0) (then (i32.const 1) (i32.const 2) (i32.add)) (else (i32.const 7)))))`);
    // body = local.get, if = 2 instr + the costlier arm (const, const, add = 3) = 10 gas.
    for (const [arg, result] of [
      [1, 3],
      [0, 7],
    ] as const) {
      const m = metered(wasm, 100n);
      assert.equal(m.call('pick', arg), result, `pick(${arg})`);
      assert.equal(100n - m.gas(), 10n, `pick(${arg}): gas`);
    }
  });

  it('charges a large if/else exactly: the cheaper arm up front, the rest in the costlier arm', () => {
    const wasm = wat(`(module (func (export "pick") (param i32) (result i32)
      (if (result i32) (local.get 0) (then (i32.const 1) (i32.const 2) (i32.add)) (else (i32.const 7)))))`);
    // With no arm counted small: body = local.get, if + the else arm (1) = 6 gas; the then arm
    // charges its other 2 instructions = 4 gas. Exactly the per-sequence figures (10 and 6).
    for (const chargePoints of ['merged', 'sequence'] as const) {
      const options = { smallArmInstructions: 0, chargePoints };
      const a = metered(wasm, 100n, options);
      assert.equal(a.call('pick', 1), 3);
      assert.equal(100n - a.gas(), 10n, `${chargePoints}: then arm`);
      const b = metered(wasm, 100n, options);
      assert.equal(b.call('pick', 0), 7);
      assert.equal(100n - b.gas(), 6n, `${chargePoints}: else arm`);
    }
  });

  it('charges a block body with the enclosing sequence, also when a br leaves before it', () => {
    const wasm = wat(`(module (func (export "f") (param i32) (result i32)
      (block $out (br_if $out (local.get 0)) (block (nop) (nop) (nop)))
      (i32.const 5)))`);
    // body = block, i32.const + outer block (local.get, br_if, block) + inner (nop × 3)
    // = 8 instr = 16 gas. Per sequence, the inner block's 6 gas is charged only if reached.
    for (const arg of [0, 1]) {
      const m = metered(wasm, 100n);
      assert.equal(m.call('f', arg), 5);
      assert.equal(100n - m.gas(), 16n, `f(${arg}): same gas whether the br is taken`);
      const exact = metered(wasm, 100n, { chargePoints: 'sequence' });
      exact.call('f', arg);
      assert.equal(100n - exact.gas(), arg === 1 ? 10n : 16n, `f(${arg}): per-sequence gas`);
    }
    const short = metered(wasm, 15n);
    assert.throws(() => short.call('f', 1), isUnreachableTrap, 'the whole body is charged first');
    assert.equal(short.exhausted(), 16n);
    assert.equal(short.gas(), 15n);
  });

  it('charges an if without else its then arm only when taken, unless the arm is small', () => {
    const big = Array<string>(SMALL_ARM_INSTRUCTIONS + 1)
      .fill('(nop)')
      .join(' ');
    const wasm = (arm: string) =>
      wat(`(module (func (export "f") (param i32) (if (local.get 0) (then ${arm}))))`);
    // body = local.get, if = 4 gas; a (SMALL_ARM_INSTRUCTIONS + 1)-nop arm charges itself.
    for (const [arg, gas] of [
      [0, 4n],
      [1, 4n + 2n * BigInt(SMALL_ARM_INSTRUCTIONS + 1)],
    ] as const) {
      const m = metered(wasm(big), 100n);
      m.call('f', arg);
      assert.equal(100n - m.gas(), gas, `big arm, f(${arg})`);
    }
    // A SMALL_ARM_INSTRUCTIONS-nop arm is small: charged up front, taken or not.
    for (const arg of [0, 1]) {
      const m = metered(wasm(Array<string>(SMALL_ARM_INSTRUCTIONS).fill('(nop)').join(' ')), 100n);
      m.call('f', arg);
      assert.equal(100n - m.gas(), 4n + 2n * BigInt(SMALL_ARM_INSTRUCTIONS), `small arm, f(${arg})`);
    }
  });

  it('reports the body charge and stack cost per function', () => {
    const [report] = meteringReport(SUM);
    assert.ok(report);
    // block, local.get + the block body (loop) = 3 instr; the loop body charges itself.
    assert.equal(report.entryGas, 6);
    // 1 param + 1 local + max operand height 2.
    assert.equal(report.stackCost, STACK_FRAME_BASE + 1 + 1 + 2);
    assert.equal(report.stackMetered, false, 'a leaf runs without the stack meter');
  });
});

describe('instrumentContract: stack meter only where recursion is possible', () => {
  const stackMetered = (text: string): Record<number, boolean> =>
    Object.fromEntries(meteringReport(wat(text)).map((f) => [f.functionIndex, f.stackMetered]));

  it('meters functions on a call cycle (self, mutual) and skips the rest', () => {
    const report = stackMetered(`(module
      (func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
      (func $caller (param i32) (result i32) (call $leaf (local.get 0)))
      (func $self (param i32) (result i32) (call $self (call $caller (local.get 0))))
      (func $a (param i32) (result i32) (call $b (local.get 0)))
      (func $b (param i32) (result i32) (call $a (local.get 0))))`);
    assert.deepEqual(report, { 0: false, 1: false, 2: true, 3: true, 4: true });
  });

  it('treats call_indirect as calling every function of its signature (or an import)', () => {
    const report = stackMetered(`(module
      (import "env" "h" (func $h))
      (type $t (func (param i32) (result i32)))
      (table 2 funcref)
      (func $same (param i32) (result i32) (call_indirect (type $t) (local.get 0) (i32.const 0)))
      (func $other (param i32 i32) (result i32) (call_indirect (type $t) (local.get 0) (i32.const 0)))
      (func $plain (param i32) (result i32) (local.get 0)))`);
    // $same may call itself through the table; $other (another signature) may not be called by
    // either; $plain has $same's signature but calls nothing.
    assert.deepEqual(report, { 1: true, 2: false, 3: false });
  });

  it('treats a host call as a possible re-entry through allocate only', () => {
    const report = stackMetered(`(module
      (import "env" "db_read" (func $db_read (param i32) (result i32)))
      (memory 1)
      (func $alloc_helper (param i32) (result i32) (call $db_read (local.get 0)))
      (func (export "allocate") (param i32) (result i32) (call $alloc_helper (local.get 0)))
      (func (export "execute") (param i32) (result i32) (call $db_read (local.get 0))))`);
    // allocate → helper → host → allocate is a cycle; execute calls the host but the host
    // never calls execute back.
    assert.deepEqual(report, { 1: true, 2: true, 3: false });
  });

  it('keeps chains of unmetered frames within STACK_HEADROOM', () => {
    // A chain of fat acyclic functions: f0 → f1 → … → f4, each 4 + 1000 locals + height 1.
    const locals = Array<string>(1000).fill('i32').join(' ');
    const fns = Array.from({ length: 5 }, (_, i) =>
      i < 4 ? `(func $f${i} (local ${locals}) (call $f${i + 1}))` : `(func $f${i} (local ${locals}))`,
    );
    const report = meteringReport(wat(`(module ${fns.join(' ')})`));
    // From the callee up: f4 (1004), f3 (+1004 = 2008) fit in 2048; f2 would not.
    assert.deepEqual(
      report.map((f) => f.stackMetered),
      [true, true, true, false, false],
    );
    const unmeteredChain = report.filter((f) => !f.stackMetered).reduce((sum, f) => sum + f.stackCost, 0);
    assert.ok(unmeteredChain <= STACK_HEADROOM, `unmetered chain ${unmeteredChain}`);
  });

  it('handles a 5 000-function call chain (iterative analysis) and fills the headroom exactly', () => {
    const n = 5000;
    const fns = Array.from({ length: n }, (_, i) =>
      i < n - 1
        ? `(func $f${i} (param i32) (result i32) (call $f${i + 1} (local.get 0)))`
        : `(func $f${i} (param i32) (result i32) (local.get 0))`,
    );
    // g reaches every f through the table and itself (same signature): g is on a cycle, the
    // chain is not. Each f costs 4 + 1 param + height 1 = 6: the last floor(2048 / 6) are free.
    const report = meteringReport(
      wat(`(module (table 1 funcref) (type $t (func (param i32) (result i32))) ${fns.join(' ')}
        (func (export "g") (param i32) (result i32) (call_indirect (type $t) (local.get 0) (i32.const 0))))`),
    );
    const free = report.filter((f) => !f.stackMetered).map((f) => f.functionIndex);
    const expected = Math.floor(STACK_HEADROOM / 6);
    assert.equal(free.length, expected);
    assert.equal(free[0], n - expected, 'the callee end of the chain');
    assert.equal(report[n]?.stackMetered, true, 'g');
  });

  it('meters a leaf whose frame alone exceeds STACK_HEADROOM', () => {
    const locals = Array<string>(STACK_HEADROOM).fill('i32').join(' ');
    assert.deepEqual(stackMetered(`(module (func (local ${locals})))`), { 0: true });
  });

  it('meters every function with stackMeter "all"', () => {
    const wasm = wat(`(module (global $g (export "g") (mut i32) (i32.const 0))
      (func (export "f") (global.set $g (i32.const 1))))`);
    // Same behaviour both ways; the metered form is larger (enter, wrapper block, exit).
    const all = instrumentContract(wasm, { stackMeter: 'all' });
    assert.ok(all.length > instrumentContract(wasm).length);
    const m = metered(wasm, 100n, { stackMeter: 'all' });
    m.call('f');
    assert.equal(m.global('g'), 1);
  });
});

describe('instrumentContract: memory', () => {
  const GROW = wat(`(module (memory 1)
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
    (func (export "fill") (param i32) (memory.fill (i32.const 0) (i32.const 7) (local.get 0)))
    (func (export "copy") (param i32) (memory.copy (i32.const 100) (i32.const 0) (local.get 0)))
    (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0))))`);
  // grow body = local.get, memory.grow = 4 gas; fill/copy/init body = 3 consts/gets + the op = 8 gas.

  it('forces the maximum to 192 pages: growing past it returns -1', () => {
    const m = metered(GROW, 10_000_000n);
    assert.equal(m.call('grow', 191), 1);
    assert.equal(m.call('grow', 1), -1);
    assert.equal(m.call('grow', 0), 192);
    assert.equal(plain(GROW)('grow', 200), 1, 'the unmetered module could grow past 192');
  });

  it('charges 8192 gas per requested page before growing, even when growing fails', () => {
    const m = metered(GROW, 10_000_000n);
    m.call('grow', 3);
    assert.equal(10_000_000n - m.gas(), 4n + 3n * 8192n);
    const before = m.gas();
    assert.equal(m.call('grow', 500), -1);
    assert.equal(before - m.gas(), 4n + 500n * 8192n);
  });

  it('runs out of gas on a grow it cannot pay for, without growing', () => {
    const m = metered(GROW, 4n + 10n * 8192n - 1n);
    assert.throws(() => m.call('grow', 10), isUnreachableTrap);
    assert.equal(m.exhausted(), 10n * 8192n);
    assert.equal(m.call('grow', 0), 1, 'memory unchanged');
  });

  it('charges bulk memory by length and still performs it', () => {
    const m = metered(GROW, 100_000n);
    m.call('fill', 1000);
    assert.equal(100_000n - m.gas(), 8n + 1000n);
    assert.equal(m.call('load', 999), 7);
    const before = m.gas();
    m.call('copy', 50);
    assert.equal(before - m.gas(), 8n + 50n);
    assert.equal(m.call('load', 149), 7);
    const poor = metered(GROW, 500n);
    assert.throws(() => poor.call('fill', 1000), isUnreachableTrap);
    assert.equal(poor.exhausted(), 1000n);
  });

  it('meters memory.init per data segment', () => {
    const wasm = wat(`(module (memory 1) (data $d "hello world")
      (func (export "init") (param i32) (memory.init $d (i32.const 0) (i32.const 0) (local.get 0)))
      (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0))))`);
    const m = metered(wasm, 1000n);
    m.call('init', 5);
    assert.equal(1000n - m.gas(), 8n + 5n);
    assert.equal(m.call('load', 4), 'o'.charCodeAt(0));
  });
});

// Recursion with a counter the module keeps, to read the depth reached.
function recursionWat(params: number, locals: number): string {
  const p = params > 0 ? `(param ${Array(params).fill('i64').join(' ')})` : '';
  const l = locals > 0 ? `(local ${Array(locals).fill('i64').join(' ')})` : '';
  const args = Array.from({ length: params }, (_, i) => `(local.get ${i})`).join(' ');
  return `(module (memory 1) (global $depth (export "depth") (mut i32) (i32.const 0))
    (func $f (export "f") ${p} ${l}
      (global.set $depth (i32.add (global.get $depth) (i32.const 1)))
      (call $f ${args})))`;
}

describe('instrumentContract: call-stack depth', () => {
  const cases = [
    // thin: max operand height 2 (global.get + i32.const) → cost 4 + 2 = 6
    { name: 'thin frames', params: 0, locals: 0, cost: STACK_FRAME_BASE + 2 },
    // fat: 50 params + 200 locals, the call pushes 50 args → cost 4 + 50 + 200 + 50
    { name: 'fat frames', params: 50, locals: 200, cost: STACK_FRAME_BASE + 50 + 200 + 50 },
    // fattest the limits allow for params, with many locals
    { name: 'very fat frames', params: 100, locals: 5000, cost: STACK_FRAME_BASE + 100 + 5000 + 100 },
  ];
  for (const c of cases) {
    it(`traps runaway recursion with ${c.name} at depth floor(${MAX_STACK_COST} / ${c.cost}), every run`, () => {
      const wasm = wat(recursionWat(c.params, c.locals));
      assert.equal(meteringReport(wasm)[0]?.stackCost, c.cost, 'stack cost formula');
      const expected = Math.floor(MAX_STACK_COST / c.cost);
      for (let run = 0; run < 3; run++) {
        const m = metered(wasm, 10n ** 12n);
        assert.throws(
          () => m.call('f', ...Array<bigint>(c.params).fill(0n)),
          isUnreachableTrap,
          `run ${run}: our trap, not V8's RangeError`,
        );
        assert.equal(m.stackExhausted(), 1, `run ${run}: stack_exhausted`);
        assert.equal(m.exhausted(), 0n, `run ${run}: not out of gas`);
        assert.equal(m.global('depth'), expected, `run ${run}: depth reached`);
      }
    });
  }

  it('the unmetered fat module overflows V8 instead (so the meter is what stops it)', () => {
    const call = plain(wat(recursionWat(100, 5000)));
    assert.throws(() => call('f', ...Array<bigint>(100).fill(0n)), RangeError);
  });

  it('honours a custom budget', () => {
    const m = metered(wat(recursionWat(0, 0)), 10n ** 9n, { maxStackCost: 60 });
    assert.throws(() => m.call('f'), isUnreachableTrap);
    assert.equal(m.global('depth'), 10);
  });

  it('releases the budget on every exit path (return, br to the function label, fall-through)', () => {
    const wasm = wat(`(module
      (func $fib (export "fib") (param i32) (result i32)
        (if (i32.lt_u (local.get 0) (i32.const 2)) (then (return (local.get 0))))
        (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1))) (call $fib (i32.sub (local.get 0) (i32.const 2)))))
      (func $exit_by_br (export "br") (param i32) (result i32)
        (block (br_if 1 (i32.const 5) (local.get 0)) drop)
        (i32.const 9)))`);
    const m = metered(wasm, 10n ** 12n, { maxStackCost: 200 });
    // With a 200 budget, a leak of even one frame per call would trap within 200 calls.
    for (let i = 0; i < 500; i++) {
      assert.equal(m.call('fib', 10), 55, `fib call ${i}`);
      assert.equal(m.call('br', i % 2), i % 2 ? 5 : 9, `br call ${i}`);
    }
    assert.equal(m.stackExhausted(), 0);
  });
});

describe('instrumentContract: equivalence with the original module', () => {
  const PROGRAMS = wat(`(module
    (type $binop (func (param i32 i32) (result i32)))
    (memory (export "memory") 1)
    (table 3 funcref)
    (elem (i32.const 0) $add $sub $mul)
    (func $add (type $binop) (i32.add (local.get 0) (local.get 1)))
    (func $sub (type $binop) (i32.sub (local.get 0) (local.get 1)))
    (func $mul (type $binop) (i32.mul (local.get 0) (local.get 1)))
    (func (export "apply") (param $op i32) (param $a i32) (param $b i32) (result i32)
      (call_indirect (type $binop) (local.get $a) (local.get $b) (local.get $op)))
    (func (export "switch") (param i32) (result i32)
      (block $d (block $c (block $b (block $a
        (br_table $a $b $c $d (local.get 0)))
        (return (i32.const 100)))
        (return (i32.const 200)))
        (return (i32.const 300)))
      (i32.const 400))
    (func (export "collatz") (param $n i64) (result i32) (local $steps i32)
      (block $done (loop $l
        (br_if $done (i64.eq (local.get $n) (i64.const 1)))
        (if (i64.eqz (i64.and (local.get $n) (i64.const 1)))
          (then (local.set $n (i64.shr_u (local.get $n) (i64.const 1))))
          (else (local.set $n (i64.add (i64.mul (local.get $n) (i64.const 3)) (i64.const 1)))))
        (local.set $steps (i32.add (local.get $steps) (i32.const 1)))
        (br $l)))
      (local.get $steps))
    (func $divmod (param i32 i32) (result i32 i32)
      (i32.div_u (local.get 0) (local.get 1)) (i32.rem_u (local.get 0) (local.get 1)))
    (func (export "divmod_sum") (param i32 i32) (result i32) (local $r i32)
      (call $divmod (local.get 0) (local.get 1))
      (block (param i32 i32) (result i32)
        local.set $r
        i32.const 1000
        i32.mul
        local.get $r
        i32.add))
    (func (export "multi") (param i32) (result i32 i32) (local.get 0) (i32.mul (local.get 0) (local.get 0)))
    (func (export "checksum") (param $len i32) (result i32) (local $i i32) (local $acc i32)
      (memory.fill (i32.const 0) (i32.const 3) (local.get $len))
      (loop $l
        (if (i32.lt_u (local.get $i) (local.get $len))
          (then
            (i32.store8 (local.get $i) (i32.add (i32.load8_u (local.get $i)) (local.get $i)))
            (local.set $acc (i32.add (i32.rotl (local.get $acc) (i32.const 5)) (i32.load8_u (local.get $i))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $l))))
      (local.get $acc))
    (func (export "nested") (param i32) (result i32)
      (block $out (result i32)
        (block $mid (result i32)
          (block $in (result i32)
            (drop (br_if $out (i32.const -1) (i32.eq (local.get 0) (i32.const 0))))
            (drop (br_if $mid (i32.const -2) (i32.eq (local.get 0) (i32.const 1))))
            (i32.const -3))
          (i32.add (i32.const 10)))
        (i32.add (i32.const 20))))
    (func (export "ext") (param i32) (result i32) (i32.extend8_s (local.get 0))))`);

  const CALLS: [string, unknown[]][] = [
    ...[0, 1, 2].map((op): [string, unknown[]] => ['apply', [op, 17, 5]]),
    ...[0, 1, 2, 3, 4, 99, -1].map((n): [string, unknown[]] => ['switch', [n]]),
    ...[1n, 6n, 27n, 97n, 871n].map((n): [string, unknown[]] => ['collatz', [n]]),
    ['divmod_sum', [1234, 10]],
    ['multi', [12]],
    ...[0, 1, 17, 1000].map((n): [string, unknown[]] => ['checksum', [n]]),
    ...[0, 1, 2].map((n): [string, unknown[]] => ['nested', [n]]),
    ['ext', [0xff]],
  ];

  for (const chargeMode of ['inline', 'call'] as const) {
    it(`gives the same results as the original (${chargeMode} charging)`, () => {
      const original = plain(PROGRAMS);
      const m = metered(PROGRAMS, 10n ** 12n, { chargeMode });
      for (const [name, args] of CALLS) {
        assert.deepEqual(m.call(name, ...args), original(name, ...args), `${name}(${args.join(', ')})`);
      }
      assert.ok(m.gas() < 10n ** 12n, 'gas was charged');
    });
  }

  it('encodes a multi-value wrapper block type index ≥ 64 as s33', () => {
    // 70 distinct types first, so the new [] -> [i32 i32] type gets index 70 (0x46 as u32 LEB
    // would read back as a negative s33, i.e. a value type).
    const types = Array.from(
      { length: 70 },
      (_, i) =>
        `(type (func (param ${Array<string>(i + 1)
          .fill('i32')
          .join(' ')})))`,
    );
    const wasm = wat(`(module ${types.join(' ')}
      (func (export "pair") (param i32) (result i32 i32) (local.get 0) (i32.add (local.get 0) (i32.const 1))))`);
    const m = metered(wasm, 100n);
    assert.deepEqual(m.call('pair', 41), [41, 42]);
  });

  it('leaves a module with no memory without metering helpers and still valid', () => {
    const wasm = wat('(module (func (export "one") (result i32) (i32.const 1)))');
    const m = metered(wasm, 100n);
    assert.equal(m.call('one'), 1);
    assert.equal(100n - m.gas(), 2n);
  });

  it('keeps imported function indices: calls to the host still reach it, and are charged like any call', () => {
    const wasm = wat(`(module (import "env" "twice" (func $twice (param i32) (result i32)))
      (func (export "go") (param i32) (result i32) (call $twice (i32.add (local.get 0) (i32.const 1)))))`);
    const bytes = instrumentContract(wasm);
    const seen: number[] = [];
    const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), {
      env: { twice: (x: number) => (seen.push(x), 2 * x) },
    }).exports;
    globalOf(exports, GAS_GLOBAL).value = 100n;
    assert.equal((exports.go as (x: number) => number)(20), 42);
    assert.deepEqual(seen, [21]);
    // body = local.get, i32.const, i32.add, call = 8 gas.
    assert.equal(100n - (globalOf(exports, GAS_GLOBAL).value as bigint), 8n);
  });

  it('keeps custom sections (the name section) byte for byte', () => {
    // Function-names subsection (id 1) naming function 0, plus an arbitrary custom section.
    const functionNames = new WasmWriter().u32(1).u32(0).name('named_function').finish();
    const nameSection = new WasmWriter()
      .name('name')
      .u8(1)
      .u32(functionNames.length)
      .bytes(functionNames)
      .finish();
    const noteSection = new WasmWriter().name('note').bytes(new TextEncoder().encode('kept')).finish();
    const module = new WasmWriter()
      .bytes(wat('(module (func (export "f")))'))
      .section(0, nameSection)
      .section(0, noteSection)
      .finish();
    const names = (bytes: Uint8Array, name: string): ArrayBuffer[] =>
      WebAssembly.Module.customSections(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), name);
    const out = instrumentContract(module);
    for (const name of ['name', 'note']) {
      const before = names(module, name);
      assert.equal(names(out, name).length, before.length, `${name} section count`);
      assert.deepEqual(names(out, name), before, `${name} section bytes`);
    }
  });

  it('refuses a module whose initial memory exceeds the forced maximum', () => {
    assert.throws(
      () => instrumentContract(wat('(module (memory 10))'), { maxPages: 5 }),
      (e: unknown) => e instanceof VmError && e.code === 'INSTRUMENT_ERROR',
    );
  });

  it('keeps custom sections and validates the instrumented AssemblyScript contracts', () => {
    const dir = new URL('../../contracts/build/', import.meta.url);
    if (!existsSync(dir)) return;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.wasm'))) {
      const out = instrumentContract(readFileSync(new URL(file, dir)));
      assert.ok(engineValidates(out), `${file} instrumented validates`);
    }
  });
});
