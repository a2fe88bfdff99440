// Property: for random structured programs (nested block/loop/if, br/br_if/br_table to any
// enclosing label, early returns, calls, multi-value), the metered module returns exactly what
// the original returns, and charges the same gas every time it runs; the default (merged)
// charge points never charge less than the exact per-sequence rule (CONTRACT_ABI §6), and a
// gas limit one unit below what a call used makes it trap out of gas.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import {
  GAS_EXHAUSTED_GLOBAL,
  GAS_GLOBAL,
  type InstrumentOptions,
  instrumentContract,
} from '../../src/vm/instrument.js';
import { wat } from './wat.js';

/** Small deterministic PRNG (mulberry32), so a failing seed reproduces the program. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n) >>> 0;
  };
}

/** Generates a terminating program: every loop iteration spends one unit of shared `$fuel`. */
function program(seed: number): string {
  const rand = prng(seed);
  let labelCount = 0;
  const pick = <T>(items: readonly T[]): T => items[rand(items.length)] as T;

  const expr = (depth: number): string => {
    const choice = rand(depth > 2 ? 3 : 7);
    switch (choice) {
      case 0:
        return pick(['(local.get $a)', '(local.get $b)', '(local.get $x)', '(local.get $fuel)']);
      case 1:
        return `(i32.const ${rand(200) - 100})`;
      case 2:
        return `(${pick(['i32.add', 'i32.sub', 'i32.mul', 'i32.xor', 'i32.and', 'i32.or', 'i32.rotl', 'i32.lt_s', 'i32.eq'])} ${expr(depth + 1)} ${expr(depth + 1)})`;
      case 3:
        return `(call $mix ${expr(depth + 1)} ${expr(depth + 1)})`;
      case 4:
        return `(select ${expr(depth + 1)} ${expr(depth + 1)} ${expr(depth + 1)})`;
      case 5:
        return `(block (result i32 i32) ${expr(depth + 1)} ${expr(depth + 1)}) (i32.add)`;
      default:
        return `(if (result i32) ${expr(depth + 1)} (then ${expr(depth + 1)}) (else ${expr(depth + 1)}))`;
    }
  };

  const stmts = (labels: string[], depth: number): string => {
    const n = 1 + rand(3);
    let out = '';
    for (let i = 0; i < n; i++) out += ' ' + stmt(labels, depth);
    return out;
  };

  const stmt = (labels: string[], depth: number): string => {
    const choice = rand(depth > 3 ? 2 : 9);
    switch (choice) {
      case 0:
        return `(local.set $x ${expr(0)})`;
      case 1:
        return labels.length > 0
          ? `(br_if ${pick(labels)} (i32.lt_u (local.get $x) (i32.const ${rand(50)})))`
          : '(nop)';
      case 2: {
        const label = `$l${labelCount++}`;
        return `(block ${label} ${stmts([...labels, label], depth + 1)})`;
      }
      case 3: {
        const exit = `$l${labelCount++}`;
        const loop = `$l${labelCount++}`;
        return `(block ${exit} (loop ${loop}
          (br_if ${exit} (i32.eqz (local.get $fuel)))
          (local.set $fuel (i32.sub (local.get $fuel) (i32.const 1)))
          ${stmts([...labels, exit, loop], depth + 1)}
          (br_if ${loop} (i32.and (local.get $x) (i32.const 1)))))`;
      }
      case 4:
        return `(if ${expr(0)} (then ${stmts(labels, depth + 1)}) (else ${stmts(labels, depth + 1)}))`;
      case 5:
        return `(if ${expr(0)} (then (return (i32.add (local.get $x) ${expr(0)}))))`;
      case 6:
        return labels.length > 0
          ? `(br_table ${Array.from({ length: 1 + rand(3) }, () => pick(labels)).join(' ')} ${pick(labels)} (i32.and (local.get $x) (i32.const 3)))`
          : '(nop)';
      case 7:
        return `(local.set $x (call $rec (i32.and ${expr(0)} (i32.const 7))))`;
      default:
        return `(if ${expr(0)} (then (local.set $x (i32.add (local.get $x) (i32.const 1)))))`;
    }
  };

  return `(module
    (func $mix (param i32 i32) (result i32) (i32.xor (i32.mul (local.get 0) (i32.const 31)) (local.get 1)))
    (func $rec (param i32) (result i32)
      (if (result i32) (i32.le_s (local.get 0) (i32.const 0)) (then (i32.const 1))
        (else (i32.add (local.get 0) (call $rec (i32.sub (local.get 0) (i32.const 1)))))))
    (func (export "f") (param $a i32) (param $b i32) (result i32) (local $x i32) (local $fuel i32)
      (local.set $fuel (i32.const 40))
      ${stmts([], 0)}
      (i32.add (local.get $x) (i32.mul (local.get $a) (local.get $b)))))`;
}

