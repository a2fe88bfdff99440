// Unit tests of the pure parts of the p2p layer: handshake derivation and authentication,
// frame sealing/opening, packet scheduling and reassembly, config validation, backoff.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ed25519KeyPairFromSeed, generateX25519KeyPair, utf8Encode } from '../../src/crypto/index.js';
import { resolveLimits, validateOptions, type ChannelConfig } from '../../src/p2p/config.js';
import { FRAME_HEADER_BYTES, FrameOpener, FrameSealer } from '../../src/p2p/frame.js';
import {
  HANDSHAKE_MAGIC,
  decodeHello,
  deriveSessionKeys,
  encodeAuth,
  encodeHello,
  verifyAuth,
} from '../../src/p2p/handshake.js';
import {
  P2pError,
  isNodeId,
  nodeIdFromPublicKey,
  reconnectDelayMs,
  DEFAULT_LIMITS,
} from '../../src/p2p/index.js';
import { PACKET_MSG, Reassembler, SendScheduler } from '../../src/p2p/mux.js';
import { CHANNELS, nodeKey } from './helpers.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof P2pError, `expected a P2pError, got ${String(error)}`);
    return error.code;
  }
  return 'no error';
}

function handshakePair() {
  const a = generateX25519KeyPair();
  const b = generateX25519KeyPair();
  return {
    a: deriveSessionKeys(a.privateKey, a.publicKey, decodeHello(encodeHello(b.publicKey))),
    b: deriveSessionKeys(b.privateKey, b.publicKey, decodeHello(encodeHello(a.publicKey))),
  };
}

describe('p2p handshake', () => {
  it('both sides derive mirrored directional keys and the same challenge', () => {
    const { a, b } = handshakePair();
    assert.deepEqual(a.sendKey, b.receiveKey, 'a→b key');
    assert.deepEqual(a.receiveKey, b.sendKey, 'b→a key');
    assert.deepEqual(a.challenge, b.challenge, 'challenge');
    assert.notDeepEqual(a.sendKey, a.receiveKey, 'directions differ');
  });

  it('refuses a wrong magic, a reflected key and a low-order key', () => {
    const own = generateX25519KeyPair();
    const hello = encodeHello(own.publicKey);
    hello[0]! ^= 1;
    assert.equal(
      codeOf(() => decodeHello(hello)),
      'HANDSHAKE_FAILED',
    );
    assert.equal(
      codeOf(() => decodeHello(new Uint8Array(10))),
      'HANDSHAKE_FAILED',
    );
    assert.equal(
      codeOf(() => deriveSessionKeys(own.privateKey, own.publicKey, own.publicKey)),
      'HANDSHAKE_FAILED',
    );
    assert.equal(
      codeOf(() => deriveSessionKeys(own.privateKey, own.publicKey, new Uint8Array(32))),
      'HANDSHAKE_FAILED',
    );
    assert.equal(HANDSHAKE_MAGIC.length, 8);
  });

  it('verifies AUTH and derives the CometBFT-style node id', () => {
    const { a } = handshakePair();
    const key = ed25519KeyPairFromSeed(nodeKey('alice'));
    const auth = encodeAuth(key.seed, key.publicKey, a.challenge, 'net-1', 65536);
    const peer = verifyAuth(auth, a.challenge);
    assert.equal(peer.id, nodeIdFromPublicKey(key.publicKey));
    assert.ok(isNodeId(peer.id), 'id is 40 hex');
    assert.equal(peer.networkId, 'net-1');
    assert.equal(peer.maxFramePayloadBytes, 65536);
  });

  it('refuses a signature over another challenge (a relayed AUTH) and malformed AUTH', () => {
    const first = handshakePair();
    const second = handshakePair();
    const key = ed25519KeyPairFromSeed(nodeKey('alice'));
    const auth = encodeAuth(key.seed, key.publicKey, first.a.challenge, 'net-1', 65536);
    assert.equal(
      codeOf(() => verifyAuth(auth, second.a.challenge)),
      'AUTH_FAILED',
    );
    for (const index of [0, 40, 95]) {
      const altered = auth.slice();
      altered[index]! ^= 0x10;
      assert.equal(
        codeOf(() => verifyAuth(altered, first.a.challenge)),
        'AUTH_FAILED',
        `byte ${index}`,
      );
    }
    assert.equal(
      codeOf(() => verifyAuth(auth.subarray(0, 50), first.a.challenge)),
      'HANDSHAKE_FAILED',
    );
    assert.equal(
      codeOf(() => verifyAuth(auth.subarray(0, auth.length - 1), first.a.challenge)),
      'HANDSHAKE_FAILED',
    );
  });
});

