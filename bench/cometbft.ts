// CometBFT benchmark (issue #8 "Must show"): committed encrypted `token.transfer`s per second
// and submit → commit latency (p50/p99) with Shroud on real CometBFT v0.38, on 1 and on 4
// validators (each a `cometbft` + `shroud abci` process pair on loopback: durable stores,
// real enclaves, CometBFT's own mempool, gossip and RPC).
//
// Per network: deploy `token` with a balance for every sender, build and sign every transfer
// before timing (clients' work), then
//   1. saturation: keep `--inflight` broadcast_tx_sync calls open for `--seconds` (a sender's
//      txs always go to the same node, in sequence order, so CheckTx sees them in order);
//      throughput = bench txs in the blocks seen (NewBlock over WebSocket on node0) during the
//      window / the window;
//   2. latency: open-loop submissions at `--latency-fraction` of that throughput for
//      `--seconds`; latency = NewBlock seen on node0 − submit.
// `--embedded` then runs bench/consensus.ts with the same block time, senders and duration,
// so the embedded engine's figures come from the same run (same machine, same load).
//
// Usage: npx tsx bench/cometbft.ts [--validators 1,4] [--timeout-commit 1000] [--seconds 10]
//        [--senders 200] [--inflight 64] [--latency-fraction 0.5] [--per-sender 20]
//        [--latency-per-sender 10] [--embedded] [--keep]
// Results: bench/RESULTS.md, "cometbft".
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet, type BuiltTx } from '../src/client/index.js';
import { bytesToHex, generateMnemonic } from '../src/crypto/index.js';
import { createCometTestnet } from '../src/cli/abci-commands.js';
import { CometNetwork, cometbftBinary, freePorts, latestHeight, rpc, waitFor } from '../test/abci/helpers.js';
import { argNumber, argText, hasFlag } from './lib/args.js';
import { CommitWatcher } from './lib/commit-watcher.js';
import { loadAverages, percentile } from './lib/stats.js';
import { buildTransfer, setUpTransfers } from './lib/transfers.js';

const VALIDATOR_COUNTS = argText('validators', '1,4').split(',').map(Number);
const TIMEOUT_COMMIT_MS = argNumber('timeout-commit', 1000);
const SECONDS = argNumber('seconds', 10);
const SENDERS = argNumber('senders', 200);
const INFLIGHT = argNumber('inflight', 64);
const LATENCY_FRACTION = argNumber('latency-fraction', 0.5);
const KEEP = hasFlag('keep');
const EMBEDDED = hasFlag('embedded');
/** Transfers built per sender for the saturation phase (it may use fewer). */
const PER_SENDER = argNumber('per-sender', 20);
/**
 * Transfers per sender kept back from saturation for the latency phase (same sequence stream,
 * after the saturation ones): without it a fast network used every prepared tx in phase 1 and
 * phase 2 sent nothing (session 3, 1 validator at 400 tx/s).
 */
const LATENCY_PER_SENDER = argNumber('latency-per-sender', 10);

interface Queue {
  node: number;
  txs: BuiltTx[];
  /** Index of the next tx to send. */
  next: number;
  busy: boolean;
}

/** 'ok', 'refused' (checkTx said no) or 'full' (CometBFT's mempool is full: try again later). */
async function broadcast(url: string, tx: BuiltTx): Promise<'ok' | 'refused' | 'full'> {
  try {
    const result = await rpc(url, 'broadcast_tx_sync', { tx: Buffer.from(tx.txBytes).toString('base64') });
    return (result['code'] ?? 0) === 0 ? 'ok' : 'refused';
  } catch (error) {
    if (error instanceof Error && error.message.includes('mempool is full')) return 'full';
    throw error;
  }
}

