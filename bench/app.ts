// App benchmark: blocks of N encrypted token.transfer txs through checkTx + finalizeBlock +
// commit on one node (store durable: fsync per commit, as a validator runs), with the time of
// each phase. Txs are built and signed before timing (that is the client's work).
// Usage: npx tsx bench/app.ts [--n 500] [--blocks 4] [--stub-enclave] [--sync-hash] [--serial-check] [--no-batch | --batch-only] [--no-spin] [--no-pipeline] [--sample-states] [--warm-after 3]   (results in bench/RESULTS.md, "app")
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { bytesToHex, sha256, utf8Encode } from '../src/crypto/index.js';
import type { Enclave, RunContractRequest, RunContractResult } from '../src/enclave/index.js';
import { ShroudApp, contractAddressOf, parseGenesis } from '../src/app/index.js';
import { Store } from '../src/store/index.js';
import {
  contractWasm,
  executeMsg,
  genesisJson,
  initChain,
  instantiateMsg,
  makeUser,
  openNode,
  runBlock,
  signTx,
  storeCodeMsg,
  tempDir,
  type User,
} from '../test/app/helpers.js';
import { tokenInitMsg, transferMsg } from '../test/helpers/token.js';
import { argNumber, hasFlag } from './lib/args.js';
import { machine, mainThreadCpuMs } from './lib/stats.js';
import { threadTicks } from './lib/proc-cpu.js';

const N = argNumber('n', 500);
const BLOCKS = argNumber('blocks', 4);
/**
 * Blocks counted as warm-up in the "steady" line: a fresh process spends its first thousands of
 * txs in V8's optimizing compiler and block 1 meets every sender for the first time (their
 * signer, key and read-ahead caches are cold); a long-running node is past both.
 */
const WARM_AFTER = argNumber('warm-after', 3);
/** --stub-enclave: a stand-in that answers runContract at once (7 writes of 80 B, like a
 * token transfer), to measure the app's own cost without the enclave. */
const STUB = hasFlag('stub-enclave');
/** --sync-hash: hash each block on the main thread (the store's default) instead of its worker. */
const SYNC_HASH = hasFlag('sync-hash');
/** --serial-check: checkTx one by one on the main thread instead of checkTxBatch + signature worker. */
const SERIAL_CHECK = hasFlag('serial-check');
/** Contract-call batches in finalizeBlock: by default the bench runs one by one, then batched. */
const MODES = hasFlag('no-batch') ? [false] : hasFlag('batch-only') ? [true] : [false, true];
/**
 * --no-spin: the enclave boundary never spins (EnclaveOptions.spin false). With a spare core
 * (load average < cores + 0.5) the host spins up to 500 µs per wait while the enclave runs,
 * which the main thread's CPU figure then includes; this shows the app's part without it.
 */
const NO_SPIN = hasFlag('no-spin');
/** --no-pipeline: contract-call batches one after the other (ShroudAppOptions.contractPipelining false). */
const NO_PIPELINE = hasFlag('no-pipeline');
/**
 * --sample-states: a sampler thread reads the scheduler state (R = running or waiting for a
 * CPU, else asleep) of the main and enclave threads every ~0.2 ms during finalizeBlock (blocks
 * 2 on): how often both were runnable is the overlap the app exposes, whatever the machine's
 * load. Costs some CPU itself: not for throughput figures.
 */
const SAMPLE_STATES = hasFlag('sample-states');

/** Counters of the state sampler (Int32Array over a SharedArrayBuffer). */
const SAMPLE = { active: 0, enclaveTid: 1, stop: 2, both: 3, mainOnly: 4, enclaveOnly: 5, none: 6 } as const;

