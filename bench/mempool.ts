// Mempool benchmark: the mempool's own cost (hashing, ordering, bounds, recheck bookkeeping) at
// 10,000 pending txs, with an app whose checkTx only parses a header (the real app's signature
// check, ~17,800 secp256k1 verifies per CPU-second in the crypto section, is not measured here).
// Figures are per CPU-second of this process (process.cpuUsage), best of ROUNDS, because the
// machine is shared; wall-clock figures are printed too.
// Usage: npx tsx bench/mempool.ts   (results recorded in bench/RESULTS.md, section "mempool")
//
// `--app [--txs 1000] [--chunk 20] [--rounds 2]`: instead, the node's mempool path with the real
// app (ShroudApp.checkTx: decode, account, signature): signed bank sends arrive `--chunk` at a
// time (one RPC batch or gossip burst: all added at once) and each mode adds them to a fresh
// pool — one by one (`checkTx` on the main thread) or through the batch path (`checkTxBatch`,
// signatures on the app's worker) — alternated per round, with main-thread and process CPU per
// tx (bench/RESULTS.md "app").
import { rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Mempool, mempoolAppFromAbci, type CheckResult } from '../src/mempool/index.js';
import {
  genesisJson,
  initChain,
  makeUser,
  openNode,
  sendMsg,
  signTx,
  tempDir,
  type User,
} from '../test/app/helpers.js';
import { argNumber, hasFlag } from './lib/args.js';
import { mainThreadCpuMs } from './lib/stats.js';

const TXS = 10_000;
const SENDERS = 1_000; // 10 consecutive sequences each
const TX_BYTES = 300; // a typical encrypted token transfer is 300–400 bytes
const ROUNDS = 3;

/** Deterministic fee per tx (LCG): no Math.random, the same run every time. */
function feeOf(i: number): bigint {
  return BigInt(((i * 1_103_515_245 + 12_345) >>> 8) % 1000);
}

/** A tx: an 16-byte header (sender, sequence, gas, fee as u32 big-endian) then filler. */
function makeTx(sender: number, sequence: number, fee: bigint, salt: number): Uint8Array {
  const bytes = new Uint8Array(TX_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, sender);
  view.setUint32(4, sequence);
  view.setUint32(8, 100_000);
  view.setUint32(12, Number(fee));
  view.setUint32(16, salt);
  return bytes;
}

function checkTx(bytes: Uint8Array): CheckResult {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    ok: true,
    sender: `s${view.getUint32(0)}`,
    sequence: BigInt(view.getUint32(4)),
    gasWanted: BigInt(view.getUint32(8)),
    fee: BigInt(view.getUint32(12)),
  };
}

/** Txs in an order a node sees them: interleaved senders, each sender's sequences in order. */
function workload(salt: number, feeOffset: bigint, firstSender: number): Uint8Array[] {
  const txs: Uint8Array[] = [];
  for (let sequence = 0; sequence < TXS / SENDERS; sequence++) {
    for (let sender = 0; sender < SENDERS; sender++) {
      txs.push(makeTx(firstSender + sender, sequence, feeOf(txs.length) + feeOffset, salt));
    }
  }
  return txs;
}

function newPool(maxTxs = TXS): Mempool {
  return new Mempool(
    { maxTxs, maxBytes: maxTxs * TX_BYTES, maxTxBytes: 1 << 20, cacheSize: 20_000, maxTxsPerSender: 100 },
    { checkTx },
  );
}

interface Timing {
  cpuMs: number;
  wallMs: number;
}

async function time(fn: () => Promise<void> | void): Promise<Timing> {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  await fn();
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - wall };
}

async function best(setup: () => Promise<() => Promise<void> | void>): Promise<Timing> {
  let result: Timing | undefined;
  for (let round = 0; round < ROUNDS; round++) {
    const run = await setup();
    const timing = await time(run);
    if (result === undefined || timing.cpuMs < result.cpuMs) result = timing;
  }
  return result as Timing;
}

async function filled(txs: readonly Uint8Array[], maxTxs = TXS): Promise<Mempool> {
  const pool = newPool(maxTxs);
  for (const bytes of txs) {
    const result = await pool.add(bytes);
    if (!result.ok) throw new Error(`bench setup: add refused (${result.reason})`);
  }
  return pool;
}

