// P2P over real TCP on 127.0.0.1 (ephemeral ports): connect, exchange on several channels,
// refuse impostors, detect tampering, bound queues and sizes, reconnect with backoff,
// resolve simultaneous dials, keepalive.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { bytesToHex } from '../../src/crypto/index.js';
import { P2pError, type ConnectionFailure, type P2pNode } from '../../src/p2p/index.js';
import {
  BLOCKSYNC,
  CHANNELS,
  CONSENSUS,
  MEMPOOL,
  TamperingProxy,
  delay,
  nodeIdOf,
  pattern,
  startNode,
  waitFor,
  type TestOptions,
} from './helpers.js';

let started: P2pNode[] = [];
let proxies: TamperingProxy[] = [];
afterEach(async () => {
  await Promise.all(started.map((node) => node.stop()));
  await Promise.all(proxies.map((proxy) => proxy.stop()));
  started = [];
  proxies = [];
});

const start = (options: TestOptions, random?: () => number) =>
  startNode(options, random ? { random } : {}, started);

interface Received {
  from: string;
  channel: number;
  hex: string;
}

function record(node: P2pNode): Received[] {
  const received: Received[] = [];
  for (const channel of [CONSENSUS, MEMPOOL, BLOCKSYNC]) {
    node.on(channel, (from, bytes) => {
      received.push({ from, channel, hex: bytesToHex(bytes) });
    });
  }
  return received;
}

function disconnects(node: P2pNode): { peerId: string; reason: P2pError }[] {
  const list: { peerId: string; reason: P2pError }[] = [];
  node.onPeerDisconnected((peerId, reason) => list.push({ peerId, reason }));
  return list;
}

function failures(node: P2pNode): ConnectionFailure[] {
  const list: ConnectionFailure[] = [];
  node.onConnectionFailed((failure) => list.push(failure));
  return list;
}

/** B listens, A dials B (persistent); resolves when both see each other. */
async function connectedPair(aOptions: Partial<TestOptions> = {}, bOptions: Partial<TestOptions> = {}) {
  const b = await start({ key: 'b', ...bOptions });
  const a = await start({
    key: 'a',
    persistentPeers: [{ id: b.id, host: '127.0.0.1', port: b.listenPort }],
    ...aOptions,
  });
  await waitFor('a and b connected', () => a.isConnected(b.id) && b.isConnected(a.id));
  return { a, b };
}

