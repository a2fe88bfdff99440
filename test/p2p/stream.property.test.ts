// Property: whatever messages are queued on whatever channels, and however TCP splits the
// byte stream into chunks, the receiver gets every message exactly once, intact, in order
// per channel: scheduler → frames → arbitrary chunking → opener → reassembler.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ChannelConfig } from '../../src/p2p/config.js';
import { FrameOpener, FrameSealer } from '../../src/p2p/frame.js';
import { Reassembler, SendScheduler } from '../../src/p2p/mux.js';

const FRAME_PAYLOAD = 1024;
const channels: ChannelConfig[] = [1, 2, 3].map((id) => ({
  id,
  name: `c${id}`,
  maxMessageBytes: 5000,
  sendQueueMessages: 1000,
  sendQueueBytes: 1 << 20,
  priority: id * 2,
}));

describe('p2p stream property', () => {
  it('delivers every message intact and in per-channel order under any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ channel: fc.constantFrom(1, 2, 3), bytes: fc.uint8Array({ maxLength: 5000 }) }),
          {
            maxLength: 40,
          },
        ),
        fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 20 }),
        (messages, cuts) => {
          const key = new Uint8Array(32).fill(9);
          const scheduler = new SendScheduler(channels, FRAME_PAYLOAD);
          for (const m of messages) assert.ok(scheduler.enqueue(m.channel, m.bytes), 'queue has room');
          const sealer = new FrameSealer(key);
          const wire: number[] = [];
          for (let payload = scheduler.buildPayload(); payload !== null; payload = scheduler.buildPayload()) {
            wire.push(...sealer.seal(payload));
          }
          const opener = new FrameOpener(key, FRAME_PAYLOAD);
          const reassembler = new Reassembler(new Map(channels.map((c) => [c.id, c])));
          const received = new Map<number, Uint8Array[]>([
            [1, []],
            [2, []],
            [3, []],
          ]);
          const sink = {
            ping: () => assert.fail('no ping was sent'),
            pong: () => assert.fail('no pong was sent'),
            message: (channelId: number, bytes: Uint8Array) => received.get(channelId)!.push(bytes),
          };
          // Feed the stream in chunks of the generated sizes (cycled), as onData would.
          let buffer = new Uint8Array(0);
          let at = 0;
          for (let i = 0; at < wire.length; i++) {
            const size = cuts[i % cuts.length]!;
            const chunk = Uint8Array.from(wire.slice(at, at + size));
            at += size;
            const joined = new Uint8Array(buffer.length + chunk.length);
            joined.set(buffer);
            joined.set(chunk, buffer.length);
            buffer = joined;
            for (;;) {
              const result = opener.open(buffer);
              if (result.kind === 'incomplete') break;
              assert.equal(result.kind, 'frame', 'no error on an honest stream');
              if (result.kind !== 'frame') return;
              assert.equal(reassembler.receive(result.payload, sink), null);
              buffer = buffer.subarray(result.consumedBytes);
            }
          }
          assert.equal(buffer.length, 0, 'nothing left over');
          for (const id of [1, 2, 3]) {
            const sent = messages.filter((m) => m.channel === id).map((m) => m.bytes);
            assert.deepEqual(received.get(id), sent, `channel ${id}`);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