describe('p2p frames', () => {
  const key = new Uint8Array(32).fill(7);

  it('round-trips, in order, and splits nothing', () => {
    const sealer = new FrameSealer(key);
    const opener = new FrameOpener(key, 1024);
    for (let i = 0; i < 3; i++) {
      const frame = sealer.seal(utf8Encode(`frame ${i}`));
      const result = opener.open(frame);
      assert.equal(result.kind, 'frame', `frame ${i}`);
      if (result.kind === 'frame') {
        assert.deepEqual(result.payload, utf8Encode(`frame ${i}`), `payload ${i}`);
        assert.equal(result.consumedBytes, frame.length, `consumed ${i}`);
      }
    }
  });

  it('waits for a complete frame', () => {
    const frame = new FrameSealer(key).seal(new Uint8Array(100));
    const opener = new FrameOpener(key, 1024);
    for (const cut of [0, 5, FRAME_HEADER_BYTES, frame.length - 1]) {
      assert.equal(opener.open(frame.subarray(0, cut)).kind, 'incomplete', `cut at ${cut}`);
    }
  });

  it('refuses any flipped bit, a replay, a skipped frame and an oversize length', () => {
    const sealer = new FrameSealer(key);
    const first = sealer.seal(new Uint8Array(64));
    for (let index = 0; index < first.length; index++) {
      const altered = first.slice();
      altered[index]! ^= 0x01;
      // Trailing bytes: a length made larger must still be judged, not wait for more data.
      const result = new FrameOpener(key, 1024).open(new Uint8Array([...altered, ...new Uint8Array(2048)]));
      assert.equal(result.kind, 'error', `byte ${index}`);
      if (result.kind === 'error') {
        const expected =
          index < 4
            ? ['FRAME_TOO_LARGE', 'FRAME_AUTH_FAILED']
            : index < 12
              ? ['FRAME_COUNTER']
              : ['FRAME_AUTH_FAILED'];
        assert.ok(expected.includes(result.error.code), `byte ${index}: ${result.error.code}`);
      }
    }
    const opener = new FrameOpener(key, 1024);
    assert.equal(opener.open(first).kind, 'frame');
    const replay = opener.open(first);
    assert.equal(replay.kind === 'error' && replay.error.code, 'FRAME_COUNTER', 'replay');
    sealer.seal(new Uint8Array(1)); // frame 1 is "lost"
    const skipped = opener.open(sealer.seal(new Uint8Array(1)));
    assert.equal(skipped.kind === 'error' && skipped.error.code, 'FRAME_COUNTER', 'skip');
    const big = new FrameSealer(key).seal(new Uint8Array(2000));
    const oversize = new FrameOpener(key, 1024).open(big.subarray(0, FRAME_HEADER_BYTES));
    assert.equal(
      oversize.kind === 'error' && oversize.error.code,
      'FRAME_TOO_LARGE',
      'refused from the header alone',
    );
  });

  it('refuses a frame sealed with the other direction key', () => {
    const frame = new FrameSealer(new Uint8Array(32).fill(1)).seal(new Uint8Array(10));
    const result = new FrameOpener(new Uint8Array(32).fill(2), 1024).open(frame);
    assert.equal(result.kind === 'error' && result.error.code, 'FRAME_AUTH_FAILED');
  });
});

function channel(id: number, priority: number, overrides: Partial<ChannelConfig> = {}): ChannelConfig {
  return {
    id,
    name: `c${id}`,
    maxMessageBytes: 10_000,
    sendQueueMessages: 100,
    sendQueueBytes: 100_000,
    priority,
    ...overrides,
  };
}

