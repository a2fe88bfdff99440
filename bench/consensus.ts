// Consensus benchmark (issue #6 "Must show"): committed encrypted `token.transfer` throughput
// and submit → commit latency (p50/p99) on 1 and on N validator processes (`shroud devnet`,
// real processes on loopback, durable stores, real enclaves), at a target block time.
//
// Per network: deploy `token` with a balance for every sender, then
//   1. saturation: keep `--inflight` broadcast requests open (a sender's txs always to the same
//      node) for `--seconds`; throughput = bench txs committed / (commit of the last one − first
//      submit), commit times from NewBlock over WebSocket on node0;
//   2. latency: an open-loop load at `--latency-fraction` of the measured throughput for
//      `--seconds`; each tx's latency = commit seen (NewBlock on node0) − submit.
// Txs are built, encrypted and signed before each timed phase (that is the clients' work).
//
// Usage: npm run bench:consensus -- [--validators 1,4] [--block-time 1000] [--seconds 10]
//        [--senders 300] [--inflight 64] [--window 3000] [--saturation-txs 10000]
//        [--latency-fraction 0.5] [--single-engine tendermint|solo] [--keep]
//        [--batch 20] [--broadcast sync|async] [--drain 30] [--skip-latency] [--threads]
//        [--warmup TXS]
// `--inflight` counts open HTTP requests; each carries a JSON-RPC batch of up to `--batch` txs
// for one node (CometBFT allows batches; ours hold ≤ 20). `--broadcast async` uses
// broadcast_tx_async, which answers before checkTx. During each phase the bench polls every
// node's num_unconfirmed_txs (mempool size) every 250 ms.
// Results: bench/RESULTS.md, "consensus". `--cpu-prof DIR`: every node process writes a V8 CPU
// profile into DIR/v<N> when it stops (`shroud devnet` passes SHROUD_DEVNET_NODE_ARGS to its nodes).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShroudClient, Wallet, type BuiltTx } from '../src/client/index.js';
import { bytesToHex, generateMnemonic } from '../src/crypto/index.js';
import { HOME_FILES, initNetwork, type NetworkDescription } from '../src/node/index.js';
import { BIN, exitOf, freePortBase, pollFor, waitForOutput } from '../test/network/helpers.js';
import { argNumber, argText, hasFlag } from './lib/args.js';
import { CommitWatcher, type SeenBlock } from './lib/commit-watcher.js';
import { argvOf, childPids, cpuDelta, processCpu, type ProcessCpu } from './lib/proc-cpu.js';
import { machine, percentile } from './lib/stats.js';
import { buildTransfer, setUpTransfers, type BenchSender, type BenchToken } from './lib/transfers.js';

const VALIDATOR_COUNTS = argText('validators', '1,4').split(',').map(Number);
const BLOCK_TIME_MS = argNumber('block-time', 1000);
const SECONDS = argNumber('seconds', 10);
const SENDERS = argNumber('senders', 300);
const INFLIGHT = argNumber('inflight', 64);
/** Txs per JSON-RPC batch (one HTTP request); the RPC accepts at most 20. */
const BATCH = Math.max(1, Math.min(20, argNumber('batch', 20)));
const BROADCAST = argText('broadcast', 'sync') === 'async' ? 'broadcast_tx_async' : 'broadcast_tx_sync';
const LATENCY_FRACTION = argNumber('latency-fraction', 0.5);
const KEEP = hasFlag('keep');
/** Most txs submitted and not yet committed (the mempool holds 10,000). */
const WINDOW = argNumber('window', 3000);
/** Seconds a phase waits after its last submit for what was accepted to commit. */
const DRAIN_SECONDS = argNumber('drain', 30);
/**
 * Txs of an untimed saturation phase before the measured ones: a fresh node process spends its
 * first thousands of txs compiling hot code (V8's optimizing compiler on its platform threads
 * was ~3/4 of the "rest" threads' CPU in a 10 s phase, perf), which a long-running node does not.
 */
