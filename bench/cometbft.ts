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
//        [--senders 200] [--inflight 64] [--latency-fraction 0.5] [--embedded] [--keep]
// Results: bench/RESULTS.md, "cometbft".
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { ShroudClient, Wallet, buildExecuteTx, type BuiltTx } from '../src/client/index.js';
import { bytesToHex, generateMnemonic, sha256 } from '../src/crypto/index.js';
import { createCometTestnet } from '../src/cli/abci-commands.js';
import { contractWasm } from '../test/app/helpers.js';
import { CometNetwork, cometbftBinary, freePorts, latestHeight, rpc, waitFor } from '../test/abci/helpers.js';

function arg(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : (process.argv[index + 1] ?? fallback);
}

const VALIDATOR_COUNTS = arg('validators', '1,4').split(',').map(Number);
const TIMEOUT_COMMIT_MS = Number(arg('timeout-commit', '1000'));
const SECONDS = Number(arg('seconds', '10'));
const SENDERS = Number(arg('senders', '200'));
const INFLIGHT = Number(arg('inflight', '64'));
const LATENCY_FRACTION = Number(arg('latency-fraction', '0.5'));
const KEEP = process.argv.includes('--keep');
const EMBEDDED = process.argv.includes('--embedded');
/** Transfers built per sender: enough for both phases at a few hundred tx/s. */
const PER_SENDER = Number(arg('per-sender', '20'));
const GAS_LIMIT = 300_000n;
const FEE = [{ denom: 'ushd', amount: '30000' }];

/** NewBlock on one node: when each bench tx hash was seen committed. */
class BlockWatcher {
  readonly seenAt = new Map<string, number>();
  private constructor(private readonly socket: WebSocket) {}

  static async open(rpcUrl: string): Promise<BlockWatcher> {
    const socket = new WebSocket(`${rpcUrl.replace('http', 'ws')}/websocket`);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const watcher = new BlockWatcher(socket);
    socket.on('message', (raw: Buffer) => watcher.receive(raw));
    socket.send(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'subscribe',
        params: { query: "tm.event='NewBlock'" },
      }),
    );
    return watcher;
  }

  private receive(raw: Buffer): void {
    const at = performance.now();
    const message = JSON.parse(raw.toString('utf8')) as {
      result?: { data?: { value?: { block?: { data: { txs: string[] | null } } } } };
    };
    for (const tx of message.result?.data?.value?.block?.data.txs ?? []) {
      this.seenAt.set(bytesToHex(sha256(Buffer.from(tx, 'base64'))).toUpperCase(), at);
    }
  }

  close(): void {
    this.socket.close();
  }
}

