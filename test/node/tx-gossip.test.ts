// Mempool gossip (src/node/tx-gossip.ts, ADR 011 §9): the wire codec, and networks of real
// mempools joined by an in-memory hub that records every tx message.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { txHashHex } from '../../src/codec/index.js';
import { Mempool } from '../../src/mempool/index.js';
import {
  DEFAULT_RELAY_DELAY_MS,
  TX_GOSSIP_HAVE,
  TX_GOSSIP_TXS,
  TXS_MESSAGE_TXS_MAX,
  TxGossip,
  decodeTxGossipMessage,
  encodeHaveMessage,
  encodeTxsMessage,
  type TxGossipNetwork,
} from '../../src/node/tx-gossip.js';
import { permissiveCheck, tx } from '../mempool/helpers.js';

const CHANNEL = 0x30;

interface Delivery {
  from: string;
  to: string;
  kind: 'txs' | 'have';
  hashes: string[];
}

/** In-memory links between named nodes; a message is delivered on a later turn, in order. */
class Hub {
  readonly deliveries: Delivery[] = [];
  private readonly handlers = new Map<string, (peer: string, bytes: Uint8Array) => void | Promise<void>>();
  private readonly connected = new Map<string, ((peer: { id: string }) => void)[]>();
  private readonly disconnected = new Map<string, ((peer: string) => void)[]>();
  private readonly links = new Set<string>();
  /** "a>b": sends from a to b are refused (a full send queue). */
  readonly refuse = new Set<string>();

  network(self: string): TxGossipNetwork {
    return {
      peers: () =>
        [...this.links]
          .filter((l) => l.startsWith(`${self}>`))
          .map((l) => ({ id: l.slice(self.length + 1) })),
      send: (peer, channel, bytes) => {
        assert.equal(channel, CHANNEL, 'only the mempool channel is used');
        if (!this.links.has(`${self}>${peer}`) || this.refuse.has(`${self}>${peer}`)) return false;
        const message = decodeTxGossipMessage(bytes);
        assert.ok(message !== null, 'every message sent parses');
        this.deliveries.push({
          from: self,
          to: peer,
          kind: message.kind,
          hashes: message.kind === 'have' ? message.hashes : message.txs.map((t) => txHashHex(t)),
        });
        setImmediate(() => {
          if (this.links.has(`${self}>${peer}`)) void this.handlers.get(peer)?.(self, bytes);
        });
        return true;
      },
      on: (_channel, handler) => this.handlers.set(self, handler),
      onPeerConnected: (listener) =>
        this.connected.set(self, [...(this.connected.get(self) ?? []), listener]),
      onPeerDisconnected: (listener) =>
        this.disconnected.set(self, [...(this.disconnected.get(self) ?? []), listener]),
    };
  }

  connect(a: string, b: string): void {
    this.links.add(`${a}>${b}`);
    this.links.add(`${b}>${a}`);
    for (const listener of this.connected.get(a) ?? []) listener({ id: b });
    for (const listener of this.connected.get(b) ?? []) listener({ id: a });
  }

  disconnect(a: string, b: string): void {
    this.links.delete(`${a}>${b}`);
    this.links.delete(`${b}>${a}`);
    for (const listener of this.disconnected.get(a) ?? []) listener(b);
    for (const listener of this.disconnected.get(b) ?? []) listener(a);
  }

  /** Hands raw bytes to `to`'s handler as if `from` sent them (bypasses the parse check above). */
  async deliverRaw(from: string, to: string, bytes: Uint8Array): Promise<void> {
    await this.handlers.get(to)?.(from, bytes);
  }

  /** Full txs delivered to `to` carrying `hash`. */
  txCopies(to: string, hash: string): Delivery[] {
    return this.deliveries.filter((d) => d.to === to && d.kind === 'txs' && d.hashes.includes(hash));
  }
}

interface TestNode {
  name: string;
  pool: Mempool;
  gossip: TxGossip;
}

/** Generous: on a loaded machine the announcements must still beat the relay (timing only). */
const MESH_RELAY_MS = 250;

function makeNodes(hub: Hub, names: string[], relayDelayMs = 30): Map<string, TestNode> {
  const nodes = new Map<string, TestNode>();
  for (const name of names) {
    const holder: { gossip?: TxGossip } = {};
    const pool = new Mempool(
      { maxTxs: 1000, maxBytes: 1_000_000, maxTxBytes: 10_000, cacheSize: 1000 },
      { checkTx: permissiveCheck, onNewTx: (event) => holder.gossip?.onNewTx(event) },
    );
    const gossip = new TxGossip({
      network: hub.network(name),
      mempool: pool,
      channel: CHANNEL,
      relayDelayMs,
    });
    holder.gossip = gossip;
    gossip.start();
    nodes.set(name, { name, pool, gossip });
  }
  return nodes;
}

