// Child-process probe for stack-tiers.test.ts: runs runaway recursion through the stack meter
// and prints, per frame shape, the depth reached and whether our trap (stack_exhausted = 1)
// stopped it. Run under different V8 flags to show the result does not depend on them.
import { STACK_EXHAUSTED_GLOBAL, GAS_GLOBAL, instrumentContract } from '../../src/vm/instrument.js';
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

const results: Record<string, { depth: number; ours: boolean }> = {};
for (const [name, params, locals] of [
  ['thin', 0, 0],
  ['fat', 100, 5000],
] as const) {
  const bytes = instrumentContract(wat(recursion(params, locals)));
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
}
process.stdout.write(JSON.stringify(results));
