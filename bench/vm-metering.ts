// Metering overhead: the same compute-heavy modules run unmetered, metered with inline
// global charging (the default) and metered with a call to an injected charge function.
// Usage: npx tsx bench/vm-metering.ts      (a few seconds; results go to bench/RESULTS.md)
import { cpus } from 'node:os';
import wabtInit from 'wabt';

import { GAS_GLOBAL, type InstrumentOptions, instrumentContract } from '../src/vm/instrument.js';

const wabt = await wabtInit();
const wat = (text: string): Uint8Array =>
  new Uint8Array(wabt.parseWat('bench.wat', text, { bulk_memory: true }).toBinary({}).buffer);

// Three workloads: a hashing-style loop over memory (long straight-line sequences), a
// branchy loop (many short sequences: the worst case for per-sequence charging), and
// recursive calls (function-entry charge + stack meter on every call).
const MODULE = wat(`(module (memory 1)
  (func (export "mix") (param $rounds i32) (result i64) (local $i i32) (local $h i64) (local $j i32)
    (memory.fill (i32.const 0) (i32.const 0) (i32.const 8192)) ;; same input every run
    (local.set $h (i64.const 0x9e3779b97f4a7c15))
    (loop $outer
      (local.set $j (i32.const 0))
      (loop $inner
        (local.set $h (i64.xor (local.get $h) (i64.load (i32.shl (i32.and (local.get $j) (i32.const 1023)) (i32.const 3)))))
        (local.set $h (i64.mul (i64.rotl (local.get $h) (i64.const 31)) (i64.const 0xbf58476d1ce4e5b9)))
        (i64.store (i32.shl (i32.and (local.get $j) (i32.const 1023)) (i32.const 3)) (i64.add (local.get $h) (i64.extend_i32_u (local.get $j))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $inner (i32.lt_u (local.get $j) (i32.const 1024))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $outer (i32.lt_u (local.get $i) (local.get $rounds))))
    (local.get $h))
  (func (export "branchy") (param $n i32) (result i32) (local $x i32) (local $c i32)
    (local.set $x (local.get $n))
    (loop $l
      (if (i32.and (local.get $x) (i32.const 1))
        (then (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 3)) (i32.const 1))))
        (else (local.set $x (i32.shr_u (local.get $x) (i32.const 1)))))
      (if (i32.le_u (local.get $x) (i32.const 1)) (then (local.set $x (i32.add (local.get $c) (i32.const 27)))))
      (local.set $c (i32.add (local.get $c) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $c) (local.get $n))))
    (local.get $x))
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1))) (call $fib (i32.sub (local.get 0) (i32.const 2))))))))`);

type Fn = (arg: number) => unknown;

function load(bytes: Uint8Array): { fn: (name: string) => Fn; refuel: () => void } {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>), {});
  const gas = instance.exports[GAS_GLOBAL];
  return {
    fn: (name) => instance.exports[name] as Fn,
    refuel: () => {
      if (gas instanceof WebAssembly.Global) gas.value = 10n ** 17n;
    },
  };
}

const variants: { name: string; bytes: Uint8Array }[] = [
  { name: 'unmetered', bytes: MODULE },
  { name: 'inline', bytes: instrumentContract(MODULE, { chargeMode: 'inline' } satisfies InstrumentOptions) },
  { name: 'call', bytes: instrumentContract(MODULE, { chargeMode: 'call' }) },
];
const workloads: { name: string; arg: number }[] = [
  { name: 'mix', arg: 20_000 },
  { name: 'branchy', arg: 5_000_000 },
  { name: 'fib', arg: 30 },
];

console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'} × ${cpus().length}`);
console.log(
  `module ${MODULE.length} bytes; inline-metered ${variants[1]?.bytes.length} bytes; call-metered ${variants[2]?.bytes.length} bytes`,
);
console.log('workload  unmetered ms  inline ms (ratio)  call ms (ratio)   [best of 15 interleaved runs]');
// The machine is shared, so variants run interleaved (A B C A B C …) and each keeps its fastest
// run: contention only ever adds time, so the minimum is the fairest figure.
const ROUNDS = 15;
for (const workload of workloads) {
  const outputs = new Set<string>();
  const runners = variants.map((variant) => {
    const { fn, refuel } = load(variant.bytes);
    const f = fn(workload.name);
    for (let i = 0; i < 3; i++) {
      refuel();
      f(workload.arg); // warm-up: let V8 tier up to TurboFan
    }
    return { name: variant.name, f, refuel, best: Infinity };
  });
  for (let round = 0; round < ROUNDS; round++) {
    for (const runner of runners) {
      runner.refuel();
      const t0 = process.hrtime.bigint();
      const out = runner.f(workload.arg);
      runner.best = Math.min(runner.best, Number(process.hrtime.bigint() - t0) / 1e6);
      outputs.add(String(out));
    }
  }
  if (outputs.size !== 1) throw new Error(`${workload.name}: variants disagree: ${[...outputs].join(', ')}`);
  const results = new Map(runners.map((r) => [r.name, r.best]));
  const base = results.get('unmetered') ?? NaN;
  const ratio = (name: string): string =>
    `${(results.get(name) ?? NaN).toFixed(1)} (${((results.get(name) ?? NaN) / base).toFixed(2)}×)`;
  console.log(
    `${workload.name.padEnd(9)} ${base.toFixed(1).padStart(12)}  ${ratio('inline').padStart(17)}  ${ratio('call').padStart(15)}`,
  );
}