function fullMesh(hub: Hub, names: string[]): void {
  for (const [i, a] of names.entries()) for (const b of names.slice(i + 1)) hub.connect(a, b);
}

async function until(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Waits until no node has a relay or a send still to come (polled, not a sleep: a loaded machine
 * may fire a relay timer late), then two more turns for deliveries in flight to be handled.
 */
async function settle(nodes: Map<string, TestNode>): Promise<void> {
  await until('every relay fired and every outbox flushed', () =>
    [...nodes.values()].every((node) => node.gossip.pending === 0),
  );
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
}

function stopAll(nodes: Map<string, TestNode>): void {
  for (const node of nodes.values()) node.gossip.stop();
}

describe('tx gossip wire format', () => {
  it('round-trips TXS and HAVE messages', () => {
    const txs = [
      tx({ sender: 'a', sequence: 0, gas: 1, fee: 1 }),
      new Uint8Array([7]),
      new Uint8Array(300).fill(9),
    ];
    const encoded = encodeTxsMessage(txs);
    assert.equal(encoded[0], TX_GOSSIP_TXS);
    const decoded = decodeTxGossipMessage(encoded);
    assert.ok(decoded?.kind === 'txs');
    assert.deepEqual(
      decoded.txs.map((t) => [...t]),
      txs.map((t) => [...t]),
    );

    const hashes = txs.map((t) => txHashHex(t));
    const have = encodeHaveMessage(hashes);
    assert.equal(have[0], TX_GOSSIP_HAVE);
    assert.equal(have.length, 1 + 32 * 3);
    assert.deepEqual(decodeTxGossipMessage(have), { kind: 'have', hashes });
    // Lowercase hashes encode to the same bytes (the mempool names txs in uppercase).
    assert.deepEqual(encodeHaveMessage(hashes.map((h) => h.toLowerCase())), have);
  });

  it('refuses messages that do not parse', () => {
    const good = encodeTxsMessage([new Uint8Array([1, 2, 3])]);
    const cases: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['a tag alone', new Uint8Array([TX_GOSSIP_TXS])],
      ['unknown tag', new Uint8Array([3, 0, 0, 0, 1, 5])],
      ['a raw tx (the old format)', tx({ sender: 'a', sequence: 0, gas: 1, fee: 1 })],
      ['truncated length', good.subarray(0, 3)],
      ['length past the end', good.subarray(0, good.length - 1)],
      ['zero-length tx', new Uint8Array([TX_GOSSIP_TXS, 0, 0, 0, 0])],
      ['trailing byte', new Uint8Array([...good, 0])],
      ['HAVE of 31 bytes', new Uint8Array([TX_GOSSIP_HAVE, ...new Uint8Array(31)])],
      ['HAVE of 33 bytes', new Uint8Array([TX_GOSSIP_HAVE, ...new Uint8Array(33)])],
    ];
    for (const [name, bytes] of cases) assert.equal(decodeTxGossipMessage(bytes), null, name);
  });

  it('refuses a TXS message of more than TXS_MESSAGE_TXS_MAX txs (one message, bounded work)', () => {
    const one = new Uint8Array([7]);
    const atMax = decodeTxGossipMessage(
      encodeTxsMessage(Array.from({ length: TXS_MESSAGE_TXS_MAX }, () => one)),
    );
    assert.equal(atMax?.kind === 'txs' ? atMax.txs.length : -1, TXS_MESSAGE_TXS_MAX, 'at the bound');
    const over = encodeTxsMessage(Array.from({ length: TXS_MESSAGE_TXS_MAX + 1 }, () => one));
    assert.equal(decodeTxGossipMessage(over), null, 'over the bound');
  });

  it('refuses to encode an empty tx or a hash that is not 32 bytes', () => {
    assert.throws(() => encodeTxsMessage([new Uint8Array(0)]), RangeError);
    assert.throws(() => encodeHaveMessage(['AB']), RangeError);
  });

  it('has a documented default relay delay', () => {
    assert.equal(DEFAULT_RELAY_DELAY_MS, 1000);
  });
});

