// Store benchmark: commit throughput and latency for blocks of 1, 100 and 2,000 key writes
// (values 100 B) over a store holding 100k keys, with the app-hash cost as its own figure,
// durable (fsync per commit, the node's setting) and with noSync (to show the fsync cost).
// Then transaction-shaped blocks hashed on the calling thread vs the background worker.
// `--incremental-only`: the hashing worker's algorithm alone (IncrementalHasher in this thread,
// no LMDB), CPU per block; bench/RESULTS.md "app", session 5 helper "cpu".
// Usage: npm run bench:store [-- --tx-blocks-only | --incremental-only]   (results in bench/RESULTS.md, section "store")
import './lib/args.js'; // --help prints the usage comment above
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Store } from '../src/store/index.js';
import { bucketOf, entryHashRaw } from '../src/store/hash.js';
import { IncrementalHasher } from '../src/store/incremental.js';
import { BucketTree } from '../src/store/tree.js';
import { mainThreadCpuMs, percentileOf } from './lib/stats.js';

const STATE_KEYS = 100_000;
const VALUE_BYTES = 100;
const SIZES: ReadonlyArray<{ writes: number; blocks: number }> = [
  { writes: 1, blocks: 100 },
  { writes: 100, blocks: 50 },
  { writes: 2000, blocks: 10 },
];

/** Deterministic pseudo-random bytes (sha256 counter mode): the same state on every run. */
function bytes(label: string, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let offset = 0, counter = 0; offset < n; offset += 32, counter++) {
    const block = createHash('sha256').update(`${label}/${counter}`).digest();
    out.set(block.subarray(0, Math.min(32, n - offset)), offset);
  }
  return out;
}

/** Keys shaped like module keys: a short prefix and a 32-byte id. */
function keyOf(i: number): Uint8Array {
  const key = new Uint8Array(34);
  key[0] = 0x02;
  key[1] = i % 7;
  key.set(bytes(`key/${i}`, 32), 2);
  return key;
}

const median = (values: number[]): number => percentileOf(values, 50);
const p90 = (values: number[]): number => percentileOf(values, 90);

async function populate(dir: string): Promise<number> {
  const store = Store.open(dir, { durable: false });
  const started = performance.now();
  const perBlock = 10_000;
  for (let first = 0; first < STATE_KEYS; first += perBlock) {
    const batch = store.beginBlock(store.info().height + 1n);
    for (let i = first; i < first + perBlock; i++) batch.set(keyOf(i), bytes(`value/${i}`, VALUE_BYTES));
    batch.commit();
  }
  const elapsed = performance.now() - started;
  await store.close();
  return elapsed;
}

interface Row {
  mode: string;
  writes: number;
  blocks: number;
  commitsPerSecond: number;
  totalMedianMs: number;
  totalP90Ms: number;
  cpuMedianMs: number;
  hashMedianMs: number;
  hashCpuMedianMs: number;
  persistMedianMs: number;
}

/** CPU time of this process (user + system) in ms: unaffected by waiting for a busy core. */
function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

function measure(store: Store, mode: string, writes: number, blocks: number, round: number): Row {
  const total: number[] = [];
  const cpu: number[] = [];
  const hash: number[] = [];
  const hashCpu: number[] = [];
  const persist: number[] = [];
  for (let block = 0; block < blocks; block++) {
    // Keys and values are made before the clock starts: the figure is the store's cost.
    const pending: Array<[Uint8Array, Uint8Array]> = [];
    for (let w = 0; w < writes; w++) {
      const n = (block * writes + w) * 7919 + round * 104729;
      // 90% overwrite existing keys, 10% new keys.
      const key = w % 10 === 9 ? keyOf(STATE_KEYS + (n % 1_000_000)) : keyOf(n % STATE_KEYS);
      pending.push([key, bytes(`v/${round}/${block}/${w}`, VALUE_BYTES)]);
    }
    const batch = store.beginBlock(store.info().height + 1n);
    const c0 = cpuMs();
    const t0 = performance.now();
    for (const [key, value] of pending) batch.set(key, value);
    const c1 = cpuMs();
    const t1 = performance.now();
    batch.hash();
    const c2 = cpuMs();
    const t2 = performance.now();
    batch.commit(); // reuses the hash computed above: LMDB writes + commit (+ fsync)
    const t3 = performance.now();
    const c3 = cpuMs();
    hash.push(t2 - t1);
    hashCpu.push(c2 - c1);
    persist.push(t3 - t2);
    total.push(t3 - t0);
    cpu.push(c3 - c0);
  }
  const sum = total.reduce((a, b) => a + b, 0);
  return {
    mode,
    writes,
    blocks,
    commitsPerSecond: (blocks * 1000) / sum,
    totalMedianMs: median(total),
    totalP90Ms: p90(total),
    cpuMedianMs: median(cpu),
    hashMedianMs: median(hash),
    hashCpuMedianMs: median(hashCpu),
    persistMedianMs: median(persist),
  };
}