describe('instrumentContract on random structured programs', () => {
  it('returns what the original returns, with the same gas on every run', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x7fffffff }), fc.integer(), fc.integer(), (seed, a, b) => {
        const wasm = wat(program(seed));
        const original = new WebAssembly.Instance(new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>), {})
          .exports;
        const expected = (original.f as (a: number, b: number) => number)(a, b);
        const metered = instrumentContract(wasm);
        const gasUsed: bigint[] = [];
        for (let run = 0; run < 2; run++) {
          const exports = new WebAssembly.Instance(
            new WebAssembly.Module(metered as Uint8Array<ArrayBuffer>),
            {},
          ).exports;
          const gas = exports[GAS_GLOBAL] as WebAssembly.Global;
          gas.value = 10n ** 12n;
          assert.equal(
            (exports.f as (a: number, b: number) => number)(a, b),
            expected,
            `seed ${seed} run ${run}: result`,
          );
          gasUsed.push(10n ** 12n - (gas.value as bigint));
        }
        assert.equal(gasUsed[0], gasUsed[1], `seed ${seed}: gas differs between runs`);
        const used = gasUsed[0] ?? 0n;
        assert.ok(used > 0n, `seed ${seed}: gas charged`);

        const run = (options: InstrumentOptions, limit: bigint) => {
          const exports = new WebAssembly.Instance(
            new WebAssembly.Module(instrumentContract(wasm, options) as Uint8Array<ArrayBuffer>),
            {},
          ).exports;
          const gas = exports[GAS_GLOBAL] as WebAssembly.Global;
          gas.value = limit;
          const result = (exports.f as (a: number, b: number) => number)(a, b);
          return { result, used: limit - (gas.value as bigint) };
        };
        const exact = run({ chargePoints: 'sequence', stackMeter: 'all' }, 10n ** 12n);
        assert.equal(exact.result, expected, `seed ${seed}: per-sequence result`);
        assert.ok(used >= exact.used, `seed ${seed}: merged ${used} < per-sequence ${exact.used}`);
        const exactIfs = run({ smallArmInstructions: 0 }, 10n ** 12n);
        assert.equal(exactIfs.result, expected, `seed ${seed}: exact-if result`);
        assert.ok(exactIfs.used >= exact.used && exactIfs.used <= used, `seed ${seed}: exact-if gas between`);

        assert.equal(run({}, used).used, used, `seed ${seed}: exactly enough gas`);
        const exports = new WebAssembly.Instance(
          new WebAssembly.Module(metered as Uint8Array<ArrayBuffer>),
          {},
        ).exports;
        (exports[GAS_GLOBAL] as WebAssembly.Global).value = used - 1n;
        assert.throws(
          () => (exports.f as (a: number, b: number) => number)(a, b),
          (e: unknown) => e instanceof WebAssembly.RuntimeError && /unreachable/.test(e.message),
          `seed ${seed}: one unit short traps`,
        );
        assert.ok(
          ((exports[GAS_EXHAUSTED_GLOBAL] as WebAssembly.Global).value as bigint) > 0n,
          `seed ${seed}: gas_limit_exhausted set`,
        );
      }),
      { numRuns: 300 },
    );
  });
});