describe('p2p over TCP', () => {
  it('two nodes connect and exchange messages on several channels both ways', async () => {
    const { a, b } = await connectedPair();
    assert.equal(a.id, nodeIdOf('a'));
    assert.deepEqual(
      a.peers().map((p) => [p.id, p.direction]),
      [[b.id, 'outbound']],
    );
    assert.deepEqual(
      b.peers().map((p) => [p.id, p.direction]),
      [[a.id, 'inbound']],
    );
    assert.equal(a.peers()[0]!.remoteAddress, `127.0.0.1:${b.listenPort}`, 'outbound address');
    const atA = record(a);
    const atB = record(b);
    const sizes = [0, 1, 200, 70_000, 300_000]; // empty, tiny, multi-frame (> 64 KiB frames)
    const expectedAtB: Received[] = [];
    const expectedAtA: Received[] = [];
    sizes.forEach((size, i) => {
      const channel = size > 16 * 1024 ? BLOCKSYNC : i % 2 === 0 ? CONSENSUS : MEMPOOL;
      const toB = pattern(size, i);
      const toA = pattern(size, 100 + i);
      assert.ok(a.send(b.id, channel, toB), `a→b ${size}`);
      assert.ok(b.send(a.id, channel, toA), `b→a ${size}`);
      expectedAtB.push({ from: a.id, channel, hex: bytesToHex(toB) });
      expectedAtA.push({ from: b.id, channel, hex: bytesToHex(toA) });
    });
    await waitFor('all delivered', () => atA.length === sizes.length && atB.length === sizes.length);
    const byChannel = (list: Received[]) =>
      [...list].sort((x, y) => x.channel - y.channel || x.hex.length - y.hex.length);
    assert.deepEqual(byChannel(atB), byChannel(expectedAtB), 'b received what a sent');
    assert.deepEqual(byChannel(atA), byChannel(expectedAtA), 'a received what b sent');
    // Order is kept within a channel.
    for (let i = 0; i < 50; i++) assert.ok(a.send(b.id, CONSENSUS, new Uint8Array([i])), `ordered ${i}`);
    await waitFor('50 ordered', () => atB.length === sizes.length + 50);
    assert.deepEqual(
      atB.slice(sizes.length).map((r) => r.hex),
      Array.from({ length: 50 }, (_, i) => bytesToHex(new Uint8Array([i]))),
    );
  });

  it('three nodes form a mesh and every pair exchanges on every channel', async () => {
    const peerOf = (node: P2pNode) => ({ id: node.id, host: '127.0.0.1', port: node.listenPort });
    const c = await start({ key: 'c' });
    const b = await start({ key: 'b', persistentPeers: [peerOf(c)] });
    const a = await start({ key: 'a', persistentPeers: [peerOf(b), peerOf(c)] });
    const nodes = [a, b, c];
    await waitFor('full mesh', () => nodes.every((n) => n.peers().length === 2), 8000);
    const inboxes = nodes.map(record);
    for (const from of nodes) {
      for (const to of nodes) {
        if (from === to) continue;
        for (const channel of [CONSENSUS, MEMPOOL, BLOCKSYNC]) {
          assert.ok(from.send(to.id, channel, pattern(500, channel)), `${from.id}→${to.id} on ${channel}`);
        }
      }
    }
    await waitFor('6 messages each', () => inboxes.every((inbox) => inbox.length === 6));
    nodes.forEach((node, i) => {
      const senders = new Set(inboxes[i]!.map((r) => r.from));
      assert.equal(senders.size, 2, `node ${i} heard both others`);
      assert.ok(!senders.has(node.id), `node ${i} did not hear itself`);
    });
    assert.equal(a.broadcast(MEMPOOL, pattern(10, 1)), 2, 'broadcast reaches both peers');
  });

  it('keeps the connection when a handler or a listener throws', async () => {
    const b = await start({ key: 'b' });
    b.onPeerConnected(() => {
      throw new Error('listener bug');
    });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      const a = await start({
        key: 'a',
        persistentPeers: [{ id: b.id, host: '127.0.0.1', port: b.listenPort }],
      });
      await waitFor('connected despite the listener', () => a.isConnected(b.id) && b.isConnected(a.id));
      const seen: number[] = [];
      b.on(CONSENSUS, (_, bytes) => {
        seen.push(bytes[0]!);
        if (bytes[0] === 1) throw new Error('sync handler bug');
      });
      b.on(MEMPOOL, () => Promise.reject(new Error('async handler bug')));
      assert.ok(a.send(b.id, CONSENSUS, new Uint8Array([1])));
      assert.ok(a.send(b.id, MEMPOOL, new Uint8Array([9])));
      assert.ok(a.send(b.id, CONSENSUS, new Uint8Array([2])));
      await waitFor('both consensus messages handled', () => seen.length === 2);
      await waitFor('three warnings', () => warnings.length >= 3);
      assert.deepEqual(seen, [1, 2]);
      assert.ok(b.isConnected(a.id), 'still connected');
      assert.ok(
        warnings.some((w) => w.includes('onPeerConnected')),
        'listener failure reported',
      );
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('refuses an impostor: wrong key for the expected id', async () => {
    const impostor = await start({ key: 'mallory' });
    const a = await start({
      key: 'a',
      persistentPeers: [{ id: nodeIdOf('b'), host: '127.0.0.1', port: impostor.listenPort }],
    });
    const aFailures = failures(a);
    await waitFor('a refused the impostor', () =>
      aFailures.some((f) => f.reason.code === 'PEER_ID_MISMATCH'),
    );
    assert.equal(a.peers().length, 0, 'never connected');
    // The impostor did see a's AUTH (a proves itself to whoever it dials, as in CometBFT), but
    // a closes the connection as soon as it checks the impostor's id.
    await waitFor('the impostor lost the connection', () => impostor.peers().length === 0);
    assert.equal(aFailures[0]!.peerId, nodeIdOf('b'));
  });

  it('refuses another network id and a connection to itself', async () => {
    const b = await start({ key: 'b', networkId: 'other-net' });
    const a = await start({
      key: 'a',
      persistentPeers: [{ id: b.id, host: '127.0.0.1', port: b.listenPort }],
    });
    const aFailures = failures(a);
    await waitFor('network mismatch', () => aFailures.some((f) => f.reason.code === 'NETWORK_MISMATCH'));
    assert.equal(a.peers().length, 0);
    // Two processes sharing one node key (a copied home directory): the dialler expects some
    // other id, but both ends see their own id on the other side and refuse it.
    const self = await start({ key: 's' });
    const proxy = await TamperingProxy.start(self.listenPort);
    proxies.push(proxy);
    const selfFailures = failures(self);
    const selfDialer = await start({
      key: 's',
      listenAddress: { host: '127.0.0.1', port: 0 },
      persistentPeers: [{ id: nodeIdOf('t'), host: '127.0.0.1', port: proxy.port }],
    });
    await waitFor('self connection refused', () =>
      selfFailures.some((f) => f.reason.code === 'SELF_CONNECTION'),
    );
    assert.equal(selfDialer.peers().length, 0);
  });

  it('closes the connection when a proxy flips a byte of a frame, and when it replays one', async () => {
    const b = await start({ key: 'b' });
    const proxy = await TamperingProxy.start(b.listenPort);
    proxies.push(proxy);
    const a = await start({ key: 'a', persistentPeers: [{ id: b.id, host: '127.0.0.1', port: proxy.port }] });
    await waitFor('connected through the proxy', () => a.isConnected(b.id) && b.isConnected(a.id));
    const atB = record(b);
    assert.ok(a.send(b.id, CONSENSUS, pattern(100, 1)));
    await waitFor('clean message', () => atB.length === 1);
    const bGone = disconnects(b);
    const aGone = disconnects(a);
    proxy.tamperNext('toTarget', (chunk) => {
      const altered = Buffer.from(chunk);
      altered[Math.min(20, altered.length - 1)]! ^= 0x40; // inside the ciphertext
      return [altered];
    });
    assert.ok(a.send(b.id, CONSENSUS, pattern(100, 2)));
    await waitFor('b dropped a', () => bGone.length === 1 && aGone.length === 1);
    assert.equal(bGone[0]!.reason.code, 'FRAME_AUTH_FAILED');
    assert.equal(aGone[0]!.reason.code, 'CONNECTION_LOST', 'a sees the close');
    assert.equal(atB.length, 1, 'the altered message was not delivered');
    // a redials (persistent); then a replayed chunk is refused by its counter.
    await waitFor('reconnected', () => a.isConnected(b.id) && b.isConnected(a.id));
    assert.ok(a.send(b.id, CONSENSUS, pattern(100, 3)));
    await waitFor('delivered after reconnect', () => atB.length === 2);
    proxy.tamperNext('toTarget', (chunk) => [chunk, chunk]);
    assert.ok(a.send(b.id, CONSENSUS, pattern(100, 4)));
    await waitFor('replay refused', () => bGone.length === 2);
    assert.equal(bGone[1]!.reason.code, 'FRAME_COUNTER');
    assert.equal(atB.length, 3, 'the original was delivered once, the replay not at all');
  });

  it('refuses an oversize message on send, and closes on an oversize message received', async () => {
    const big = CHANNELS.map((c) =>
      c.id === MEMPOOL ? { ...c, maxMessageBytes: 100_000, sendQueueBytes: 1 << 20 } : c,
    );
    const { a, b } = await connectedPair({ channels: big });
    assert.throws(
      () => b.send(a.id, MEMPOOL, new Uint8Array(16 * 1024 + 1)),
      (e: unknown) => e instanceof P2pError && e.code === 'MESSAGE_TOO_LARGE',
    );
    assert.throws(
      () => b.broadcast(MEMPOOL, new Uint8Array(16 * 1024 + 1)),
      (e: unknown) => e instanceof P2pError && e.code === 'MESSAGE_TOO_LARGE',
    );
    assert.throws(
      () => b.send(a.id, 0x99, new Uint8Array(1)),
      (e: unknown) => e instanceof P2pError && e.code === 'INVALID_ARGUMENT',
    );
    const atB = record(b);
    const bGone = disconnects(b);
    assert.ok(a.send(b.id, MEMPOOL, new Uint8Array(16 * 1024)), 'at b’s limit');
    assert.ok(a.send(b.id, MEMPOOL, new Uint8Array(16 * 1024 + 1)), 'a’s own limit is larger');
    await waitFor('b dropped a', () => bGone.length === 1);
    assert.equal(bGone[0]!.reason.code, 'MESSAGE_TOO_LARGE');
    assert.equal(atB.length, 1, 'only the message within the limit was delivered');
  });

  it('returns false from send when a channel queue is full instead of growing it', async () => {
    const small = CHANNELS.map((c) =>
      c.id === MEMPOOL ? { ...c, sendQueueMessages: 10, sendQueueBytes: 16 * 1024 } : c,
    );
    const { a, b } = await connectedPair({ channels: small });
    // All in one event-loop turn: nothing is flushed in between.
    const results = Array.from({ length: 20 }, () => a.send(b.id, MEMPOOL, new Uint8Array(100)));
    assert.deepEqual(results, [...Array<boolean>(10).fill(true), ...Array<boolean>(10).fill(false)]);
    assert.deepEqual(a.peerStats(b.id)!.queued[MEMPOOL], { messages: 10, bytes: 1000 });
    assert.equal(a.send(b.id, CONSENSUS, new Uint8Array(100)), true, 'other channels are not affected');
    const atB = record(b);
    await waitFor('queue drained', () => atB.length === 11);
    assert.equal(a.send(b.id, MEMPOOL, new Uint8Array(100)), true, 'accepted again once drained');
    // By bytes: 16 KiB bound, two 8 KiB messages fit, a third does not.
    assert.ok(a.send(b.id, MEMPOOL, new Uint8Array(8 * 1024 - 100)));
    assert.ok(a.send(b.id, MEMPOOL, new Uint8Array(8 * 1024)));
    assert.equal(a.send(b.id, MEMPOOL, new Uint8Array(1)), false, 'byte bound');
    assert.equal(a.send(nodeIdOf('nobody'), MEMPOOL, new Uint8Array(1)), false, 'unknown peer');
  });

  it('reconnects to a peer that died, with exponential backoff, after it restarts', async () => {
    const b = await start({ key: 'b' });
    const port = b.listenPort;
    const a = await start(
      {
        key: 'a',
        persistentPeers: [{ id: b.id, host: '127.0.0.1', port }],
        limits: { reconnectBaseMs: 40, reconnectMaxMs: 2000, reconnectJitter: 0.5 },
      },
      () => 0, // no jitter drawn: delays are exactly 40, 80, 160, ... ms
    );
    await waitFor('connected', () => a.isConnected(b.id));
    const aGone = disconnects(a);
    const aFailures = failures(a);
    const failedAt: number[] = [];
    a.onConnectionFailed(() => failedAt.push(Date.now()));
    await b.stop();
    started = started.filter((n) => n !== b);
    await waitFor('a saw b go', () => aGone.length === 1);
    await waitFor('5 failed redials', () => aFailures.length >= 5, 5000);
    assert.ok(
      aFailures.every((f) => f.reason.code === 'CONNECTION_LOST' && f.peerId === b.id),
      'refused dials',
    );
    // Redial k+1 waits 40·2^(k+1) ms after failure k (timers fire late, never early).
    for (let k = 0; k + 1 < 5; k++) {
      const gap = failedAt[k + 1]! - failedAt[k]!;
      const expected = 80 * 2 ** k;
      assert.ok(
        gap >= expected - 2 && gap < expected + 1500,
        `gap after failure ${k}: ${gap} ms, expected ≈ ${expected}`,
      );
    }
    const b2 = await start({ key: 'b', listenAddress: { host: '127.0.0.1', port } });
    await waitFor(
      'a reconnected to the restarted b',
      () => a.isConnected(b2.id) && b2.isConnected(a.id),
      5000,
    );
    const atB = record(b2);
    assert.ok(a.send(b2.id, CONSENSUS, pattern(10, 1)));
    await waitFor('message after reconnect', () => atB.length === 1);
  });

  it('keeps one connection when two peers dial each other at once (lower id’s dial wins)', async () => {
    for (let round = 0; round < 3; round++) {
      const [x2, y2] = [await start({ key: `x${round}` }), await start({ key: `y${round}` })];
      const duplicates: ConnectionFailure[] = [];
      for (const node of [x2, y2]) node.onConnectionFailed((f) => duplicates.push(f));
      assert.throws(
        () => x2.addPersistentPeer({ id: 'not-an-id', host: '127.0.0.1', port: 1 }),
        (e: unknown) => e instanceof P2pError && e.code === 'INVALID_CONFIG',
      );
      // Both listen; both dial in the same tick, so both TCP connections are made.
      x2.addPersistentPeer({ id: y2.id, host: '127.0.0.1', port: y2.listenPort });
      y2.addPersistentPeer({ id: x2.id, host: '127.0.0.1', port: x2.listenPort });
      await waitFor('connected', () => x2.isConnected(y2.id) && y2.isConnected(x2.id));
      await waitFor('the losing connection closed', () =>
        duplicates.some((f) => f.reason.code === 'DUPLICATE_CONNECTION'),
      );
      await delay(100); // let both ends settle
      assert.equal(x2.peers().length, 1, `round ${round}: x has one connection`);
      assert.equal(y2.peers().length, 1, `round ${round}: y has one connection`);
      const lower = x2.id < y2.id ? x2 : y2;
      const higher = lower === x2 ? y2 : x2;
      assert.equal(lower.peers()[0]!.direction, 'outbound', `round ${round}: kept the lower id's dial`);
      assert.equal(higher.peers()[0]!.direction, 'inbound', `round ${round}: both agree`);
      const atHigher = record(higher);
      assert.ok(lower.send(higher.id, CONSENSUS, new Uint8Array([round])), `round ${round}: send`);
      await waitFor(`round ${round}: delivered`, () => atHigher.length === 1);
    }
  });

  it('refuses inbound peers past maxInboundPeers, but not persistent ones', async () => {
    // The hub lists `third` as persistent (at an address where nothing listens): when third
    // dials in, it is admitted although the inbound limit is reached.
    const hub = await start({
      key: 'hub',
      limits: { maxInboundPeers: 1, reconnectBaseMs: 5000, reconnectMaxMs: 5000 },
      persistentPeers: [{ id: nodeIdOf('third'), host: '127.0.0.1', port: 1 }],
    });
    const hubPeer = { id: hub.id, host: '127.0.0.1', port: hub.listenPort };
    const first = await start({ key: 'first', persistentPeers: [hubPeer] });
    await waitFor('first in', () => hub.isConnected(first.id));
    const hubFailures = failures(hub);
    const second = await start({ key: 'second', persistentPeers: [hubPeer] });
    await waitFor('second refused', () => hubFailures.some((f) => f.reason.code === 'TOO_MANY_PEERS'));
    assert.equal(hub.isConnected(second.id), false);
    assert.equal(hub.peers().length, 1);
    const third = await start({ key: 'third', persistentPeers: [hubPeer] });
    await waitFor('persistent third admitted', () => hub.isConnected(third.id));
    assert.equal(hub.peers().length, 2);
  });

  it('closes a connection whose peer stops answering pings (dead path)', async () => {
    // B waits much longer for pongs than A: otherwise B's own timeout can close the socket first
    // and A would see CONNECTION_LOST instead of detecting the dead path itself (a race seen in CI).
    const b = await start({ key: 'b', limits: { pingIntervalMs: 100, pongTimeoutMs: 10_000 } });
    const proxy = await TamperingProxy.start(b.listenPort);
    proxies.push(proxy);
    const a = await start({
      key: 'a',
      persistentPeers: [{ id: b.id, host: '127.0.0.1', port: proxy.port }],
      limits: { pingIntervalMs: 100, pongTimeoutMs: 500, reconnectBaseMs: 5000, reconnectMaxMs: 5000 },
    });
    await waitFor('connected', () => a.isConnected(b.id));
    await delay(800); // pings are answered while the path works (8 intervals > the timeout)
    assert.ok(a.isConnected(b.id), 'still connected after several ping intervals');
    const aGone = disconnects(a);
    proxy.mode = 'blackhole';
    const cutAt = Date.now();
    await waitFor('pong timeout', () => aGone.length === 1, 3000);
    assert.equal(aGone[0]!.reason.code, 'PONG_TIMEOUT');
    const elapsed = Date.now() - cutAt;
    // Between pongTimeout and pingInterval + pongTimeout (+ scheduling slack on a loaded host).
    assert.ok(elapsed >= 490 && elapsed < 2000, `closed ${elapsed} ms after the path died`);
  });
});