async function runNetwork(validators: number): Promise<Record<string, string | number>> {
  const dir = mkdtempSync(join(tmpdir(), `shroud-bench-cometbft-${validators}-`));
  const wallets = Array.from({ length: SENDERS }, () => Wallet.fromMnemonic(generateMnemonic(24)));
  const ports = await freePorts(3 * validators);
  const testnet = await createCometTestnet({
    out: dir,
    validators,
    chainId: 'shroud-bench-cometbft',
    accounts: 1,
    extraAccounts: wallets.map((w) => ({ address: w.address, amount: 10n ** 12n })),
    ports: Array.from({ length: validators }, (_, i) => ({
      p2p: ports[3 * i]!,
      rpc: ports[3 * i + 1]!,
      abci: ports[3 * i + 2]!,
    })),
    timeoutCommitMs: TIMEOUT_COMMIT_MS,
    logLevel: 'error',
  });
  const network = new CometNetwork(testnet, cometbftBinary(), dir);
  const urls = testnet.nodes.map((n) => n.rpcUrl);
  try {
    await Promise.all(testnet.nodes.map((_, i) => network.start(i)));
    await waitFor('height 2', async () => ((await latestHeight(urls[0]!)) >= 2n ? true : undefined), 120_000);

    const { token, senders } = await setUpTransfers(urls[0]!, testnet.accounts[0]!.mnemonic, wallets);
    const queues: Queue[] = senders.map((sender, i) => {
      const recipient = wallets[(i + 1) % wallets.length]!.address;
      const txs = Array.from({ length: PER_SENDER + LATENCY_PER_SENDER }, () =>
        buildTransfer(token, sender, recipient),
      );
      return { node: i % validators, txs, next: 0, busy: false };
    });
    const watcher = await CommitWatcher.open(urls[0]!);
    const submittedAt = new Map<string, number>();
    let refused = 0;
    /** Broadcasts answered "mempool is full" (retried, not counted as submitted). */
    let mempoolFull = 0;
    const sendNext = async (queue: Queue): Promise<void> => {
      const tx = queue.txs[queue.next];
      if (tx === undefined) return;
      queue.busy = true;
      try {
        const sentAt = performance.now();
        const outcome = await broadcast(urls[queue.node]!, tx);
        if (outcome === 'full') {
          // Not submitted: the same tx (same sequence) goes again after a pause.
          mempoolFull += 1;
          await new Promise((r) => setTimeout(r, 50));
          return;
        }
        queue.next += 1;
        submittedAt.set(bytesToHex(tx.hash), sentAt);
        if (outcome === 'refused') refused += 1;
      } finally {
        queue.busy = false;
      }
    };

    // 1. saturation
    const satStart = performance.now();
    const satEnd = satStart + SECONDS * 1000;
    let cursor = 0;
    /** The next sender with a tx left (saturation: below the latency reserve) and no broadcast in flight, round robin. */
    const pickQueue = (reserve = 0): Queue | undefined => {
      for (let k = 0; k < queues.length; k += 1) {
        const queue = queues[(cursor + k) % queues.length]!;
        if (!queue.busy && queue.next < queue.txs.length - reserve) {
          cursor = (cursor + k + 1) % queues.length;
          return queue;
        }
      }
      return undefined;
    };
    const workers = Array.from({ length: INFLIGHT }, async () => {
      while (performance.now() < satEnd) {
        const picked = pickQueue(LATENCY_PER_SENDER);
        if (picked === undefined) await new Promise((r) => setTimeout(r, 5));
        else await sendNext(picked);
      }
    });
    await Promise.all(workers);
    // Txs still in the mempool commit after the window; count only what was seen inside it.
    await new Promise((r) => setTimeout(r, 200));
    const satCommitted = [...watcher.committedAt.entries()].filter(
      ([hash, at]) => submittedAt.has(hash) && at >= satStart && at <= satEnd,
    ).length;
    const throughput = satCommitted / SECONDS;
    const satSubmitted = submittedAt.size;
    // Drain: wait until what was submitted committed (or 30 s).
    await waitFor(
      'the saturation backlog',
      () => Promise.resolve(watcher.sawAll(submittedAt.keys()) ? true : undefined),
      60_000,
      250,
    ).catch(() => undefined);

    // 2. latency, open loop at a fraction of the measured throughput
    const rate = Math.max(1, throughput * LATENCY_FRACTION);
    const latencyHashes: string[] = [];
    const latStart = performance.now();
    const pending: Promise<void>[] = [];
    for (let n = 0; ; n += 1) {
      const due = latStart + (n * 1000) / rate;
      if (due > latStart + SECONDS * 1000) break;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const picked = pickQueue();
      if (picked === undefined) break;
      const tx = picked.txs[picked.next]!;
      latencyHashes.push(bytesToHex(tx.hash));
      pending.push(sendNext(picked));
    }
    await Promise.all(pending);
    await waitFor(
      'the latency txs',
      () => Promise.resolve(watcher.sawAll(latencyHashes) ? true : undefined),
      60_000,
      250,
    ).catch(() => undefined);
    const latencies = latencyHashes
      .filter((h) => watcher.committedAt.has(h))
      .map((h) => watcher.committedAt.get(h)! - submittedAt.get(h)!)
      .sort((a, b) => a - b);
    watcher.close();
    const height = await latestHeight(urls[0]!);
    return {
      validators,
      'saturation tx/s': Number(throughput.toFixed(1)),
      'submitted (saturation)': satSubmitted,
      refused,
      'mempool full (retried)': mempoolFull,
      'latency load tx/s': Number(rate.toFixed(1)),
      'latency txs': latencies.length,
      'lost (not committed in 60 s)': latencyHashes.length - latencies.length,
      'p50 ms': Math.round(percentile(latencies, 50)),
      'p99 ms': Math.round(percentile(latencies, 99)),
      'final height': height.toString(),
    };
  } finally {
    await network.stop();
    if (!KEEP) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  }
}

console.log(
  `cometbft bench: validators ${VALIDATOR_COUNTS.join(',')}, timeout_commit ${TIMEOUT_COMMIT_MS} ms, ` +
    `${SECONDS} s per phase, ${SENDERS} senders, ${INFLIGHT} in flight; ${cpus().length} CPUs ` +
    `(${cpus()[0]?.model ?? '?'}), load ${loadAverages()}, ${new Date().toISOString()}`,
);
const rows: Record<string, string | number>[] = [];
for (const validators of VALIDATOR_COUNTS) {
  rows.push(await runNetwork(validators));
  console.table(rows.slice(-1));
}
console.log('CometBFT (shroud abci):');
console.table(rows);
console.log(`load after: ${loadAverages()}`);
if (EMBEDDED) {
  console.log('\nembedded engine, same parameters (bench/consensus.ts):');
  spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(import.meta.dirname, 'consensus.ts'),
      '--validators',
      VALIDATOR_COUNTS.join(','),
      '--block-time',
      String(TIMEOUT_COMMIT_MS),
      '--seconds',
      String(SECONDS),
      '--senders',
      String(SENDERS),
      '--inflight',
      String(INFLIGHT),
      '--latency-fraction',
      String(LATENCY_FRACTION),
    ],
    { stdio: 'inherit' },
  );
}