async function main(): Promise<void> {
  const base = workload(1, 0n, 0);
  // Other senders, every fee above every base fee: each add evicts one base tx.
  const better = workload(2, 1000n, SENDERS);
  const rows: { name: string; count: number; timing: Timing }[] = [];

  rows.push({
    name: 'add 10k (empty → full)',
    count: TXS,
    timing: await best(() =>
      Promise.resolve(async () => {
        await filled(base);
      }),
    ),
  });
  rows.push({
    name: 'add 10k, each evicting one (full pool)',
    count: TXS,
    timing: await best(async () => {
      const pool = await filled(base);
      return async () => {
        for (const bytes of better) {
          const result = await pool.add(bytes);
          if (!result.ok || result.evicted.length !== 1)
            throw new Error('bench: expected one eviction per add');
        }
      };
    }),
  });
  rows.push({
    name: 'add 10k duplicates (gossip echo)',
    count: TXS,
    timing: await best(async () => {
      const pool = await filled(base);
      return async () => {
        for (const bytes of base) await pool.add(bytes, { fromPeer: 'peer' });
      };
    }),
  });
  const pool = await filled(base);
  rows.push({
    name: 'reap all 10k',
    count: TXS,
    timing: await best(() => Promise.resolve(() => void pool.reap())),
  });
  let blockTxs = 0;
  rows.push({
    name: 'reap one block (1 MiB)',
    count: 1,
    timing: await best(() =>
      Promise.resolve(() => {
        blockTxs = pool.reap({ maxBytes: 1 << 20, maxGas: 10n ** 12n }).length;
      }),
    ),
  });
  rows.push({
    name: 'update: commit 2k, recheck 8k',
    count: TXS - 2000,
    timing: await best(async () => {
      const fresh = await filled(base);
      const block = fresh.reap({ maxTxs: 2000 });
      return async () => {
        const result = await fresh.update(1, block);
        if (result.removedCommitted !== 2000 || fresh.size !== TXS - 2000)
          throw new Error('bench: update mismatch');
      };
    }),
  });

  console.log(`mempool bench: ${TXS} txs of ${TX_BYTES} B from ${SENDERS} senders, best of ${ROUNDS}`);
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, load ${loadavg()[0]?.toFixed(1)}`,
  );
  console.log(`one 1 MiB block holds ${blockTxs} txs`);
  console.log('| operation | CPU ms | wall ms | per CPU-second |');
  console.log('|:--|--:|--:|--:|');
  for (const { name, count, timing } of rows) {
    const rate = Math.round((count / timing.cpuMs) * 1000).toLocaleString('en-US');
    const unit = count === 1 ? 'reaps' : 'txs';
    console.log(`| ${name} | ${timing.cpuMs.toFixed(1)} | ${timing.wallMs.toFixed(1)} | ${rate} ${unit} |`);
  }
}

/** The node's mempool path with the real app, one by one vs batched (see the header). */
async function appPath(): Promise<void> {
  const count = argNumber('txs', 1000);
  const chunk = argNumber('chunk', 20);
  const rounds = argNumber('rounds', 2);
  const users: User[] = Array.from({ length: count }, (_, i) => makeUser(`mempool ${i}`, BigInt(i)));
  const home = tempDir('mempool-bench');
  const node = await openNode({ home, makeGenesis: (keys) => genesisJson(keys, users) });
  await initChain(node);
  await node.app.startSignatureWorker();
  const modes = ['one by one', 'batch'] as const;
  console.log(
    `mempool --app: ${count} signed bank sends, ${count} senders, arriving ${chunk} at a time; machine ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}`,
  );
  console.log('| round | mode | load | wall ms | process CPU µs/tx | main-thread CPU µs/tx |');
  console.log('|--:|:--|--:|--:|--:|--:|');
  let sequence = 0n;
  for (let round = 1; round <= rounds; round++) {
    for (const mode of modes) {
      // Fresh txs every time (the next sequence of each sender): nothing is in the app's
      // verified-signature cache, as for new txs from clients.
      const txs = users.map((u, i) =>
        signTx(u, [sendMsg(u, (users[(i + 1) % count] as User).address, 1n)], { sequence }),
      );
      sequence++;
      const abci = mempoolAppFromAbci(
        mode === 'batch' ? node.app : { checkTx: (request) => node.app.checkTx(request) },
      );
      const pool = new Mempool(
        { maxTxs: 2 * count, maxBytes: 64 << 20, maxTxBytes: 1 << 20, cacheSize: 10_000 },
        abci,
      );
      const load = loadavg()[0] ?? 0;
      const c0 = process.cpuUsage();
      const m0 = mainThreadCpuMs();
      const t0 = performance.now();
      for (let start = 0; start < txs.length; start += chunk) {
        const results = await pool.addMany(txs.slice(start, start + chunk));
        const refused = results.find((r) => !r.ok);
        if (refused !== undefined) throw new Error(`bench: add refused: ${JSON.stringify(refused)}`);
      }
      const wall = performance.now() - t0;
      const main = mainThreadCpuMs() - m0;
      const used = process.cpuUsage(c0);
      const cpu = (used.user + used.system) / 1000;
      console.log(
        `| ${round} | ${mode} | ${load.toFixed(1)} | ${wall.toFixed(0)} | ${((cpu / count) * 1000).toFixed(0)} | ${((main / count) * 1000).toFixed(0)} |`,
      );
    }
  }
  console.log(`signatures verified on the worker: ${node.app.signaturesVerifiedAhead}`);
  await node.app.stopSignatureWorker();
  await node.close();
  rmSync(home, { recursive: true, force: true });
}

if (hasFlag('app')) await appPath();
else await main();
