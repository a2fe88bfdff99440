// WAL entry codec: long byte arrays (a proposal's block) go to the blob section raw (ADR 011 §7);
// the legacy text layout (every byte array as bytesToHex, old WAL files and peers) still
// decodes, and a malformed long hex string or blob reference is refused, never truncated.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex } from '../../crypto/index.js';
import { hasErrorCode } from '../../errors.js';
import { decodeWalEntry, encodeWalEntry } from './codec.js';
import type { WalEntry } from './wal.js';

function valueReady(bytes: Uint8Array): WalEntry {
  return {
    kind: 'input',
    input: { kind: 'ValueReady', height: 3, round: 0, value: { id: bytes.subarray(0, 32), bytes } },
  };
}

/** The pre-session-3 text: every byte array through bytesToHex. */
function referenceText(entry: WalEntry): string {
  return JSON.stringify(entry, (_key, value: unknown) => {
    if (value instanceof Uint8Array) return { $b: bytesToHex(value) };
    if (typeof value === 'bigint') return { $n: value.toString() };
    return value;
  });
}

/** A long $b tagged value with its hex replaced by `hex`. */
function withHex(hex: string): Uint8Array {
  const text = `{"kind":"input","input":{"kind":"ValueReady","height":3,"round":0,"value":{"id":{"$b":"${'ab'.repeat(32)}"},"bytes":{"$b":"${hex}"}}}}`;
  return new TextEncoder().encode(text);
}

