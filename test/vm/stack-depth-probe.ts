// Child-process probe for stack-tiers.test.ts: runs runaway recursion through the stack meter
// and prints, per frame shape, the depth reached and whether our trap (stack_exhausted = 1)
// stopped it. Run under different V8 flags to show the result does not depend on them.
import {
  STACK_EXHAUSTED_GLOBAL,
  GAS_GLOBAL,
  instrumentContract,
  meteringReport,
} from '../../src/vm/instrument.js';
import { wat } from './wat.js';

function recursion(params: number, locals: number): string {
  const p = params > 0 ? `(param ${Array<string>(params).fill('i64').join(' ')})` : '';
  const l = locals > 0 ? `(local ${Array<string>(locals).fill('i64').join(' ')})` : '';
  const args = Array.from({ length: params }, (_, i) => `(local.get ${i})`).join(' ');
  return `(module (global $depth (export "depth") (mut i32) (i32.const 0))
    (func $f (export "f") ${p} ${l}
      (global.set $depth (i32.add (global.get $depth) (i32.const 1)))
      (call $f ${args})))`;
}

// Thin recursion that, at every level, runs a chain of two fat functions outside the stack
// meter (cost 1 006 each: 2 012 ≤ STACK_HEADROOM): the worst use of the headroom.
const HEADROOM = `(module (global $depth (export "depth") (mut i32) (i32.const 0))
  (func $g2 (param i64) (result i64) (local ${Array<string>(1000).fill('i64').join(' ')})
    (local.set 1 (local.get 0)) (local.get 1))
  (func $g1 (param i64) (result i64) (local ${Array<string>(1000).fill('i64').join(' ')})
    (call $g2 (local.get 0)))
  (func $f (export "f")
    (global.set $depth (i32.add (global.get $depth) (i32.const 1)))
    (drop (call $g1 (i64.const 1)))
    (call $f)))`;

const results: Record<string, { depth: number; ours: boolean; unmetered?: number[] }> = {};
for (const [name, text, params] of [
  ['thin', recursion(0, 0), 0],
  ['fat', recursion(100, 5000), 100],
  ['headroom', HEADROOM, 0],
] as const) {
  const wasm = wat(text);
  const bytes = instrumentContract(wasm);
  const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), {})
    .exports;
  (exports[GAS_GLOBAL] as WebAssembly.Global).value = 10n ** 12n;
  let ours = false;
  // One fresh instance per frame shape, as the runtime does per call.
  try {
    (exports.f as (...args: bigint[]) => void)(...Array<bigint>(params).fill(0n));
  } catch (error) {
    ours =
      error instanceof WebAssembly.RuntimeError &&
      (exports[STACK_EXHAUSTED_GLOBAL] as WebAssembly.Global).value === 1;
  }
  results[name] = { depth: (exports.depth as WebAssembly.Global).value as number, ours };
  if (name === 'headroom') {
    results[name].unmetered = meteringReport(wasm)
      .filter((f) => !f.stackMetered)
      .map((f) => f.functionIndex);
  }
}
process.stdout.write(JSON.stringify(results));