describe('p2p multiplexing', () => {
  it('bounds each send queue by messages and by bytes', () => {
    const scheduler = new SendScheduler(
      [channel(1, 1, { sendQueueMessages: 3, sendQueueBytes: 10_000 })],
      4096,
    );
    assert.ok(scheduler.enqueue(1, new Uint8Array(10)));
    assert.ok(scheduler.enqueue(1, new Uint8Array(10)));
    assert.ok(scheduler.enqueue(1, new Uint8Array(10)));
    assert.equal(scheduler.enqueue(1, new Uint8Array(10)), false, 'fourth message');
    const bytes = new SendScheduler([channel(1, 1, { sendQueueBytes: 10_000 })], 4096);
    assert.ok(bytes.enqueue(1, new Uint8Array(6000)));
    assert.equal(bytes.enqueue(1, new Uint8Array(4001)), false, 'over the byte bound');
    assert.ok(bytes.enqueue(1, new Uint8Array(4000)), 'exactly at the bound');
    assert.deepEqual(bytes.queued(1), { messages: 2, bytes: 10_000 });
  });

  it('splits large messages and reassembles them; shares the link by priority', () => {
    const channels = [channel(1, 3), channel(2, 1)];
    const scheduler = new SendScheduler(channels, 1024);
    const reassembler = new Reassembler(new Map(channels.map((c) => [c.id, c])));
    for (let i = 0; i < 20; i++) {
      assert.ok(scheduler.enqueue(1, new Uint8Array(3000).fill(i)), `c1 ${i}`);
      assert.ok(scheduler.enqueue(2, new Uint8Array(3000).fill(100 + i)), `c2 ${i}`);
    }
    const received: { channelId: number; bytes: Uint8Array }[] = [];
    const sink = {
      ping() {},
      pong() {},
      message: (channelId: number, bytes: Uint8Array) => received.push({ channelId, bytes }),
    };
    // After the first 40 frames (of ~1 KiB each), channel 1 must have sent ~3× channel 2.
    const bytesPerChannel = new Map<number, number>([
      [1, 0],
      [2, 0],
    ]);
    for (let frame = 0; frame < 40; frame++) {
      const payload = scheduler.buildPayload();
      assert.ok(payload !== null && payload.length <= 1024, `frame ${frame}`);
      let at = 0;
      while (at < payload.length) {
        const length = new DataView(payload.buffer, payload.byteOffset + at + 3, 4).getUint32(0);
        bytesPerChannel.set(payload[at + 1]!, bytesPerChannel.get(payload[at + 1]!)! + length);
        at += 7 + length;
      }
      assert.equal(reassembler.receive(payload.slice(), sink), null, `frame ${frame} parses`);
    }
    const ratio = bytesPerChannel.get(1)! / bytesPerChannel.get(2)!;
    assert.ok(ratio > 2.5 && ratio < 3.5, `priority 3:1 gave ${ratio.toFixed(2)}`);
    for (let payload = scheduler.buildPayload(); payload !== null; payload = scheduler.buildPayload()) {
      assert.equal(reassembler.receive(payload.slice(), sink), null);
    }
    assert.equal(received.length, 40);
    for (const channelId of [1, 2]) {
      const messages = received.filter((m) => m.channelId === channelId);
      messages.forEach((m, i) => {
        assert.equal(m.bytes.length, 3000, `channel ${channelId} message ${i} length`);
        assert.ok(
          m.bytes.every((b) => b === (channelId === 1 ? i : 100 + i)),
          `channel ${channelId} message ${i} content`,
        );
      });
    }
    assert.equal(scheduler.hasPending(), false);
    assert.equal(reassembler.bufferedBytes(), 0);
  });

  it('refuses unknown channels, oversize reassembly and malformed packets', () => {
    const channels = new Map([[1, channel(1, 1, { maxMessageBytes: 100 })]]);
    const sink = { ping() {}, pong() {}, message() {} };
    const packet = (channelId: number, flags: number, data: Uint8Array, lengthOverride?: number) => {
      const out = new Uint8Array(7 + data.length);
      out[0] = PACKET_MSG;
      out[1] = channelId;
      out[2] = flags;
      new DataView(out.buffer).setUint32(3, lengthOverride ?? data.length);
      out.set(data, 7);
      return out;
    };
    const code = (payload: Uint8Array) => new Reassembler(channels).receive(payload, sink)?.code ?? null;
    assert.equal(code(packet(1, 1, new Uint8Array(100))), null, 'at the limit');
    assert.equal(code(packet(2, 1, new Uint8Array(1))), 'UNKNOWN_CHANNEL');
    assert.equal(code(packet(1, 1, new Uint8Array(101))), 'MESSAGE_TOO_LARGE');
    const split = new Reassembler(channels);
    assert.equal(split.receive(packet(1, 0, new Uint8Array(60)), sink), null);
    assert.equal(
      split.receive(packet(1, 1, new Uint8Array(41)), sink)?.code,
      'MESSAGE_TOO_LARGE',
      'split over the limit',
    );
    assert.equal(code(new Uint8Array(0)), 'BAD_PACKET', 'empty frame');
    assert.equal(code(new Uint8Array([0x09])), 'BAD_PACKET', 'unknown type');
    assert.equal(code(packet(1, 4, new Uint8Array(3))), 'BAD_PACKET', 'unknown flag');
    assert.equal(code(packet(1, 1, new Uint8Array(3), 50)), 'BAD_PACKET', 'length past the end');
    assert.equal(code(packet(1, 0, new Uint8Array(0))), 'BAD_PACKET', 'empty non-final chunk');
    assert.equal(code(new Uint8Array([PACKET_MSG, 1, 1])), 'BAD_PACKET', 'truncated header');
  });

  it('keeps at most one pending pong whatever the number of pings', () => {
    const scheduler = new SendScheduler([channel(1, 1)], 1024);
    for (let i = 0; i < 1000; i++) scheduler.requestPong();
    assert.equal(scheduler.buildPayload()?.length, 1);
    assert.equal(scheduler.buildPayload(), null);
  });
});

