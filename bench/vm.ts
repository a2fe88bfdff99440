// Contract runtime throughput: warm calls/s of counter.increment and token.transfer through
// ContractVm (in-memory storage, cached module, reused reset instances — ADR 010 — and, for
// comparison, a fresh instance per call), cold compile +
// instantiate of a ~500 KB module, and the end-to-end metering overhead (same contract,
// instrumented vs raw, same run). Compute-only metering overhead: bench/vm-metering.ts.
// Usage: npx tsx bench/vm.ts      (about 10 s; results go to bench/RESULTS.md, section "vm")
import './lib/args.js'; // --help prints the usage comment above
import { cpus, loadavg } from 'node:os';
import wabtInit from 'wabt';

import { ContractVm, validateContractCode } from '../src/vm/index.js';
import { builtContractCode, filledAddress, memoryContract } from '../test/helpers/memory-contract.js';
import { tokenInitMsg, transferMsg } from '../test/helpers/token.js';

const ALICE = filledAddress(1);
const BOB = filledAddress(2);

/**
 * Runs `fn` for ~`ms` ms of wall time (after a warm-up). Returns calls per second of *CPU*
 * time (process.cpuUsage, user + system) — on a shared machine the wall-clock rate mostly
 * measures the other processes — and the wall-clock rate for reference.
 */
function rate(fn: (i: number) => void, ms = 1500): { cpu: number; wall: number } {
  for (let i = 0; i < 200; i++) fn(i);
  let calls = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (let j = 0; j < 50; j++) fn(calls++);
  }
  const wallSeconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return { cpu: calls / ((cpu.user + cpu.system) / 1e6), wall: calls / wallSeconds };
}

const counter = builtContractCode('counter');
const token = builtContractCode('token');

function counterRate(instrument: boolean): { cpu: number; wall: number } {
  const call = memoryContract(new ContractVm({ instrument }), counter);
  call('instantiate', { count: 0 }, ALICE);
  return rate(() => void call('execute', { increment: {} }, ALICE));
}

function tokenRate(
  instrument: boolean,
  reuseInstances = true,
): { rate: { cpu: number; wall: number }; gas: bigint } {
  const call = memoryContract(new ContractVm({ instrument, reuseInstances }), token);
  const holders = [ALICE, BOB].map((address) => ({ address, amount: '1000000000000' }));
  call('instantiate', tokenInitMsg(holders, { name: 'Bench Token', symbol: 'BNCH' }), ALICE);
  const gas = call('execute', transferMsg(BOB, '1'), ALICE).gasUsed;
  // Alternate directions so balances stay bounded and both accounts' keys stay hot.
  const r = rate((i) => {
    const [from, to] = i % 2 === 0 ? [ALICE, BOB] : [BOB, ALICE];
    call('execute', transferMsg(to, '1'), from);
  });
  return { rate: r, gas };
}

/** A ~500 KB valid contract: many small integer functions reachable from execute. */
async function bigModule(targetBytes: number): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const functions: string[] = [];
  const body = Array.from(
    { length: 40 },
    (_v, k) =>
      `(local.set $x (i32.xor (i32.add (local.get $x) (i32.const ${k * 7919 + 1})) (i32.shl (local.get $x) (i32.const ${(k % 13) + 1}))))`,
  ).join('\n');
  const count = Math.ceil(targetBytes / 600);
  for (let i = 0; i < count; i++) {
    functions.push(`(func $f${i} (param $x i32) (result i32) ${body} (local.get $x))`);
  }
  const text = `(module
    (import "env" "db_read" (func $db_read (param i32) (result i32)))
    (memory (export "memory") 2)
    (global $heap (mut i32) (i32.const 1024))
    (func (export "interface_version_8"))
    (func (export "allocate") (param $n i32) (result i32) (local $r i32)
      (local.set $r (global.get $heap))
      (i32.store (local.get $r) (i32.add (local.get $r) (i32.const 12)))
      (i32.store offset=4 (local.get $r) (local.get $n))
      (global.set $heap (i32.add (i32.add (local.get $r) (i32.const 12)) (local.get $n)))
      (local.get $r))
    (func (export "deallocate") (param i32))
    (func (export "instantiate") (param i32 i32 i32) (result i32) (i32.const 0))
    (table ${count} funcref)
    (elem (i32.const 0) ${Array.from({ length: count }, (_v, i) => `$f${i}`).join(' ')})
    ${functions.join('\n')})`;
  const module = wabt.parseWat('big.wat', text, {});
  const bytes = new Uint8Array(module.toBinary({}).buffer);
  module.destroy();
  return bytes;
}