/** Busy work standing in for the app's own per-transaction work (the worker runs beside it). */
function appWork(micros: number): void {
  const until = process.hrtime.bigint() + BigInt(micros) * 1000n;
  while (process.hrtime.bigint() < until);
}

const TX_BLOCKS = 5;
const TXS_PER_BLOCK = 500;
const APP_WORK_MICROS = 200;

/**
 * Transaction-shaped blocks like bench/app's token transfers: per tx a shared fee-collector
 * key and the sender's account at depth 0, then 7 new 45-byte keys inside a checkpoint, and
 * 200 µs of simulated app work; 500 txs per block (4,500 writes). Paired: calling-thread and
 * background hashing alternate, 2 rounds. Figures per block, median of TX_BLOCKS.
 */
async function txShaped(dir: string): Promise<void> {
  console.log('');
  console.log(
    `tx-shaped blocks: ${TXS_PER_BLOCK} txs × 9 writes, ${APP_WORK_MICROS} µs simulated app work per tx, noSync, load ${load()}`,
  );
  console.log(
    '| hashing | round | main-thread CPU ms/block | of which simulated app work | hash() wall ms | process CPU ms/block | block wall ms |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (let round = 1; round <= 2; round++) {
    for (const background of [false, true]) {
      const store = Store.open(dir, { durable: false, backgroundHashing: background });
      await store.backgroundHashingReady();
      const main: number[] = [];
      const hashWall: number[] = [];
      const cpu: number[] = [];
      const wall: number[] = [];
      for (let block = 0; block < TX_BLOCKS + 1; block++) {
        const txs = Array.from({ length: TXS_PER_BLOCK }, (_, t) => ({
          account: keyOf(t),
          writes: Array.from({ length: 7 }, (_, w) =>
            bytes(`tx/${round}/${background}/${block}/${t}/${w}`, 45),
          ),
          value: bytes(`value/${t}`, 80),
        }));
        const feeKey = keyOf(STATE_KEYS + 1);
        const m0 = mainThreadCpuMs();
        const c0 = cpuMs();
        const t0 = performance.now();
        const batch = store.beginBlock(store.info().height + 1n);
        for (const tx of txs) {
          batch.set(feeKey, tx.value.subarray(0, 8));
          batch.set(tx.account, tx.value);
          const checkpoint = batch.checkpoint();
          for (const key of tx.writes) batch.set(key, tx.value);
          batch.release(checkpoint);
          appWork(APP_WORK_MICROS);
        }
        const t1 = performance.now();
        batch.hash();
        const t2 = performance.now();
        batch.commit();
        if (block === 0) continue; // warm-up
        main.push(mainThreadCpuMs() - m0);
        hashWall.push(t2 - t1);
        cpu.push(cpuMs() - c0);
        wall.push(performance.now() - t0);
      }
      console.log(
        `| ${background ? 'background' : 'calling thread'} | ${round} | ${f(median(main))} | ${f((TXS_PER_BLOCK * APP_WORK_MICROS) / 1000)} | ${f(median(hashWall))} | ${f(median(cpu))} | ${f(median(wall))} |`,
      );
      await store.close();
    }
  }
}

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

const f = (n: number): string => n.toFixed(n < 10 ? 2 : 1);

/**
 * IncrementalHasher alone: 20,000 keys of 40 B, blocks of 3,500 writes of 80-B values handed over
 * in applies of 256 (a 500-transfer block of bench/app.ts), committed entries served from an
 * in-memory model (no LMDB). Prints process CPU per block over blocks 11–40 and the last app hash
 * (the same in every tree that computes the formula).
 */