describe('p2p config and backoff', () => {
  const base = {
    listenAddress: { host: '127.0.0.1', port: 0 },
    nodeKey: nodeKey('x'),
    networkId: 'n',
    channels: CHANNELS,
  };

  it('accepts a good configuration and refuses bad ones', () => {
    assert.equal(validateOptions(base).maxInboundPeers, DEFAULT_LIMITS.maxInboundPeers);
    const bad: [string, object][] = [
      ['short key', { nodeKey: new Uint8Array(31) }],
      ['empty network', { networkId: '' }],
      ['no channels', { channels: [] }],
      ['duplicate channel', { channels: [CHANNELS[0], CHANNELS[0]] }],
      ['channel id 256', { channels: [{ ...CHANNELS[0]!, id: 256 }] }],
      ['queue below message', { channels: [{ ...CHANNELS[0]!, sendQueueBytes: 10 }] }],
      ['priority 0', { channels: [{ ...CHANNELS[0]!, priority: 0 }] }],
      ['bad peer id', { persistentPeers: [{ id: 'ABC', host: 'h', port: 1 }] }],
      ['bad peer port', { persistentPeers: [{ id: 'a'.repeat(40), host: 'h', port: 0 }] }],
      ['tiny frames', { limits: { maxFramePayloadBytes: 100 } }],
      ['jitter 2', { limits: { reconnectJitter: 2 } }],
      ['max below base', { limits: { reconnectBaseMs: 100, reconnectMaxMs: 50 } }],
    ];
    for (const [name, patch] of bad) {
      assert.equal(
        codeOf(() => validateOptions({ ...base, ...patch })),
        'INVALID_CONFIG',
        name,
      );
    }
  });

  it('doubles the reconnect delay up to the cap, minus the drawn jitter', () => {
    const limits = resolveLimits({ reconnectBaseMs: 100, reconnectMaxMs: 1000, reconnectJitter: 0.5 });
    const noJitter = [0, 1, 2, 3, 4, 5, 100].map((attempt) => reconnectDelayMs(attempt, limits, () => 0));
    assert.deepEqual(noJitter, [100, 200, 400, 800, 1000, 1000, 1000]);
    assert.equal(
      reconnectDelayMs(2, limits, () => 1),
      200,
      'full jitter draw halves it',
    );
    assert.equal(
      reconnectDelayMs(2, limits, () => 0.5),
      300,
    );
    assert.equal(
      reconnectDelayMs(2, limits, () => 7),
      200,
      'a random source out of range is clamped',
    );
  });
});