const WARMUP_TXS = argNumber('warmup', 0);
/** Only the saturation phase (A/B runs of CPU per tx). */
const SKIP_LATENCY = hasFlag('skip-latency');
/** Print every node thread's CPU per tx (to tell what the "rest" is). */
const THREADS = hasFlag('threads');
const CPU_PROF_DIR = hasFlag('cpu-prof') ? argText('cpu-prof', '') : '';
/** Engine of the 1-validator network: 'tendermint' (same path as N) or 'solo' (the app's driver). */
const SINGLE_ENGINE = argText('single-engine', 'tendermint') === 'solo' ? 'solo' : 'tendermint';
/**
 * A sender's next tx goes out only once its previous one committed. Needed by the solo
 * driver, whose pending queue is not re-checked after a commit (a sender's second pending tx is
 * refused there); on by default with --single-engine solo, `--gate` turns it on elsewhere.
 */
const GATE = hasFlag('gate') || SINGLE_ENGINE === 'solo';

interface Network {
  root: string;
  description: NetworkDescription;
  devnet: ChildProcess;
  rpcUrls: string[];
}

async function startNetwork(validators: number, senders: Wallet[]): Promise<Network> {
  const root = mkdtempSync(join(tmpdir(), `shroud-bench-consensus-${validators}-`));
  const description = await initNetwork(root, {
    validators,
    blockTimeMs: BLOCK_TIME_MS,
    portBase: await freePortBase(validators),
    engine: validators === 1 ? SINGLE_ENGINE : 'tendermint',
    extraAccounts: senders.map((w) => ({ address: w.address, amount: 10n ** 12n })),
  });
  // The bench is one client IP: lift the per-IP RPC rate limit (6,000/min by default).
  for (const node of description.nodes) {
    const path = join(node.home, HOME_FILES.config);
    const config = JSON.parse(readFileSync(path, 'utf8')) as { rpc: { rateLimitPerMinute: number } };
    config.rpc.rateLimitPerMinute = 10_000_000;
    writeFileSync(path, JSON.stringify(config, null, 2));
  }
  const env =
    CPU_PROF_DIR === ''
      ? process.env
      : {
          ...process.env,
          SHROUD_DEVNET_NODE_ARGS: `--cpu-prof --cpu-prof-dir=${join(CPU_PROF_DIR, `v${validators}`)}`,
        };
  const devnet = spawn(process.execPath, [BIN, 'devnet', '--home', root], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  await waitForOutput(devnet, /ready — block \d+ committed/, 120_000);
  const rpcUrls = description.nodes.map((n) => `http://${description.host}:${n.rpcPort}`);
  return { root, description, devnet, rpcUrls };
}

async function stopNetwork(network: Network): Promise<void> {
  network.devnet.kill('SIGINT');
  await exitOf(network.devnet, 60_000).catch(() => network.devnet.kill('SIGKILL'));
  if (!KEEP) rmSync(network.root, { recursive: true, force: true });
}

/** Builds `count` transfers round-robin over the senders, advancing their sequences. */
function buildTransfers(count: number, senders: BenchSender[], token: BenchToken): BuiltTx[] {
  return Array.from({ length: count }, (_, i) =>
    buildTransfer(token, senders[i % senders.length]!, senders[(i + 1) % senders.length]!.wallet.address),
  );
}

/** Sends `txs` to one node in one JSON-RPC batch; returns the refusals' messages. */
async function broadcastBatch(rpcUrl: string, txs: BuiltTx[]): Promise<string[]> {
  const requests = txs.map((tx, id) => ({
    jsonrpc: '2.0',
    id,
    method: BROADCAST,
    params: { tx: Buffer.from(tx.txBytes).toString('base64') },
  }));
  const response = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(requests.length === 1 ? requests[0] : requests),
  });
  const parsed = (await response.json()) as Answer | Answer[];
  const answers = Array.isArray(parsed) ? parsed : [parsed];
  const refused: string[] = [];
  for (const body of answers) {
    if (body.error !== undefined) refused.push(`broadcast: ${body.error.message}`);
    else if (body.result?.code !== 0) refused.push(`checkTx refused a bench tx: ${body.result?.log}`);
  }
  if (answers.length !== txs.length) refused.push(`${txs.length} txs sent, ${answers.length} answers`);
  return refused;
}

interface Answer {
  result?: { code: number; log: string };
  error?: { message: string };
}

