// OCALL round trips during an ECALL (issues #4/#5, ADR 006 "As built, session 3"): one ECALL of
// --count OCALLs, each after --gap µs of busy work in the enclave thread (a contract computing
// between two state reads), timed from the enclave side (bench/ocall-worker.ts). For each host
// slice setting (--slices, EnclaveWorkerOptions.syncSliceMs; 0 = the session-2 host: spin, then
// Atomics.waitAsync) one worker; the settings alternate inside every round (paired runs in one
// sitting), and each cell reports the median over rounds of: the round trip's p50 / p90 / p99,
// the host's event-loop delay while the ECALL runs (monitorEventLoopDelay, 1 ms resolution), how
// often a 1 ms host timer ran, and CPU per OCALL (whole process; this host thread alone from
// /proc, 10 ms resolution).
// Usage: npx tsx bench/ocall.ts [--count 2000] [--gaps 20,100,300,1000] [--slices 0,4] [--rounds 5] [--no-spin]
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { EnclaveWorker } from '../src/enclave/boundary/host-side.js';
import { argNumber, argText, hasFlag } from './lib/args.js';
import { loadAverages, machine, mainThreadCpuMs, percentile, percentileOf } from './lib/stats.js';

const COUNT = argNumber('count', 2000);
const GAPS = argText('gaps', '20,100,300,1000').split(',').map(Number);
const SLICES = argText('slices', '0,4').split(',').map(Number);
const ROUNDS = argNumber('rounds', 5);
const ECALL_SPACED_OCALLS = 1;

const blob = new Uint8Array(80).fill(7);
const workers = new Map<number, EnclaveWorker>();
for (const slice of SLICES) {
  workers.set(
    slice,
    await EnclaveWorker.start({
      entry: new URL('./ocall-worker.ts', import.meta.url),
      ocall: () => blob,
      channelCapacityBytes: 1 << 20,
      spin: !hasFlag('no-spin'),
      syncSliceMs: slice,
    }),
  );
}

interface Sample {
  p50: number;
  p90: number;
  p99: number;
  ecallMs: number;
  loopP50: number;
  loopP99: number;
  loopMax: number;
  ticks: number;
  cpuPerOcall: number;
  hostCpuPerOcall: number;
}

async function measure(worker: EnclaveWorker, gap: number): Promise<Sample> {
  const request = new Uint8Array(8);
  new DataView(request.buffer).setUint32(0, COUNT);
  new DataView(request.buffer).setUint32(4, gap);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuMs();
  const t0 = performance.now();
  const answer = await worker.ecall(ECALL_SPACED_OCALLS, request);
  const ecallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const mainMs = mainThreadCpuMs() - main0;
  delay.disable();
  clearInterval(timer);
  const times = [...new Float64Array(answer.slice().buffer)].sort((a, b) => a - b);
  return {
    p50: percentile(times, 50),
    p90: percentile(times, 90),
    p99: percentile(times, 99),
    ecallMs,
    loopP50: delay.percentile(50) / 1e6,
    loopP99: delay.percentile(99) / 1e6,
    loopMax: delay.max / 1e6,
    ticks,
    cpuPerOcall: (cpu.user + cpu.system) / COUNT,
    hostCpuPerOcall: (mainMs * 1000) / COUNT,
  };
}

const loadBefore = loadAverages();
const samples = new Map<string, Sample[]>();
for (let round = 0; round < ROUNDS; round++) {
  for (const gap of GAPS) {
    for (const slice of SLICES) {
      const key = `${gap}/${slice}`;
      const list = samples.get(key) ?? [];
      list.push(await measure(workers.get(slice) as EnclaveWorker, gap));
      samples.set(key, list);
    }
  }
}
for (const worker of workers.values()) await worker.stop();

console.log(
  `machine: ${machine()}, load ${loadBefore} → ${loadAverages()}, ${COUNT} OCALLs per ECALL, median of ${ROUNDS} rounds`,
);
console.log(
  '| gap µs | slice ms | round trip p50 / p90 / p99 µs | ECALL ms | loop delay p50 / p99 / max ms | 1 ms timer ran | process CPU µs/OCALL | host thread CPU µs/OCALL |',
);
console.log('|--:|--:|--:|--:|--:|--:|--:|--:|');
const f = (x: number) => x.toFixed(1);
for (const gap of GAPS) {
  for (const slice of SLICES) {
    const list = samples.get(`${gap}/${slice}`) ?? [];
    const med = (pick: (s: Sample) => number) => percentileOf(list.map(pick), 50);
    console.log(
      `| ${gap} | ${slice} | ${f(med((s) => s.p50))} / ${f(med((s) => s.p90))} / ${f(med((s) => s.p99))} | ${med((s) => s.ecallMs).toFixed(0)} | ` +
        `${f(med((s) => s.loopP50))} / ${f(med((s) => s.loopP99))} / ${f(med((s) => s.loopMax))} | ${med((s) => s.ticks)} | ` +
        `${f(med((s) => s.cpuPerOcall))} | ${f(med((s) => s.hostCpuPerOcall))} |`,
    );
  }
}