interface Queue {
  node: number;
  txs: BuiltTx[];
  /** Index of the next tx to send. */
  next: number;
  busy: boolean;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function broadcast(url: string, tx: BuiltTx): Promise<boolean> {
  const result = await rpc(url, 'broadcast_tx_sync', { tx: Buffer.from(tx.txBytes).toString('base64') });
  return (result['code'] ?? 0) === 0;
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

    const owner = testnet.accounts[0]!;
    const client = await ShroudClient.connect(urls[0]!, Wallet.fromMnemonic(owner.mnemonic), {
      gasPrice: { denom: 'ushd', amount: '0.1' },
      pollIntervalMs: 100,
    });
    const stored = await client.storeCode(contractWasm('token'), { gasLimit: 5_000_000n });
    const { contractAddress } = await client.instantiate(
      {
        codeId: stored.codeId,
        label: 'bench-token',
        msg: {
          name: 'Bench',
          symbol: 'BNC',
          decimals: 0,
          initial_balances: wallets.map((w) => ({ address: w.address, amount: '1000000000' })),
          prng_seed: Buffer.from('bench').toString('base64'),
        },
      },
      { gasLimit: 200_000_000n },
    );
    const codeHash = await client.getCodeHash(stored.codeId);
    const networkPublicKey = await client.networkPublicKey();
    const queues: Queue[] = [];
    for (const [i, wallet] of wallets.entries()) {
      const account = await client.getAccount(wallet.address);
      if (account === null) throw new Error(`sender ${wallet.address} not in genesis`);
      const txs: BuiltTx[] = [];
      for (let s = 0n; s < BigInt(PER_SENDER); s += 1n) {
        txs.push(
          buildExecuteTx({
            sender: wallet,
            chainId: testnet.chainId,
            accountNumber: account.accountNumber,
            sequence: s,
            gasLimit: GAS_LIMIT,
            fee: FEE,
            networkPublicKey,
            contract: contractAddress,
            codeHash,
            msg: { transfer: { recipient: wallets[(i + 1) % wallets.length]!.address, amount: '1' } },
          }),
        );
      }
      queues.push({ node: i % validators, txs, next: 0, busy: false });
    }
    const watcher = await BlockWatcher.open(urls[0]!);
    const submittedAt = new Map<string, number>();
    let refused = 0;
    const sendNext = async (queue: Queue): Promise<void> => {
      const tx = queue.txs[queue.next];
      if (tx === undefined) return;
      queue.busy = true;
      queue.next += 1;
      submittedAt.set(tx.hashHex, performance.now());
      try {
        if (!(await broadcast(urls[queue.node]!, tx))) refused += 1;
      } finally {
        queue.busy = false;
      }
    };

    // 1. saturation
    const satStart = performance.now();
    const satEnd = satStart + SECONDS * 1000;
    let cursor = 0;
    /** The next sender with a tx left and no broadcast in flight, round robin. */
    const pickQueue = (): Queue | undefined => {
      for (let k = 0; k < queues.length; k += 1) {
        const queue = queues[(cursor + k) % queues.length]!;
        if (!queue.busy && queue.next < queue.txs.length) {
          cursor = (cursor + k + 1) % queues.length;
          return queue;
        }
      }
      return undefined;
    };
    const workers = Array.from({ length: INFLIGHT }, async () => {
      while (performance.now() < satEnd) {
        const picked = pickQueue();
        if (picked === undefined) await new Promise((r) => setTimeout(r, 5));
        else await sendNext(picked);
      }
    });
    await Promise.all(workers);
    // Txs still in the mempool commit after the window; count only what was seen inside it.
    await new Promise((r) => setTimeout(r, 200));
    const satCommitted = [...watcher.seenAt.entries()].filter(
      ([hash, at]) => submittedAt.has(hash) && at >= satStart && at <= satEnd,
    ).length;
    const throughput = satCommitted / SECONDS;
    const satSubmitted = submittedAt.size;
    // Drain: wait until what was submitted committed (or 30 s).
    await waitFor(
      'the saturation backlog',
      () => Promise.resolve([...submittedAt.keys()].every((h) => watcher.seenAt.has(h)) ? true : undefined),
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
      latencyHashes.push(tx.hashHex);
      pending.push(sendNext(picked));
    }
    await Promise.all(pending);
    await waitFor(
      'the latency txs',
      () => Promise.resolve(latencyHashes.every((h) => watcher.seenAt.has(h)) ? true : undefined),
      60_000,
      250,
    ).catch(() => undefined);
    const latencies = latencyHashes
      .filter((h) => watcher.seenAt.has(h))
      .map((h) => watcher.seenAt.get(h)! - submittedAt.get(h)!)
      .sort((a, b) => a - b);
    watcher.close();
    const height = await latestHeight(urls[0]!);
    return {
      validators,
      'saturation tx/s': Number(throughput.toFixed(1)),
      'submitted (saturation)': satSubmitted,
      refused,
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
    `(${cpus()[0]?.model ?? '?'}), load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}, ${new Date().toISOString()}`,
);
const rows: Record<string, string | number>[] = [];
for (const validators of VALIDATOR_COUNTS) {
  rows.push(await runNetwork(validators));
  console.table(rows.slice(-1));
}
console.log('CometBFT (shroud abci):');
console.table(rows);
console.log(
  `load after: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
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