/** Polls every node's mempool size until stopped: samples of the sum over nodes and the max. */
function sampleMempools(rpcUrls: string[]): { stop: () => Promise<{ mean: number; max: number }> } {
  const sizes: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const counts = await Promise.all(
        rpcUrls.map(async (url) => {
          try {
            const body = (await (await fetch(`${url}/num_unconfirmed_txs`)).json()) as {
              result?: { n_txs: string };
            };
            return Number(body.result?.n_txs ?? 0);
          } catch {
            return 0;
          }
        }),
      );
      sizes.push(Math.max(...counts));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      const mean = sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length);
      return { mean, max: Math.max(0, ...sizes) };
    },
  };
}

interface PhaseResult {
  submitted: number;
  committed: number;
  /** Committed bench txs / (last one's commit − first submit): includes draining the backlog. */
  throughput: number;
  /** Bench txs in blocks committed while submitting / that time (the session-1 figure). */
  windowThroughput: number;
  p50: number;
  p99: number;
  /** broadcast_tx_sync round trips (the node's checkTx answer), p50 and p99 in ms. */
  checkP50: number;
  checkP99: number;
  blocks: SeenBlock[];
  refused: number;
  /** Largest node mempool, mean and max over the 250 ms samples of the phase. */
  mempoolMean: number;
  mempoolMax: number;
  /** CPU of each node process (all its threads) from the phase's start to its last commit. */
  cpu: ProcessCpu[];
}

/** CPU readings of the devnet's node processes (its `shroud start` children, not tsx's esbuild). */
function nodesCpu(network: Network): ProcessCpu[] {
  return childPids(network.devnet.pid ?? -1)
    .filter((pid) => argvOf(pid).includes('start'))
    .map((pid) => processCpu(pid))
    .filter((c): c is ProcessCpu => c !== undefined);
}

/**
 * `total ms/tx (main thread; busiest other threads)` summed over the node processes: each
 * node's other threads ranked by CPU (the 1st is the enclave worker under this load), the
 * k-th busiest summed over nodes.
 */
function cpuPerTx(cpu: ProcessCpu[], txs: number): string {
  const n = Math.max(1, txs);
  const total = cpu.reduce((s, c) => s + c.totalMs, 0) / n;
  const main = cpu.reduce((s, c) => s + c.mainMs, 0) / n;
  const ranked: number[] = [];
  for (const c of cpu) {
    [...c.threads.values()].sort((a, b) => b - a).forEach((ms, k) => (ranked[k] = (ranked[k] ?? 0) + ms));
  }
  const rest = ranked.slice(3).reduce((s, ms) => s + ms, 0);
  const others = ranked
    .slice(0, 3)
    .map((ms, k) => `#${k + 1} ${(ms / n).toFixed(2)}`)
    .join(', ');
  const line = `${total.toFixed(2)} ms CPU/tx over ${cpu.length} node(s) (main ${main.toFixed(2)}; other threads ${others}, rest ${(rest / n).toFixed(2)})`;
  if (!THREADS) return line;
  // --threads: every thread of each node in creation order (tid), µs per committed tx, to name
  // the "rest" (V8's platform threads come right after the main thread, then libuv's pool and
  // the workers in the order the node starts them).
  const perNode = cpu.map((c) => {
    const threads = [...c.threads]
      .map(([name, ms]) => ({ tid: Number(name.split('#')[1]), us: (1000 * ms) / n }))
      .sort((a, b) => a.tid - b.tid)
      .map((t) => `${t.tid - c.pid}:${t.us.toFixed(0)}`)
      .join(' ');
    return `\n    node pid ${c.pid}: main ${((1000 * c.mainMs) / n).toFixed(0)} µs/tx; threads (tid − pid: µs/tx) ${threads}`;
  });
  return line + perNode.join('');
}