function incrementalOnly(): void {
  const KEYS = 20_000;
  const WRITES = 3_500;
  const APPLY = 256;
  const keys = Array.from({ length: KEYS }, (_, i) => Buffer.from(bytes(`inc-key/${i}`, 40)));
  const committed = new Map<number, Map<string, Uint8Array>>();
  const hasher = new IncrementalHasher(Buffer.from(new BucketTree().copyNodes()), (bucket, into) => {
    for (const [slot, hash] of committed.get(bucket) ?? []) into.set(slot, Buffer.from(hash));
  });
  const perBlock: number[] = [];
  let appHash = '';
  for (let block = 1; block <= 40; block++) {
    const writes = Array.from({ length: WRITES }, (_, i) => {
      const key = keys[(block * 7_919 + i * 104_729) % KEYS] as Buffer;
      const value = Buffer.alloc(80);
      value.writeUInt32BE(block * 100_000 + i);
      return { key, value };
    });
    const started = process.cpuUsage();
    hasher.begin(BigInt(block));
    for (let i = 0; i < writes.length; i += APPLY) hasher.apply(writes.slice(i, i + APPLY));
    appHash = Buffer.from(hasher.finish().appHash).toString('hex');
    hasher.commit();
    const used = process.cpuUsage(started);
    if (block > 10) perBlock.push((used.user + used.system) / 1000);
    for (const { key, value } of writes) {
      const bucket = bucketOf(key);
      let entries = committed.get(bucket);
      if (entries === undefined) committed.set(bucket, (entries = new Map<string, Uint8Array>()));
      entries.set(key.toString('latin1'), entryHashRaw(key, value));
    }
  }
  const mean = perBlock.reduce((a, b) => a + b, 0) / perBlock.length;
  console.log(
    `IncrementalHasher alone, ${WRITES} writes per block in applies of ${APPLY}, blocks 11-40: ${f(mean)} ms CPU per block (median ${f(median(perBlock))}); app hash of block 40 ${appHash.slice(0, 16)}…; load ${load()}`,
  );
}

async function main(): Promise<void> {
  if (process.argv.includes('--incremental-only')) {
    incrementalOnly();
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'shroud-bench-store-'));
  try {
    console.log(`cpu: ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}, node ${process.version}`);
    console.log(`load average at start: ${load()}`);
    const populateStarted = cpuMs();
    const populateMs = await populate(dir);
    console.log(
      `populate ${STATE_KEYS} keys × ${VALUE_BYTES} B (noSync, 10,000 per block): ${(populateMs / 1000).toFixed(1)} s wall, ${((cpuMs() - populateStarted) / 1000).toFixed(1)} s CPU`,
    );
    if (process.argv.includes('--tx-blocks-only')) {
      await txShaped(dir);
      return;
    }
    const rows: Row[] = [];
    for (const durable of [true, false]) {
      const openStarted = performance.now();
      const openCpu = cpuMs();
      const store = Store.open(dir, { durable });
      if (durable) {
        console.log(
          `open (load bucket hashes, rebuild the tree, check the root): ${f(performance.now() - openStarted)} ms wall, ${f(cpuMs() - openCpu)} ms CPU`,
        );
      }
      SIZES.forEach(({ writes, blocks }, round) => {
        // Warm-up at the same size first: after large blocks LMDB carries a big list of
        // reclaimable pages that it rewrites on every commit until used up (see RESULTS.md).
        measure(store, 'warm-up', writes, Math.max(2, blocks / 5), round + 100);
        rows.push(measure(store, durable ? 'fsync' : 'noSync', writes, blocks, round + (durable ? 0 : 10)));
      });
      await store.close();
    }
    console.log(`load average at end: ${load()}`);
    console.log('');
    console.log(
      '| mode | writes/block | blocks | commits/s (wall) | ms/commit median (wall) | p90 (wall) | CPU ms/commit | app hash ms (wall) | app hash CPU ms | LMDB write+commit ms (wall) |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of rows) {
      const cells = [
        r.commitsPerSecond,
        r.totalMedianMs,
        r.totalP90Ms,
        r.cpuMedianMs,
        r.hashMedianMs,
        r.hashCpuMedianMs,
        r.persistMedianMs,
      ];
      console.log(`| ${r.mode} | ${r.writes} | ${r.blocks} | ${cells.map(f).join(' | ')} |`);
    }
    await txShaped(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