describe('WAL codec: byte arrays', () => {
  for (const length of [0, 1, 32, 255, 256, 257, 4095, 4096, 600_000]) {
    it(`${length} bytes: round trip, a blob from 256 bytes, and the legacy text still decodes`, () => {
      const bytes = Uint8Array.from({ length: Math.max(length, 32) }, (_, i) => (i * 131 + 7) & 255).subarray(
        0,
        length,
      );
      const entry = valueReady(bytes);
      const encoded = encodeWalEntry(entry);
      assert.equal(encoded[0], 0, `${length}: the binary-blob layout`);
      // From 256 bytes raw, not hex: the encoding is about the value's size, not twice it.
      const payload = length >= 256 ? length : 2 * length;
      assert.ok(encoded.length < payload + 400, `${length}: ${encoded.length} bytes encoded`);
      assert.ok(encoded.length > payload, `${length}: ${encoded.length} bytes hold the value`);
      for (const [layout, input] of [
        ['blob', encoded],
        ['legacy', new TextEncoder().encode(referenceText(entry))],
      ] as const) {
        const decoded = decodeWalEntry(input) as Extract<WalEntry, { kind: 'input' }>;
        assert.ok(decoded.input.kind === 'ValueReady', `kind of ${length} (${layout})`);
        const back = decoded.input.value.bytes;
        assert.ok(back instanceof Uint8Array, `a Uint8Array for ${length} (${layout})`);
        assert.deepEqual([...back], [...bytes], `bytes of ${length} (${layout})`);
        assert.deepEqual(
          [...decoded.input.value.id],
          [...bytes.subarray(0, 32)],
          `id of ${length} (${layout})`,
        );
        assert.equal(back.buffer.byteLength, back.byteLength, `${length} (${layout}): owns its buffer`);
      }
    });
  }

  it('a byte array that is a view into a larger buffer encodes only its own bytes', () => {
    const whole = Uint8Array.from({ length: 2000 }, (_, i) => i & 255);
    const view = whole.subarray(300, 1300);
    const decoded = decodeWalEntry(encodeWalEntry(valueReady(view))) as Extract<WalEntry, { kind: 'input' }>;
    assert.ok(decoded.input.kind === 'ValueReady');
    assert.deepEqual([...decoded.input.value.bytes], [...view]);
  });

  it('several blobs, bigints and short arrays in one entry keep their places', () => {
    const a = Uint8Array.from({ length: 300 }, (_, i) => i & 255);
    const b = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 255);
    const entry = {
      kind: 'input',
      input: {
        kind: 'ValueReady',
        height: 9,
        round: 2,
        value: { id: a.subarray(0, 32), bytes: b },
        extra: [a, 5n],
      },
    } as unknown as WalEntry;
    const decoded = decodeWalEntry(encodeWalEntry(entry)) as unknown as {
      input: { value: { id: Uint8Array; bytes: Uint8Array }; extra: [Uint8Array, bigint] };
    };
    assert.deepEqual([...decoded.input.value.bytes], [...b]);
    assert.deepEqual([...decoded.input.value.id], [...a.subarray(0, 32)]);
    assert.deepEqual([...decoded.input.extra[0]], [...a]);
    assert.equal(decoded.input.extra[1], 5n);
  });

  /** A blob-layout entry whose JSON is `json` and whose blob section is `blobs` bytes long. */
  function blobLayout(json: string, blobs: number, jsonLength = Buffer.byteLength(json)): Uint8Array {
    const text = new TextEncoder().encode(json);
    const out = new Uint8Array(5 + text.length + blobs);
    new DataView(out.buffer).setUint32(1, jsonLength);
    out.set(text, 5);
    return out;
  }
  const ref = (r: string) =>
    `{"kind":"input","input":{"kind":"ValueReady","height":3,"round":0,"value":{"id":{"$b":"${'ab'.repeat(32)}"},"bytes":{"$r":${r}}}}}`;
  const badBlobs: [string, Uint8Array][] = [
    ['a reference past the end', blobLayout(ref('[0,11]'), 10)],
    ['a reference starting past the end', blobLayout(ref('[11,0]'), 10)],
    ['a negative offset', blobLayout(ref('[-1,2]'), 10)],
    ['a fractional length', blobLayout(ref('[0,1.5]'), 10)],
    ['a reference that is not a pair', blobLayout(ref('[0]'), 10)],
    ['a reference that is a string', blobLayout(ref('"0,1"'), 10)],
    ['a JSON length past the end', blobLayout(ref('[0,1]'), 10, 100_000)],
    ['a truncated header', Uint8Array.of(0, 0, 0)],
    ['a reference in the legacy text layout', new TextEncoder().encode(ref('[0,1]'))],
  ];
  for (const [what, bytes] of badBlobs) {
    it(`${what} is WAL_CORRUPTED`, () => {
      assert.throws(
        () => decodeWalEntry(bytes),
        (error: unknown) => hasErrorCode(error, 'WAL_CORRUPTED'),
        what,
      );
    });
  }

  it('a well-formed blob reference decodes (the bad cases above differ only in the reference)', () => {
    const decoded = decodeWalEntry(blobLayout(ref('[2,5]'), 10)) as Extract<WalEntry, { kind: 'input' }>;
    assert.ok(decoded.input.kind === 'ValueReady');
    assert.equal(decoded.input.value.bytes.length, 5);
  });

  it('upper-case long hex decodes as before', () => {
    const hex = 'AB'.repeat(1000);
    const decoded = decodeWalEntry(withHex(hex)) as Extract<WalEntry, { kind: 'input' }>;
    assert.ok(decoded.input.kind === 'ValueReady');
    assert.deepEqual(
      [...decoded.input.value.bytes],
      Array.from({ length: 1000 }, () => 0xab),
    );
  });

  const bad: [string, string][] = [
    ['a non-hex character at the end', `${'ab'.repeat(1000)}zz`],
    ['a non-hex character in the middle', `${'ab'.repeat(500)}g0${'ab'.repeat(500)}`],
    ['an odd length', `${'ab'.repeat(1000)}a`],
    ['a space', `${'ab'.repeat(600)} ${'ab'.repeat(400)}0`],
  ];
  for (const [what, hex] of bad) {
    it(`a long $b with ${what} is WAL_CORRUPTED, not truncated`, () => {
      assert.throws(
        () => decodeWalEntry(withHex(hex)),
        (error: unknown) => hasErrorCode(error, 'WAL_CORRUPTED'),
        what,
      );
    });
  }
});
