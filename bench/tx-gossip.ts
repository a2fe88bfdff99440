// Mempool gossip cost (issue #6, ADR 011 §9): CPU per tx of getting N txs submitted at one node
// into the mempools of a full mesh of 4 real p2p nodes (TCP loopback, encrypted frames), in one
// process: "flood" = the reactor before session 5 (one message per tx, immediate relay to every
// peer but the sender), "have" = TxGossip. The app check is trivial (permissive), so the figure is
// the gossip's own cost: frames, sockets, decode, hashing, mempool adds and duplicate refusals.
//
// Usage: npm run bench:tx-gossip -- [--txs 3000] [--rounds 3] [--tx-bytes 600] [--relay-delay 1000]
import { Mempool } from '../src/mempool/index.js';
import { P2pNode, type ChannelConfig } from '../src/p2p/index.js';
import { TxGossip } from '../src/node/tx-gossip.js';
import { sha256, utf8Encode } from '../src/crypto/index.js';
import { permissiveCheck, tx } from '../test/mempool/helpers.js';
import { argNumber } from './lib/args.js';

const TXS = argNumber('txs', 3000);
const ROUNDS = argNumber('rounds', 3);
const TX_BYTES = argNumber('tx-bytes', 600);
const RELAY_DELAY_MS = argNumber('relay-delay', 1000);
const MEMPOOL = 0x30;
const CHANNELS: ChannelConfig[] = [
  {
    id: MEMPOOL,
    name: 'mempool',
    maxMessageBytes: 2 << 20,
    sendQueueMessages: 20_000,
    sendQueueBytes: 64 << 20,
    priority: 5,
  },
];

interface Node {
  p2p: P2pNode;
  pool: Mempool;
  gossip: TxGossip | undefined;
  received: number;
}

async function startMesh(mode: 'flood' | 'have', round: number): Promise<Node[]> {
  const nodes: Node[] = [];
  for (let i = 0; i < 4; i++) {
    const holder: { node?: Node } = {};
    const pool = new Mempool(
      { maxTxs: 50_000, maxBytes: 256 << 20, maxTxBytes: 1 << 20, cacheSize: 50_000 },
      {
        checkTx: permissiveCheck,
        onNewTx: (event) => {
          const node = holder.node;
          if (node === undefined) return;
          if (node.gossip !== undefined) return node.gossip.onNewTx(event);
          for (const peer of node.p2p.peers()) {
            if (peer.id === event.fromPeer || node.pool.peerHas(event.hash, peer.id)) continue;
            if (node.p2p.send(peer.id, MEMPOOL, event.bytes)) node.pool.markPeerHas(event.hash, peer.id);
          }
        },
      },
    );
    const p2p = await P2pNode.start({
      listenAddress: { host: '127.0.0.1', port: 0 },
      nodeKey: sha256(utf8Encode(`tx-gossip bench ${round} ${i}`)),
      networkId: 'bench',
      persistentPeers: nodes.map((n) => ({ id: n.p2p.id, host: '127.0.0.1', port: n.p2p.listenPort })),
      channels: CHANNELS,
    });
    const node: Node = { p2p, pool, gossip: undefined, received: 0 };
    if (mode === 'have') {
      node.gossip = new TxGossip({
        network: p2p,
        mempool: pool,
        channel: MEMPOOL,
        relayDelayMs: RELAY_DELAY_MS,
      });
      node.gossip.start();
    } else {
      p2p.on(MEMPOOL, async (peer, bytes) => {
        node.received++;
        const result = await pool.add(bytes, { fromPeer: peer });
        if (!result.ok && result.hash !== '') pool.markPeerHas(result.hash, peer);
      });
    }
    holder.node = node;
    nodes.push(node);
  }
  await until(() => nodes.every((n) => n.p2p.peers().length === 3), 10_000);
  return nodes;
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function round(mode: 'flood' | 'have', r: number): Promise<string> {
  const nodes = await startMesh(mode, r);
  const txs = Array.from({ length: TXS }, (_, i) =>
    tx({ sender: `r${r}s${i}`, sequence: 0, gas: 10, fee: 10, pad: Math.max(0, TX_BYTES - 30) }),
  );
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const origin = nodes[0]!;
  for (let i = 0; i < txs.length; i += 20) {
    await origin.pool.addMany(txs.slice(i, i + 20)); // an RPC batch
    if ((i / 20) % 10 === 9) await new Promise((resolve) => setImmediate(resolve));
  }
  await until(() => nodes.every((n) => n.pool.size === TXS), 60_000);
  // Let the relays that would still fire fire (have: RELAY_DELAY_MS after the last add).
  await new Promise((resolve) => setTimeout(resolve, RELAY_DELAY_MS + 200));
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0 - RELAY_DELAY_MS - 200;
  const stats = nodes.flatMap((n) => n.p2p.peers().map((p) => n.p2p.peerStats(p.id)!));
  const framesIn = stats.reduce((a, p) => a + p.framesReceived, 0);
  const bytesIn = stats.reduce((a, p) => a + p.bytesReceived, 0);
  const txsIn =
    mode === 'have'
      ? nodes.reduce((s, n) => s + n.gossip!.counters.txsReceived, 0)
      : nodes.reduce((s, n) => s + n.received, 0);
  const relayed = mode === 'have' ? nodes.reduce((s, n) => s + n.gossip!.counters.txsRelayed, 0) : null;
  for (const n of nodes) {
    n.gossip?.stop();
    await n.p2p.stop();
  }
  const us = ((cpu.user + cpu.system) / TXS).toFixed(1);
  return `| ${mode} | ${us} | ${(txsIn / TXS).toFixed(2)} | ${relayed ?? '—'} | ${(bytesIn / TXS).toFixed(0)} | ${framesIn} | ${wallMs.toFixed(0)} |`;
}

console.log(
  `${TXS} txs of ~${TX_BYTES} B at node 0 of a 4-node full mesh; load ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`,
);
console.log(
  '| reactor | CPU µs per tx (whole process) | full txs received per tx | relayed | bytes received per tx | frames received | wall ms |',
);
console.log('|--|--:|--:|--:|--:|--:|--:|');
for (let r = 0; r < ROUNDS; r++) {
  for (const mode of r % 2 === 0 ? (['flood', 'have'] as const) : (['have', 'flood'] as const)) {
    console.log(await round(mode, r));
  }
}
console.log(`load ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`);
