// Contract runtime throughput: warm calls/s of counter.increment and token.transfer through
// ContractVm (in-memory storage, cached module, reused reset instances — ADR 010 — and, for
// comparison, a fresh instance per call), cold compile +
// instantiate of a ~500 KB module, and the end-to-end metering overhead (same contract,
// instrumented vs raw, same run). Compute-only metering overhead: bench/vm-metering.ts.
// Usage: npx tsx bench/vm.ts      (about 10 s; results go to bench/RESULTS.md, section "vm")
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import wabtInit from 'wabt';

import { ContractVm, validateContractCode } from '../src/vm/index.js';
import type { ContractEnv, EntryPoint, MessageInfo, ValidatedCode } from '../src/vm/index.js';
import { toBech32 } from '../src/crypto/index.js';

const encoder = new TextEncoder();
const address = (n: number): string => toBech32('shroud', new Uint8Array(20).fill(n));
const ALICE = address(1);
const BOB = address(2);

const env = (code: ValidatedCode): ContractEnv => ({
  block: {
    height: 100,
    time: 1_700_000_000_000_000_000n,
    chainId: 'shroud-bench',
    random: new Uint8Array(32).fill(9),
  },
  contract: { address: address(99), codeHash: code.codeHash },
  transaction: { index: 0, hash: 'AB'.repeat(32) },
});

/** A contract plus its in-memory storage; `call` applies writes like the chain would. */
function harness(vm: ContractVm, code: ValidatedCode) {
  const store = new Map<string, Uint8Array>();
  const storage = { get: (key: Uint8Array) => store.get(Buffer.from(key).toString('latin1')) };
  const querier = { query: () => encoder.encode('{"Err":{"unknown":{}}}') };
  const contractEnv = env(code);
  return (entry: EntryPoint, msg: unknown, info?: MessageInfo) => {
    const outcome = vm.call({
      code,
      entry,
      env: contractEnv,
      ...(info === undefined ? {} : { info }),
      msg: encoder.encode(JSON.stringify(msg)),
      storage,
      querier,
      gasLimit: 10_000_000_000n,
    });
    if (!outcome.ok) throw new Error(`${entry} failed: ${outcome.error}`);
    for (const w of outcome.writes) {
      const k = Buffer.from(w.key).toString('latin1');
      if (w.value === null) store.delete(k);
      else store.set(k, w.value);
    }
    return outcome;
  };
}

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

const load = (name: string) =>
  validateContractCode(
    new Uint8Array(readFileSync(new URL(`../contracts/build/${name}.wasm`, import.meta.url))),
  );
const counter = load('counter');
const token = load('token');
const info = (sender: string): MessageInfo => ({ sender, funds: [] });

function counterRate(instrument: boolean): { cpu: number; wall: number } {
  const call = harness(new ContractVm({ instrument }), counter);
  call('instantiate', { count: 0 }, info(ALICE));
  return rate(() => void call('execute', { increment: {} }, info(ALICE)));
}

function tokenRate(
  instrument: boolean,
  reuseInstances = true,
): { rate: { cpu: number; wall: number }; gas: bigint } {
  const call = harness(new ContractVm({ instrument, reuseInstances }), token);
  call(
    'instantiate',
    {
      name: 'Bench Token',
      symbol: 'BNCH',
      decimals: 6,
      initial_balances: [
        { address: ALICE, amount: '1000000000000' },
        { address: BOB, amount: '1000000000000' },
      ],
      prng_seed: Buffer.from('seed').toString('base64'),
    },
    info(ALICE),
  );
  const gas = call('execute', { transfer: { recipient: BOB, amount: '1' } }, info(ALICE)).gasUsed;
  // Alternate directions so balances stay bounded and both accounts' keys stay hot.
  const r = rate((i) => {
    const [from, to] = i % 2 === 0 ? [ALICE, BOB] : [BOB, ALICE];
    call('execute', { transfer: { recipient: to, amount: '1' } }, info(from));
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