/** Submits `txs` with at most `inflight` requests open or at `ratePerSecond`; waits for commits. */
async function runPhase(
  network: Network,
  watcher: CommitWatcher,
  txs: BuiltTx[],
  senders: number,
  mode: { inflight: number } | { ratePerSecond: number },
): Promise<PhaseResult> {
  // Building the txs held this thread for seconds: let the NewBlock messages that arrived
  // meanwhile be read first, or they would be timed inside the phase (empty blocks "in" it).
  await new Promise((resolve) => setTimeout(resolve, 200));
  const submittedAt = new Map<string, number>();
  const start = performance.now();
  const endMs = start + SECONDS * 1000;
  let next = 0;
  let failures = 0;
  const checkMs: number[] = [];
  const nodes = network.rpcUrls.length;
  const nodeOf = (k: number) => (k % senders) % nodes;
  // A sender's txs go to one node, each after the node answered the previous one: checkTx
  // must see a sender's sequences in order (concurrent requests may be served out of order;
  // inside one batch the RPC serves them in order).
  const answered: Promise<void>[] = [];
  /** Splits tx indices by node into batches of ≤ BATCH, each sent after its predecessors. */
  const submitGroup = (ks: number[]): Promise<void>[] => {
    const byNode = new Map<number, number[]>();
    for (const k of ks) {
      const list = byNode.get(nodeOf(k)) ?? [];
      list.push(k);
      byNode.set(nodeOf(k), list);
    }
    const out: Promise<void>[] = [];
    for (const [node, list] of byNode) {
      for (let i = 0; i < list.length; i += BATCH) {
        const chunk = list.slice(i, i + BATCH);
        const inChunk = new Set(chunk);
        const deps = chunk
          .map((k) => k - senders)
          .filter((j) => j >= 0 && !inChunk.has(j))
          .map((j) => answered[j])
          .filter((p): p is Promise<void> => p !== undefined);
        const done = (async () => {
          await Promise.all(deps);
          await send(node, chunk);
        })();
        for (const k of chunk) answered[k] = done;
        out.push(done);
      }
    }
    return out;
  };
  const send = async (node: number, chunk: number[]) => {
    const at = performance.now();
    for (const k of chunk) submittedAt.set(bytesToHex(txs[k]!.hash), at);
    try {
      const refused = await broadcastBatch(
        network.rpcUrls[node]!,
        chunk.map((k) => txs[k]!),
      );
      const rtt = performance.now() - at;
      for (let i = 0; i < chunk.length; i += 1) checkMs.push(rtt);
      failures += refused.length;
      for (const message of refused.slice(0, Math.max(0, 3 - failures + refused.length))) {
        console.error(`  ${message}`);
      }
    } catch (error) {
      failures += chunk.length;
      if (failures <= 3 * BATCH) console.error(`  ${String(error)}`);
    }
  };
  const sampler = sampleMempools(network.rpcUrls);
  const cpuBefore = nodesCpu(network);
  const baseTotal = watcher.totalTxs;
  if ('inflight' in mode) {
    await Promise.all(
      Array.from({ length: mode.inflight }, async () => {
        while (performance.now() < endMs && next < txs.length) {
          const count = Math.min(BATCH * nodes, txs.length - next);
          // Keep the mempool below its bound: wait while too many are uncommitted.
          const last = next + count - 1;
          const previous = GATE && last >= senders ? txs[last - senders] : undefined;
          const gated = previous !== undefined && !watcher.committedAt.has(bytesToHex(previous.hash));
          if (gated || next + count - (watcher.totalTxs - baseTotal) > WINDOW) {
            await new Promise((resolve) => setTimeout(resolve, 20));
            continue;
          }
          const ks = Array.from({ length: count }, (_, i) => next + i);
          next += count;
          await Promise.all(submitGroup(ks));
        }
      }),
    );
  } else {
    const pending: Promise<void>[] = [];
    while (performance.now() < endMs && next < txs.length) {
      const due = Math.min(txs.length, Math.floor(((performance.now() - start) / 1000) * mode.ratePerSecond));
      if (due > next) {
        const ks = Array.from({ length: due - next }, (_, i) => next + i);
        next = due;
        pending.push(...submitGroup(ks));
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await Promise.all(pending);
  }
  const submitted = next;
  const stopMs = performance.now();
  const mempool = await sampler.stop();
  // Wait for what was accepted to commit (bounded).
  const deadline = performance.now() + DRAIN_SECONDS * 1000;
  const hashes = [...submittedAt.keys()];
  while (performance.now() < deadline && !watcher.sawAll(hashes)) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const cpu = cpuDelta(cpuBefore, nodesCpu(network));
  const latencies = hashes
    .filter((h) => watcher.committedAt.has(h))
    .map((h) => watcher.committedAt.get(h)! - submittedAt.get(h)!)
    .sort((a, b) => a - b);
  // Throughput: every committed bench tx over the time from the first submit to the last
  // commit. Counting only blocks committed while submitting (the earlier figure) reads ~0 when
  // a block takes longer than the window to agree on and execute (seen with 4 validators).
  const windowBlocks = watcher.blocks.filter((b) => b.atMs > start && b.atMs <= stopMs);
  const windowTxs = windowBlocks.reduce((sum, b) => sum + b.txs, 0);
  const windowLastAt = windowBlocks.at(-1)?.atMs ?? stopMs;
  const lastCommitAt = Math.max(start, ...hashes.map((h) => watcher.committedAt.get(h) ?? start));
  const phaseBlocks = watcher.blocks.filter((b) => b.atMs > start && b.atMs <= lastCommitAt);
  return {
    submitted,
    committed: latencies.length,
    throughput: latencies.length / Math.max(0.001, (lastCommitAt - start) / 1000),
    windowThroughput: windowTxs / Math.max(0.001, (windowLastAt - start) / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    checkP50: percentile(
      checkMs.sort((a, b) => a - b),
      50,
    ),
    checkP99: percentile(checkMs, 99),
    blocks: phaseBlocks,
    refused: failures,
    mempoolMean: mempool.mean,
    mempoolMax: mempool.max,
    cpu,
  };
}

/**
 * After a phase: waits for every mempool to drain (pending txs would conflict with rebuilt
 * sequences), then rewinds each sender to the chain's sequence (unsubmitted txs held
 * sequences the chain never saw).
 */
async function settle(network: Network, client: ShroudClient, senders: BenchSender[]): Promise<void> {
  await pollFor(
    'the mempools to drain',
    async () => {
      const sizes = await Promise.all(
        network.rpcUrls.map(async (url) => {
          const body = (await (await fetch(`${url}/num_unconfirmed_txs`)).json()) as {
            result?: { n_txs: string };
          };
          return Number(body.result?.n_txs ?? 0);
        }),
      );
      return sizes.every((n) => n === 0) ? true : undefined;
    },
    120_000,
    250,
  ).catch((error: unknown) => console.error(`  ${String(error)}`));
  for (const sender of senders) {
    const account = await client.getAccount(sender.wallet.address);
    sender.sequence = account?.sequence ?? sender.sequence;
  }
}

async function benchNetwork(validators: number): Promise<string[]> {
  const mnemonic = generateMnemonic(24);
  const wallets = Array.from({ length: SENDERS }, (_, index) => Wallet.fromMnemonic(mnemonic, { index }));
  console.log(`\n== ${validators} validator(s): starting the network…`);
  const network = await startNetwork(validators, wallets);
  try {
    const { token, senders } = await setUpTransfers(
      network.rpcUrls[0]!,
      network.description.accounts[0]!.mnemonic,
      wallets,
    );
    const client = await ShroudClient.connect(network.rpcUrls[0]!);
    const watcher = await CommitWatcher.open(network.rpcUrls[0]!);
    try {
      if (WARMUP_TXS > 0) {
        const warm = await runPhase(
          network,
          watcher,
          buildTransfers(WARMUP_TXS, senders, token),
          senders.length,
          {
            inflight: INFLIGHT,
          },
        );
        console.log(`  warm-up: ${warm.committed} of ${warm.submitted} txs committed (not measured)`);
        await settle(network, client, senders);
      }
      // Enough txs for the saturation window at 2,000 tx/s; built before timing.
      let t0 = performance.now();
      const saturationTxs = buildTransfers(
        Math.max(SENDERS, argNumber('saturation-txs', 1000 * SECONDS)),
        senders,
        token,
      );
      console.log(`  built ${saturationTxs.length} txs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const load0 = loadavg()[0] ?? 0;
      const saturation = await runPhase(network, watcher, saturationTxs, senders.length, {
        inflight: INFLIGHT,
      });
      console.log(
        `  saturation: ${saturation.submitted} submitted, ${saturation.committed} committed, ${saturation.throughput.toFixed(0)} tx/s (in-window ${saturation.windowThroughput.toFixed(0)}), p50 ${saturation.p50.toFixed(0)} ms, p99 ${saturation.p99.toFixed(0)} ms; answer p50 ${saturation.checkP50.toFixed(0)} ms, p99 ${saturation.checkP99.toFixed(0)} ms; refused ${saturation.refused}; mempool mean ${saturation.mempoolMean.toFixed(0)}, max ${saturation.mempoolMax}; blocks ${saturation.blocks.map((b) => b.txs).join(' ')}`,
      );
      console.log(`  saturation CPU: ${cpuPerTx(saturation.cpu, saturation.committed)}`);
      if (SKIP_LATENCY) return [];
      await settle(network, client, senders);
      const rate = Math.max(10, Math.floor(saturation.throughput * LATENCY_FRACTION));
      t0 = performance.now();
      const latencyTxs = buildTransfers(rate * SECONDS, senders, token);
      console.log(`  built ${latencyTxs.length} txs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const latency = await runPhase(network, watcher, latencyTxs, senders.length, { ratePerSecond: rate });
      const load1 = loadavg()[0] ?? 0;
      console.log(
        `  latency at ${rate} tx/s: ${latency.submitted} submitted, ${latency.committed} committed, ${latency.throughput.toFixed(0)} tx/s, p50 ${latency.p50.toFixed(0)} ms, p99 ${latency.p99.toFixed(0)} ms; answer p50 ${latency.checkP50.toFixed(0)} ms, p99 ${latency.checkP99.toFixed(0)} ms; refused ${latency.refused}; mempool mean ${latency.mempoolMean.toFixed(0)}, max ${latency.mempoolMax}`,
      );
      console.log(`  latency CPU: ${cpuPerTx(latency.cpu, latency.committed)}`);
      const intervals = saturation.blocks.slice(1).map((b, i) => b.atMs - saturation.blocks[i]!.atMs);
      const meanInterval = intervals.reduce((s, x) => s + x, 0) / Math.max(1, intervals.length);
      const maxBlock = Math.max(0, ...saturation.blocks.map((b) => b.txs));
      const mode = BROADCAST === 'broadcast_tx_async' ? 'async' : 'sync';
      return [
        `| ${validators} | saturation (${INFLIGHT} × ${BATCH} ${mode}) | ${saturation.submitted} | ${saturation.committed} | **${saturation.throughput.toFixed(0)}** | ${saturation.p50.toFixed(0)} | ${saturation.p99.toFixed(0)} | ${saturation.checkP50.toFixed(0)} / ${saturation.checkP99.toFixed(0)} | ${saturation.mempoolMean.toFixed(0)} / ${saturation.mempoolMax} | ${meanInterval.toFixed(0)} ms, ≤ ${maxBlock} txs | ${load0.toFixed(1)} |`,
        `| ${validators} | open loop ${rate} tx/s | ${latency.submitted} | ${latency.committed} | ${latency.throughput.toFixed(0)} | **${latency.p50.toFixed(0)}** | **${latency.p99.toFixed(0)}** | ${latency.checkP50.toFixed(0)} / ${latency.checkP99.toFixed(0)} | ${latency.mempoolMean.toFixed(0)} / ${latency.mempoolMax} | | ${load1.toFixed(1)} |`,
      ];
    } finally {
      watcher.close();
    }
  } finally {
    await stopNetwork(network);
  }
}

async function main(): Promise<void> {
  const started = new Date().toISOString();
  const rows: string[] = [];
  for (const validators of VALIDATOR_COUNTS) rows.push(...(await benchNetwork(validators)));
  console.log(
    `\nmachine: ${machine()}; started ${started}; block time ${BLOCK_TIME_MS} ms, ${SENDERS} senders, ${SECONDS} s per phase`,
  );
  console.log(
    '| validators | load | submitted | committed | tx/s | p50 ms | p99 ms | broadcast answer p50 / p99 ms | mempool mean / max | blocks | load avg |',
  );
  console.log('|--:|:--|--:|--:|--:|--:|--:|--:|--:|:--|--:|');
  for (const row of rows) console.log(row);
}

await main();