async function coldCompile(): Promise<{
  bytes: number;
  validateMs: number;
  compileMs: number;
  instantiateMs: number;
}> {
  const wasm = await bigModule(500 * 1024);
  const samples: { validateMs: number; compileMs: number; instantiateMs: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const code = validateContractCode(wasm);
    const t1 = performance.now();
    const vm = new ContractVm(); // empty cache: cold
    const compiled = vm.compile(code); // instrument + WebAssembly.Module
    const t2 = performance.now();
    const memory = new WebAssembly.Memory({
      initial: compiled.memory.initial,
      maximum: compiled.memory.maximum ?? 192,
    });
    new WebAssembly.Instance(compiled.module, { env: { db_read: () => 0, memory } });
    const t3 = performance.now();
    samples.push({ validateMs: t1 - t0, compileMs: t2 - t1, instantiateMs: t3 - t2 });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1] as number;
  return {
    bytes: wasm.length,
    validateMs: median(samples.map((s) => s.validateMs)),
    compileMs: median(samples.map((s) => s.compileMs)),
    instantiateMs: median(samples.map((s) => s.instantiateMs)),
  };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const line = (
  name: string,
  metered: { cpu: number; wall: number },
  raw: { cpu: number; wall: number },
  extra = '',
) =>
  console.log(
    `${name.padEnd(18)} ${fmt(metered.cpu)} calls/CPU-s metered (${fmt(metered.wall)}/s wall), ${fmt(raw.cpu)} raw ` +
      `(${fmt(raw.wall)}/s wall); metering overhead ×${(raw.cpu / metered.cpu).toFixed(2)}${extra}`,
  );
console.log(
  `# vm bench — ${new Date().toISOString()} — node ${process.version} — ${cpus()[0]?.model ?? 'cpu'} (${cpus().length} cores), load ${loadavg()[0]?.toFixed(1)}`,
);
line('counter.increment', counterRate(true), counterRate(false));
const tokenMetered = tokenRate(true);
const tokenRaw = tokenRate(false);
line('token.transfer', tokenMetered.rate, tokenRaw.rate, `; ${tokenMetered.gas} wasm gas per transfer`);
// Instance reuse (ADR 010) against a fresh instance per call, alternated so load drifts hit both.
const reuse: number[] = [];
const fresh: number[] = [];
let freshGas = 0n;
for (let round = 0; round < 2; round++) {
  reuse.push(1e6 / tokenRate(true, true).rate.cpu);
  const f = tokenRate(true, false);
  fresh.push(1e6 / f.rate.cpu);
  freshGas = f.gas;
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(
  `token.transfer     ${mean(reuse).toFixed(1)} CPU µs/call reused instance, ${mean(fresh).toFixed(1)} fresh instance ` +
    `(${fmt(1e6 / mean(reuse))} vs ${fmt(1e6 / mean(fresh))} calls/CPU-s; gas ${freshGas === tokenMetered.gas ? 'identical' : 'DIFFERS'})`,
);
const cold = await coldCompile();
console.log(
  `cold ${fmt(cold.bytes / 1024)} KB module: validate ${cold.validateMs.toFixed(1)} ms, instrument+compile ${cold.compileMs.toFixed(1)} ms, ` +
    `instantiate ${cold.instantiateMs.toFixed(1)} ms (median of 3, wall)`,
);
