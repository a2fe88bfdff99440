// ABCI socket framing (src/abci/framing.ts): unsigned-varint length prefixes as CometBFT v0.38's
// libs/protoio writes them, decoded from any split of the stream; malformed and oversize
// prefixes refused at once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameDecoder, encodeFrame } from '../../src/abci/index.js';
import { hasErrorCode } from '../../src/errors.js';

function fill(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
}

describe('ABCI framing', () => {
  it('writes the length as an unsigned varint (binary.PutUvarint), not zig-zag', () => {
    assert.deepEqual([...encodeFrame(new Uint8Array(0))], [0]);
    assert.deepEqual([...encodeFrame(new Uint8Array(1)).subarray(0, 1)], [1]); // zig-zag would be 2
    assert.deepEqual([...encodeFrame(new Uint8Array(127)).subarray(0, 1)], [0x7f]);
    assert.deepEqual([...encodeFrame(new Uint8Array(128)).subarray(0, 2)], [0x80, 0x01]);
    assert.deepEqual([...encodeFrame(new Uint8Array(300)).subarray(0, 2)], [0xac, 0x02]);
    assert.deepEqual([...encodeFrame(new Uint8Array(16_384)).subarray(0, 3)], [0x80, 0x80, 0x01]);
  });

  it('decodes frames of boundary lengths split at every byte', () => {
    for (const length of [0, 1, 127, 128, 129, 16_383, 16_384]) {
      const message = fill(length, length);
      const frame = encodeFrame(message);
      for (const cut of [0, 1, 2, 3, Math.floor(frame.length / 2), frame.length - 1]) {
        const decoder = new FrameDecoder(1 << 20);
        const first = decoder.push(frame.subarray(0, cut));
        const second = decoder.push(frame.subarray(cut));
        const frames = [...first, ...second];
        assert.equal(frames.length, 1, `length ${length}, cut ${cut}: one frame`);
        assert.deepEqual(frames[0], message, `length ${length}, cut ${cut}: same bytes`);
        assert.equal(decoder.pendingBytes, 0, `length ${length}, cut ${cut}: nothing left over`);
      }
    }
  });

  it('property: any messages, any chunking → the same messages in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
        (messages, sizes) => {
          const stream = Buffer.concat(messages.map((m) => encodeFrame(m)));
          const decoder = new FrameDecoder(1024);
          const out: Uint8Array[] = [];
          let offset = 0;
          for (let i = 0; offset < stream.length; i += 1) {
            const size = sizes[i % sizes.length] ?? 1;
            out.push(...decoder.push(stream.subarray(offset, offset + size)));
            offset += size;
          }
          assert.deepEqual(
            out.map((m) => Buffer.from(m).toString('hex')),
            messages.map((m) => Buffer.from(m).toString('hex')),
          );
          assert.equal(decoder.pendingBytes, 0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a prefix longer than 10 bytes or over 64 bits (FRAME_MALFORMED)', () => {
    // Lengths are refused as too large first when they exceed the limit, so use a huge limit.
    const cases: [string, number[]][] = [
      ['11 continuation bytes', new Array<number>(11).fill(0x80)],
      ['10th byte above 1 (over 64 bits)', [...new Array<number>(9).fill(0x80), 0x02]],
    ];
    for (const [name, bytes] of cases) {
      const decoder = new FrameDecoder(Number.MAX_SAFE_INTEGER);
      // A good frame first: it is still delivered, the bad prefix after it breaks the stream.
      const frames = decoder.push(Buffer.concat([encodeFrame(Uint8Array.of(9)), Uint8Array.from(bytes)]));
      assert.deepEqual(frames, [Uint8Array.of(9)], `${name}: the frame before is delivered`);
      assert.ok(hasErrorCode(decoder.error, 'FRAME_MALFORMED'), name);
      assert.deepEqual(decoder.push(encodeFrame(Uint8Array.of(1))), [], `${name}: nothing decoded after`);
    }
  });

  it('refuses an oversize length as soon as the prefix says so (FRAME_TOO_LARGE)', () => {
    const decoder = new FrameDecoder(1000);
    assert.deepEqual(decoder.push(encodeFrame(new Uint8Array(1000))).length, 1, '1000 bytes is allowed');
    // Only the prefix of a 1001-byte frame: refused before any body byte arrives.
    assert.ok(!hasErrorCode(decoder.error, 'FRAME_TOO_LARGE'), 'sound so far');
    assert.deepEqual(decoder.push(encodeFrame(new Uint8Array(1001)).subarray(0, 2)), []);
    assert.ok(hasErrorCode(decoder.error, 'FRAME_TOO_LARGE'), 'oversize prefix refused');
    // A hostile 2^60 prefix, first byte of many: refused once its value passes the limit.
    const hostile = new FrameDecoder(1 << 20);
    hostile.push(Uint8Array.of(0xff, 0xff, 0xff, 0xff));
    assert.ok(hasErrorCode(hostile.error, 'FRAME_TOO_LARGE'));
  });

  it('rejects a bad limit', () => {
    assert.throws(() => new FrameDecoder(0), RangeError);
    assert.throws(() => new FrameDecoder(1.5), RangeError);
  });
});