describe('tx gossip between mempools', () => {
  const names = ['n0', 'n1', 'n2', 'n3'];

  it('full mesh: each node receives a submitted tx once, never back from whom it went to, no relay', async () => {
    const hub = new Hub();
    const nodes = makeNodes(hub, names, MESH_RELAY_MS);
    fullMesh(hub, names);
    try {
      const txs = Array.from({ length: 25 }, (_, i) =>
        tx({ sender: `s${i}`, sequence: 0, gas: 10, fee: 10 }),
      );
      const results = await nodes.get('n0')!.pool.addMany(txs);
      assert.ok(results.every((r) => r.ok));
      await until('every node holds every tx', () =>
        names.every((n) => nodes.get(n)!.pool.size === txs.length),
      );
      await settle(nodes);
      for (const t of txs) {
        const hash = txHashHex(t);
        assert.equal(hub.txCopies('n0', hash).length, 0, `the origin never gets ${hash} back`);
        for (const n of names.slice(1)) {
          const copies = hub.txCopies(n, hash);
          assert.equal(
            copies.length,
            1,
            `${n} receives ${hash} once: ${JSON.stringify(copies.map((c) => c.from))}`,
          );
          assert.equal(copies[0]!.from, 'n0', `${n} receives ${hash} from the origin`);
        }
      }
      for (const n of names)
        assert.equal(nodes.get(n)!.gossip.counters.txsRelayed, 0, `${n} relayed nothing`);
      // One TXS message per peer: the 25 txs added together went out as one batch.
      const fromOrigin = hub.deliveries.filter((d) => d.from === 'n0' && d.kind === 'txs');
      assert.equal(fromOrigin.length, 3);
      assert.ok(fromOrigin.every((d) => d.hashes.length === txs.length));
    } finally {
      stopAll(nodes);
    }
  });

  it('never sends a tx to the peer it came from, even when relaying', async () => {
    // A line n0 - n1 - n2: n1 must relay to n2, and must not echo to n0.
    const hub = new Hub();
    const nodes = makeNodes(hub, ['n0', 'n1', 'n2']);
    hub.connect('n0', 'n1');
    hub.connect('n1', 'n2');
    try {
      const t = tx({ sender: 'x', sequence: 0, gas: 10, fee: 10 });
      const hash = txHashHex(t);
      assert.ok((await nodes.get('n0')!.pool.add(t)).ok);
      await until('n2 holds the tx', () => nodes.get('n2')!.pool.has(hash));
      await settle(nodes);
      assert.equal(hub.txCopies('n0', hash).length, 0, 'not echoed to the origin');
      assert.equal(hub.txCopies('n1', hash).length, 1);
      assert.equal(hub.txCopies('n2', hash).length, 1);
      assert.equal(hub.txCopies('n2', hash)[0]!.from, 'n1', 'n2 got it from the relay');
      assert.equal(nodes.get('n1')!.gossip.counters.txsRelayed, 1);
    } finally {
      stopAll(nodes);
    }
  });

  it('a node the origin could not reach still gets the tx from a relay', async () => {
    const hub = new Hub();
    const nodes = makeNodes(hub, names);
    fullMesh(hub, names);
    hub.refuse.add('n0>n3'); // n0's queue to n3 is full
    try {
      const t = tx({ sender: 'y', sequence: 0, gas: 10, fee: 10 });
      const hash = txHashHex(t);
      assert.ok((await nodes.get('n0')!.pool.add(t)).ok);
      await new Promise((resolve) => setImmediate(resolve)); // n0's flush
      assert.equal(nodes.get('n0')!.gossip.peerHas('n3', hash), false, 'a refused send does not count');
      assert.equal(nodes.get('n0')!.gossip.peerHas('n1', hash), true, 'a queued send counts');
      await until('n3 holds the tx', () => nodes.get('n3')!.pool.has(hash));
      await settle(nodes);
      const copies = hub.txCopies('n3', hash);
      assert.ok(copies.length >= 1 && copies.length <= 2, `n3 got it by relay (${copies.length} copies)`);
      assert.ok(copies.every((c) => c.from === 'n1' || c.from === 'n2'));
      for (const n of ['n1', 'n2']) assert.equal(hub.txCopies(n, hash).length, 1, `${n} got it once`);
    } finally {
      stopAll(nodes);
    }
  });

  it('drops duplicates: the same tx submitted at two nodes is held once by each', async () => {
    const hub = new Hub();
    const nodes = makeNodes(hub, names);
    fullMesh(hub, names);
    try {
      const t = tx({ sender: 'z', sequence: 0, gas: 10, fee: 10 });
      const hash = txHashHex(t);
      const [a, b] = await Promise.all([nodes.get('n0')!.pool.add(t), nodes.get('n2')!.pool.add(t)]);
      assert.ok(a.ok && b.ok);
      await until('every node holds it', () => names.every((n) => nodes.get(n)!.pool.has(hash)));
      await settle(nodes);
      for (const n of names) assert.equal(nodes.get(n)!.pool.size, 1, `${n} holds it once`);
      // A TXS message repeating a tx another peer already delivered changes nothing.
      const again = await nodes.get('n1')!.pool.addMany([t, t], { fromPeer: 'n3' });
      assert.deepEqual(
        again.map((r) => (r.ok ? 'ok' : r.reason)),
        ['DUPLICATE', 'DUPLICATE'],
      );
      assert.equal(nodes.get('n1')!.pool.size, 1);
    } finally {
      stopAll(nodes);
    }
  });

  it('a peer that connects later gets the pending txs; one that reconnects gets them again', async () => {
    const hub = new Hub();
    const nodes = makeNodes(hub, ['n0', 'n1']);
    try {
      const txs = [0, 1, 2].map((i) => tx({ sender: `p${i}`, sequence: 0, gas: 10, fee: 10 }));
      await nodes.get('n0')!.pool.addMany(txs);
      hub.connect('n0', 'n1');
      await until('n1 holds the pending txs', () => nodes.get('n1')!.pool.size === 3);
      // n1 restarts: an empty mempool, a new connection.
      hub.disconnect('n0', 'n1');
      await nodes.get('n1')!.pool.clear();
      for (const t of txs)
        assert.equal(nodes.get('n0')!.gossip.peerHas('n1', txHashHex(t)), false, 'forgotten on disconnect');
      hub.connect('n0', 'n1');
      await until(
        'n0 sent them again',
        () => hub.deliveries.filter((d) => d.to === 'n1' && d.kind === 'txs').length === 2,
      );
    } finally {
      stopAll(nodes);
    }
  });

  it('ignores a message that does not parse and counts it', async () => {
    const hub = new Hub();
    const nodes = makeNodes(hub, ['n0']);
    try {
      await hub.deliverRaw('n9', 'n0', new Uint8Array([9, 9, 9]));
      await hub.deliverRaw('n9', 'n0', tx({ sender: 'q', sequence: 0, gas: 1, fee: 1 }));
      assert.equal(nodes.get('n0')!.gossip.counters.malformed, 2);
      assert.equal(nodes.get('n0')!.pool.size, 0, 'nothing added');
    } finally {
      stopAll(nodes);
    }
  });

  it('records nothing for a peer that left (a late answer cannot re-create its record)', async () => {
    const hub = new Hub();
    const nodes = makeNodes(hub, ['n0', 'n1']);
    hub.connect('n0', 'n1');
    try {
      const hash = txHashHex(tx({ sender: 'gone', sequence: 0, gas: 10, fee: 10 }));
      hub.disconnect('n0', 'n1');
      await hub.deliverRaw('n1', 'n0', encodeHaveMessage([hash]));
      assert.equal(nodes.get('n0')!.gossip.peerHas('n1', hash), false, 'not recorded after it left');
      hub.connect('n0', 'n1');
      await hub.deliverRaw('n1', 'n0', encodeHaveMessage([hash]));
      assert.equal(nodes.get('n0')!.gossip.peerHas('n1', hash), true, 'recorded once it is back');
    } finally {
      stopAll(nodes);
    }
  });

  it('a HAVE marks the peer as having the tx, so the relay skips it', async () => {
    const hub = new Hub();
    const nodes = makeNodes(hub, ['n0', 'n1', 'n2']);
    hub.connect('n0', 'n1');
    hub.connect('n1', 'n2');
    try {
      const t = tx({ sender: 'h', sequence: 0, gas: 10, fee: 10 });
      const hash = txHashHex(t);
      // n2 announces it has the tx (it got it elsewhere) before n1 receives it from n0.
      await hub.deliverRaw('n2', 'n1', encodeHaveMessage([hash]));
      assert.equal(nodes.get('n1')!.gossip.peerHas('n2', hash), true);
      assert.ok((await nodes.get('n0')!.pool.add(t)).ok);
      await until('n1 holds it', () => nodes.get('n1')!.pool.has(hash));
      await settle(nodes);
      assert.equal(hub.txCopies('n2', hash).length, 0, 'not relayed to a peer that announced it');
      assert.equal(nodes.get('n1')!.gossip.counters.txsRelayed, 0);
    } finally {
      stopAll(nodes);
    }
  });
});
