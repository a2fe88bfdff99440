// Hostile clients over real TCP: garbage, silence, slow handshakes, handshake floods and
// protocol violations after authentication are all dropped, within the handshake timeout.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { randomBytes } from '../../src/crypto/index.js';
import type { FrameSealer } from '../../src/p2p/frame.js';
import { HANDSHAKE_MAGIC } from '../../src/p2p/handshake.js';
import type { ConnectionFailure, P2pError, P2pNode } from '../../src/p2p/index.js';
import { CONSENSUS, RawClient, delay, msgPacket, startNode, waitFor } from './helpers.js';

let started: P2pNode[] = [];
let clients: RawClient[] = [];
afterEach(async () => {
  for (const client of clients) client.socket.destroy();
  await Promise.all(started.map((node) => node.stop()));
  started = [];
  clients = [];
});

const HANDSHAKE_TIMEOUT_MS = 300;

async function target(limits = {}) {
  const node = await startNode(
    { key: 'target', limits: { handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS, ...limits } },
    {},
    started,
  );
  const failed: ConnectionFailure[] = [];
  const gone: { peerId: string; reason: P2pError }[] = [];
  node.onConnectionFailed((failure) => failed.push(failure));
  node.onPeerDisconnected((peerId, reason) => gone.push({ peerId, reason }));
  return { node, failed, gone };
}

async function client(port: number): Promise<RawClient> {
  const raw = await RawClient.connect(port);
  clients.push(raw);
  return raw;
}

describe('p2p against hostile clients', () => {
  it('drops a client that sends garbage at once', async () => {
    const { node, failed } = await target({ handshakeTimeoutMs: 5000 });
    const raw = await client(node.listenPort);
    const sentAt = Date.now();
    raw.socket.write(randomBytes(1000));
    await raw.waitClosed(2000);
    assert.ok(raw.closedAt - sentAt < 1000, `closed after ${raw.closedAt - sentAt} ms, not at the timeout`);
    await waitFor('failure reported', () => failed.length === 1);
    assert.equal(failed[0]!.reason.code, 'HANDSHAKE_FAILED');
    assert.equal(failed[0]!.direction, 'inbound');
  });

  it('drops a silent client, and one that dribbles a handshake, at the handshake timeout', async () => {
    const { node, failed } = await target();
    const silent = await client(node.listenPort);
    const dribbler = await client(node.listenPort);
    const openedAt = Date.now();
    // A valid magic and half an ephemeral key, one byte every 20 ms: never finishes.
    const prefix = [...HANDSHAKE_MAGIC, ...randomBytes(16)];
    let index = 0;
    const drip = setInterval(() => {
      if (index < prefix.length && !dribbler.closed)
        dribbler.socket.write(new Uint8Array([prefix[index++]!]));
    }, 20);
    try {
      await silent.waitClosed(3000);
      await dribbler.waitClosed(3000);
    } finally {
      clearInterval(drip);
    }
    for (const [name, raw] of [
      ['silent', silent],
      ['dribbler', dribbler],
    ] as const) {
      const elapsed = raw.closedAt - openedAt;
      assert.ok(
        elapsed >= HANDSHAKE_TIMEOUT_MS - 20 && elapsed < HANDSHAKE_TIMEOUT_MS + 1500,
        `${name}: ${elapsed} ms`,
      );
    }
    await waitFor('two failures', () => failed.length === 2);
    assert.deepEqual(
      failed.map((f) => f.reason.code),
      ['HANDSHAKE_TIMEOUT', 'HANDSHAKE_TIMEOUT'],
    );
  });

  it('refuses an oversize frame length during the handshake before reading it', async () => {
    const { node, failed } = await target();
    const raw = await client(node.listenPort);
    const ephemeral = randomBytes(32);
    raw.socket.write(new Uint8Array([...HANDSHAKE_MAGIC, ...ephemeral]));
    const header = new Uint8Array(12);
    new DataView(header.buffer).setUint32(0, 50_000_000); // "50 MB auth message"
    raw.socket.write(header);
    await raw.waitClosed(1000);
    await waitFor('failure', () => failed.length === 1);
    assert.equal(failed[0]!.reason.code, 'FRAME_TOO_LARGE');
  });

  it('bounds concurrent handshakes: extra sockets are closed at once, later ones accepted', async () => {
    const { node, failed } = await target({ maxPendingHandshakes: 3 });
    const raws: RawClient[] = [];
    for (let i = 0; i < 5; i++) raws.push(await client(node.listenPort));
    await waitFor(
      'two refused at once',
      () => failed.filter((f) => f.reason.code === 'TOO_MANY_PEERS').length === 2,
      1000,
    );
    await waitFor('refused sockets see a close', () => raws.filter((r) => r.closed).length === 2, 200);
    await waitFor('others time out', () => raws.every((r) => r.closed), 2000);
    // Slots are free again: an honest handshake succeeds.
    const honest = await client(node.listenPort);
    const { peerId } = await honest.handshake('honest');
    assert.equal(peerId, node.id);
    await waitFor('honest peer connected', () => node.peers().length === 1);
  });

  it('drops an authenticated peer for an unknown channel, a bad packet or a skipped counter', async () => {
    const { node, gone } = await target();
    const cases: [string, (sealer: FrameSealer) => Uint8Array[]][] = [
      ['UNKNOWN_CHANNEL', (s) => [s.seal(msgPacket(0x77, new Uint8Array(4)))]],
      ['BAD_PACKET', (s) => [s.seal(new Uint8Array([0x42, 0, 0]))]],
      [
        'FRAME_COUNTER',
        (s) => (
          s.seal(msgPacket(CONSENSUS, new Uint8Array(1))),
          [s.seal(msgPacket(CONSENSUS, new Uint8Array(1)))]
        ),
      ],
    ];
    const delivered: Uint8Array[] = [];
    node.on(CONSENSUS, (_, bytes) => {
      delivered.push(bytes);
    });
    for (const [index, [code, frames]] of cases.entries()) {
      const raw = await client(node.listenPort);
      const { sealer } = await raw.handshake(`hostile-${index}`);
      await waitFor(`${code}: connected`, () => node.peers().length === 1);
      raw.socket.write(sealer.seal(msgPacket(CONSENSUS, new Uint8Array([index]))));
      for (const frame of frames(sealer)) raw.socket.write(frame);
      await raw.waitClosed(1000);
      await waitFor(`${code}: dropped`, () => gone.length === index + 1);
      assert.equal(gone[index]!.reason.code, code, `case ${index}`);
      await delay(10);
    }
    assert.deepEqual(
      delivered.map((d) => d[0]),
      [0, 1, 2],
      'the valid message before each violation was delivered',
    );
  });
});