const SAMPLER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const c = new Int32Array(workerData.buffer);
const pid = workerData.pid;
const state = (tid) => {
  try {
    const stat = readFileSync('/proc/' + pid + '/task/' + tid + '/stat', 'latin1');
    return stat.charAt(stat.lastIndexOf(')') + 2) === 'R';
  } catch { return false; }
};
const pause = new Int32Array(new SharedArrayBuffer(4));
while (Atomics.load(c, ${SAMPLE.stop}) === 0) {
  if (Atomics.load(c, ${SAMPLE.active}) === 1 && Atomics.load(c, ${SAMPLE.enclaveTid}) !== 0) {
    const m = state(pid);
    const e = state(Atomics.load(c, ${SAMPLE.enclaveTid}));
    Atomics.add(c, m ? (e ? ${SAMPLE.both} : ${SAMPLE.mainOnly}) : e ? ${SAMPLE.enclaveOnly} : ${SAMPLE.none}, 1);
    Atomics.wait(pause, 0, 0, 0.2);
  } else Atomics.wait(pause, 0, 0, 5);
}
`;

function stubEnclave(real: Enclave): Enclave {
  let counter = 0;
  const stub = Object.create(real) as Enclave;
  const run = (request: RunContractRequest): Promise<RunContractResult> => {
    if (request.entry === 'instantiate') return real.runContract(request);
    counter++;
    return Promise.resolve<RunContractResult>({
      ok: true,
      gasUsed: 600_000n,
      txHash: new Uint8Array(32),
      data: new Uint8Array(40),
      attributes: [],
      events: [],
      messages: [],
      writes: [0, 1, 2, 3, 4, 5, 6].map((i) => ({
        diskKey: sha256(utf8Encode(`${request.contract}/${counter}/${i}`)),
        blob: new Uint8Array(80),
      })),
    });
  };
  stub.runContract = run;
  // A batch of one: the stub answers every call at once anyway.
  stub.runContractBatch = async (requests) => [await run(requests[0] as RunContractRequest)];
  return stub;
}

/**
 * Per thread (by tid): ns on a CPU and ns runnable but waiting for one (/proc/<tid>/schedstat,
 * Linux; empty elsewhere). Wall − both = time the thread slept (waited for work): on a loaded
 * machine that is the idle figure, where wall − CPU would count queueing for a core as idle.
 */
function threadSched(): Map<string, { runNs: number; queuedNs: number }> {
  const out = new Map<string, { runNs: number; queuedNs: number }>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const [run, queued] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ');
      out.set(tid, { runNs: Number(run), queuedNs: Number(queued) });
    } catch {
      // the thread exited between listing and reading
    }
  }
  return out;
}

/**
 * Roles of this process's threads, by tid: Node names every thread `node`, so a thread's role is
 * the step of the bench during which it first appeared (threads present before main() are the
 * main thread and V8's platform workers: GC helpers and the optimizing compiler; libuv's pool
 * starts with the first asynchronous fs call). Worker threads of ours that name themselves
 * (/proc/thread-self/comm) keep their own name.
 */
const threadRoles = new Map<string, string>();
function labelNewThreads(role: string): void {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return; // not Linux: no roles
  }
  for (const tid of tids) {
    if (threadRoles.has(tid)) continue;
    let comm: string;
    try {
      comm = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
    } catch {
      continue; // exited since
    }
    threadRoles.set(tid, tid === String(process.pid) ? 'main' : comm === 'node' ? role : comm);
  }
}
labelNewThreads('node/V8 helper (at start)');

/** Process CPU (user + system, every thread) between two process.cpuUsage() samples, in ms. */
function cpuMs(from: NodeJS.CpuUsage, to: NodeJS.CpuUsage): number {
  return (to.user - from.user + to.system - from.system) / 1000;
}

async function main(batching: boolean) {
  const users: User[] = Array.from({ length: N }, (_, i) => makeUser(`bench ${i}`, BigInt(i)));
  const home = tempDir('bench');
  const node = await openNode({ home, makeGenesis: (keys) => genesisJson(keys, users) });
  // openNode uses a non-durable store for tests; reopen durable for the timed part.
  const genesisText = node.genesisText;
  await node.close();
  labelNewThreads('genesis node (closed)');
  const durable = await openNode({ home, genesisText, ...(NO_SPIN ? { spin: false } : {}) });
  labelNewThreads('enclave worker (or libuv)');
  await durable.store.close();
  const store = Store.open(join(home, 'data'), { durable: true, backgroundHashing: !SYNC_HASH });
  await store.backgroundHashingReady();
  labelNewThreads('store hasher (or libuv)');
  const app = new ShroudApp({
    store,
    genesis: parseGenesis(genesisText),
    contractBatching: batching,
    contractPipelining: !NO_PIPELINE,
  });
  app.attachEnclave(durable.enclave);
  if (!SERIAL_CHECK) await app.startSignatureWorker();
  labelNewThreads('app checkTx verifier (or libuv)');
  // The enclave's services still point at the first app object: rebind them to this one.
  Object.assign(durable.app.enclaveServices, app.enclaveServices);
  const n = { ...durable, store, app };
  // Time spent inside enclave.runContract (the ECALL, including its OCALLs), per block.
  let enclaveMs = 0;
  const enclave = STUB ? stubEnclave(durable.enclave) : durable.enclave;
  if (STUB) app.attachEnclave(enclave);
  let ecalls = 0;
  // Slots the enclave read from the host's store (one per readState OCALL, n per readStateBatch)
  // and OCALLs served, per block: the first-sender cost is crossings (ADR 006, read predictor).
  let slotsRead = 0;
  const readState = durable.app.enclaveServices.readState.bind(durable.app.enclaveServices);
  durable.app.enclaveServices.readState = (contract, diskKey) => {
    slotsRead++;
    return readState(contract, diskKey);
  };
  const ocallsServed = () => durable.enclave.ocallsServed;
  const runContract = enclave.runContract.bind(enclave);
  enclave.runContract = async (request) => {
    const start = performance.now();
    ecalls++;
    try {
      return await runContract(request);
    } finally {
      enclaveMs += performance.now() - start;
    }
  };
  const runContractBatch = enclave.runContractBatch.bind(enclave);
  enclave.runContractBatch = async (requests, chain) => {
    const start = performance.now();
    try {
      return await runContractBatch(requests, chain);
    } finally {
      enclaveMs += performance.now() - start;
      ecalls++;
    }
  };

  await initChain(n);
  const io = n.genesis.network.ioPublicKey;
  const wasm = contractWasm('token');
  const codeHash = bytesToHex(sha256(wasm));
  const owner = users[0] as User;
  await runBlock(n, [signTx(owner, [storeCodeMsg(owner, wasm)], { gasLimit: 5_000_000n })]);
  const init = instantiateMsg(
    owner,
    io,
    1n,
    codeHash,
    'bench-token',
    tokenInitMsg(
      users.map((u) => ({ address: u.address, amount: '1000000' })),
      { name: 'Bench', symbol: 'BNC', decimals: 0 },
    ),
  );
  const r = await runBlock(n, [signTx(owner, [init.message], { gasLimit: 200_000_000n })]);
  labelNewThreads('started by setup blocks');
  if (r.txResults[0]?.code !== 0) throw new Error(`instantiate failed: ${r.txResults[0]?.log}`);
  const token = contractAddressOf(1n, 'bench-token');

  const rows: string[] = [];
  const blockMs: number[] = [];
  let totalTxs = 0;
  let totalMs = 0;
  let totalCpuMs = 0;
  let totalMainMs = 0;
  /** Main-thread CPU ms in checkTx, finalizeBlock, commit (10 ms ticks: read over all blocks). */
  const mainByPhase: [number, number, number] = [0, 0, 0];
  const loadBefore = loadavg()[0] ?? 0;
  const samples = new Int32Array(new SharedArrayBuffer(4 * 8));
  const sampler = SAMPLE_STATES
    ? new Worker(SAMPLER_SOURCE, { eval: true, workerData: { buffer: samples.buffer, pid: process.pid } })
    : null;
  /** finalizeBlock only, summed over blocks: wall ms, main-thread and busiest-other-thread CPU ms. */
  const fin = {
    wallMs: 0,
    mainMs: 0,
    enclaveMs: 0,
    otherMs: 0,
    byThread: new Map<string, number>(),
    /** schedstat run time (ns, exact) per thread during finalizeBlock, summed over the steady blocks. */
    runNsByThread: new Map<string, number>(),
  };
  /** finalizeBlock, summed over blocks (ms): main and enclave threads' CPU, queueing, sleep. */
  const sched = {
    main: { run: 0, queued: 0, sleep: 0 },
    enclave: { run: 0, queued: 0, sleep: 0 },
  };
  for (let b = 0; b < BLOCKS; b++) {
    const txs = users.map((u, i) => {
      const to = users[(i + 1) % N] as User;
      return signTx(u, [executeMsg(u, io, token, codeHash, transferMsg(to.address, '1')).message], {
        gasLimit: 300_000n,
      });
    });
    const height = n.store.info().height + 1n;
    const timeNanos = 1_900_000_000_000_000_000n + height * 5_000_000_000n;
    const c0 = process.cpuUsage();
    const m0 = mainThreadCpuMs();
    const t0 = performance.now();
    const checks = SERIAL_CHECK
      ? txs.map((tx) => n.app.checkTx({ tx, type: 'new' }))
      : await n.app.checkTxBatch(txs.map((tx) => ({ tx, type: 'new' as const })));
    for (const check of checks) if (check.code !== 0) throw new Error(`checkTx: ${check.log}`);
    const t1 = performance.now();
    const c1 = process.cpuUsage();
    const m1 = mainThreadCpuMs();
    enclaveMs = 0;
    ecalls = 0;
    slotsRead = 0;
    const ocalls0 = ocallsServed();
    if (sampler !== null) Atomics.store(samples, SAMPLE.active, 1);
    const ticks0 = threadTicks();
    const sched0 = threadSched();
    const response = await n.app.finalizeBlock({
      txs,
      hash: new Uint8Array(32),
      height,
      timeNanos,
      proposerAddress: new Uint8Array(20),
      misbehavior: [],
    });
    const t2 = performance.now();
    const blockOcalls = ocallsServed() - ocalls0;
    const blockSlots = slotsRead;
    const c2 = process.cpuUsage();
    const m2 = mainThreadCpuMs();
    // Per-thread CPU of finalizeBlock: the busiest thread other than the main one is the
    // enclave's (the signature and hashing workers are nearly idle during execution).
    if (sampler !== null) Atomics.store(samples, SAMPLE.active, 0);
    const sched1 = threadSched();
    const ticks1 = threadTicks();
    // A thread first seen in block 1's finalizeBlock: the enclave's signature pool starts with
    // the first batch of two or more calls.
    labelNewThreads(b === 0 ? 'started in block 1 finalizeBlock' : `started in block ${b + 1}`);
    for (const [tid, after] of b >= WARM_AFTER ? sched1 : []) {
      const ns = after.runNs - (sched0.get(tid)?.runNs ?? 0);
      fin.runNsByThread.set(tid, (fin.runNsByThread.get(tid) ?? 0) + ns);
    }
    const deltas = [...ticks1].map(([tid, t]) => ({ tid, ms: (t - (ticks0.get(tid) ?? 0)) * 10 }));
    const main = deltas.find((d) => d.tid === String(process.pid))?.ms ?? 0;
    const others = deltas.filter((d) => d.tid !== String(process.pid)).sort((a, b) => b.ms - a.ms);
    fin.wallMs += t2 - t1;
    fin.mainMs += main;
    fin.enclaveMs += others[0]?.ms ?? 0;
    fin.otherMs += others.slice(1).reduce((sum, d) => sum + d.ms, 0);
    for (const d of others) fin.byThread.set(d.tid, (fin.byThread.get(d.tid) ?? 0) + d.ms);
    const schedOf = (tid: string | undefined, into: { run: number; queued: number; sleep: number }) => {
      const a = tid === undefined ? undefined : sched0.get(tid);
      const b = tid === undefined ? undefined : sched1.get(tid);
      if (a === undefined || b === undefined) return;
      const run = (b.runNs - a.runNs) / 1e6;
      const queued = (b.queuedNs - a.queuedNs) / 1e6;
      into.run += run;
      into.queued += queued;
      into.sleep += t2 - t1 - run - queued;
    };
    schedOf(String(process.pid), sched.main);
    schedOf(others[0]?.tid, sched.enclave);
    // The enclave thread: the busiest but the main one in block 1 (its contract runs).
    if (b === 0 && others[0] !== undefined) Atomics.store(samples, SAMPLE.enclaveTid, Number(others[0].tid));
    await n.app.commit();
    const t3 = performance.now();
    const c3 = process.cpuUsage();
    const m3 = mainThreadCpuMs();
    totalMainMs += m3 - m0;
    mainByPhase[0] += m1 - m0;
    mainByPhase[1] += m2 - m1;
    mainByPhase[2] += m3 - m2;
    const failed = response.txResults.filter((x) => x.code !== 0);
    if (failed.length > 0) throw new Error(`${failed.length} txs failed: ${failed[0]?.log}`);
    const ms = t3 - t0;
    totalTxs += N;
    totalMs += ms;
    blockMs.push(ms);
    totalCpuMs += cpuMs(c0, c3);
    rows.push(
      `| ${b + 1} | ${N} | ${(t1 - t0).toFixed(0)} / ${cpuMs(c0, c1).toFixed(0)} | ${(t2 - t1).toFixed(0)} / ${cpuMs(c1, c2).toFixed(0)} (${enclaveMs.toFixed(0)} in the enclave, ${ecalls} ECALLs, ${blockOcalls} OCALLs, ${blockSlots} slots) | ${(t3 - t2).toFixed(0)} / ${cpuMs(c2, c3).toFixed(0)} | ${((N / ms) * 1000).toFixed(0)} |`,
    );
  }
  console.log(
    `machine: ${machine()}, load ${loadBefore.toFixed(1)} → ${loadavg()[0]?.toFixed(1)}, ${STUB ? 'stub' : 'real'} enclave, ${SYNC_HASH ? 'main-thread' : 'background'} hashing, ${SERIAL_CHECK ? 'serial checkTx' : 'checkTxBatch + signature worker'}, ${batching ? 'contract-call batches' : 'one call per ECALL'}${NO_SPIN ? ', no boundary spin' : ''}`,
  );
  console.log('wall / process CPU (all threads) in ms');
  console.log('| block | txs | checkTx ms | finalizeBlock ms | commit ms | tx/s |');
  console.log('|--:|--:|--:|--:|--:|--:|');
  for (const row of rows) console.log(row);
  console.log(
    `overall: ${((totalTxs / totalMs) * 1000).toFixed(0)} committed private transfers/s (wall); ${((totalCpuMs / totalTxs) * 1000).toFixed(0)} µs process CPU per tx, ${((totalMainMs / totalTxs) * 1000).toFixed(0)} µs main-thread CPU per tx (→ ${(totalTxs / (totalMainMs / 1000)).toFixed(0)}/s if the main thread had its core)`,
  );
  const steady = blockMs.slice(WARM_AFTER);
  if (steady.length > 0) {
    const steadyMs = steady.reduce((sum, ms) => sum + ms, 0);
    console.log(
      `steady: blocks ${WARM_AFTER + 1}-${BLOCKS}: ${(((steady.length * N) / steadyMs) * 1000).toFixed(0)} committed private transfers/s (wall; --warm-after ${WARM_AFTER} blocks left out)`,
    );
  }
  const perTx = (ms: number) => ((ms / totalTxs) * 1000).toFixed(0);
  console.log(
    `main-thread CPU per tx by phase: checkTx ${perTx(mainByPhase[0])} µs, finalizeBlock ${perTx(mainByPhase[1])} µs, commit ${perTx(mainByPhase[2])} µs`,
  );
  console.log(
    `finalizeBlock per tx: wall ${perTx(fin.wallMs)} µs; main thread CPU ${perTx(fin.mainMs)} µs (idle ${perTx(fin.wallMs - fin.mainMs)}), enclave thread CPU ${perTx(fin.enclaveMs)} µs (idle ${perTx(fin.wallMs - fin.enclaveMs)}), other threads ${perTx(fin.otherMs)} µs (busiest: ${[
      ...fin.byThread.values(),
    ]
      .sort((a, b) => b - a)
      .slice(0, 4)
      .map(perTx)
      .join(', ')})`,
  );
  const steadyBlocks = Math.max(1, BLOCKS - WARM_AFTER);
  const enclaveTid = [...fin.byThread].sort((a, b) => b[1] - a[1])[0]?.[0];
  const byRole = [...fin.runNsByThread]
    .filter(([, ns]) => ns > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([tid, ns]) => {
      // A worker that names itself may have been listed before it did: read its name again.
      let comm = 'node';
      try {
        comm = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      } catch {
        // exited since: keep the role it was given
      }
      const role =
        tid === enclaveTid ? 'enclave thread' : comm !== 'node' ? comm : (threadRoles.get(tid) ?? '?');
      return `${role} #${tid} ${(ns / 1e3 / (N * steadyBlocks)).toFixed(0)}`;
    });
  console.log(
    `finalizeBlock CPU per tx by thread, steady blocks ${WARM_AFTER + 1}-${BLOCKS} (schedstat, µs): ${byRole.join('; ')}`,
  );
  const schedText = (x: { run: number; queued: number; sleep: number }) =>
    `on CPU ${perTx(x.run)}, queued for a CPU ${perTx(x.queued)}, asleep ${perTx(x.sleep)}`;
  console.log(
    `finalizeBlock per tx (schedstat, µs): main thread ${schedText(sched.main)}; enclave thread ${schedText(sched.enclave)}`,
  );
  if (sampler !== null) {
    Atomics.store(samples, SAMPLE.stop, 1);
    await sampler.terminate();
    const [both, mainOnly, enclaveOnly, none] = [
      SAMPLE.both,
      SAMPLE.mainOnly,
      SAMPLE.enclaveOnly,
      SAMPLE.none,
    ].map((i) => samples[i] as number) as [number, number, number, number];
    const total = both + mainOnly + enclaveOnly + none;
    const pct = (n: number) => `${((100 * n) / Math.max(1, total)).toFixed(0)} %`;
    console.log(
      `finalizeBlock thread states, blocks 2-${BLOCKS} (${total} samples): both runnable ${pct(both)}, main only ${pct(mainOnly)}, enclave only ${pct(enclaveOnly)}, neither ${pct(none)}`,
    );
  }
  console.log(
    `speculative batches (pipelining ${NO_PIPELINE ? 'off' : 'on'}): ${app.pipelineStats.started} started, ${app.pipelineStats.used} used`,
  );
  console.log(`blocks hashed in the background: ${store.backgroundHashCount}`);
  await app.stopSignatureWorker();
  await durable.enclave.stop();
  await store.close();
  rmSync(home, { recursive: true, force: true });
}

for (const batching of MODES) await main(batching);
