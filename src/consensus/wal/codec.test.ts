// WAL entry codec: long byte arrays (a proposal's block) take Node's native hex codec. The text
// must stay exactly what bytesToHex produced (old WAL files and peers' messages keep decoding),
// and a malformed long hex string must still be refused, not silently truncated by Buffer.
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
    it(`${length} bytes: the same text as bytesToHex, and back to the same bytes`, () => {
      const bytes = Uint8Array.from({ length: Math.max(length, 32) }, (_, i) => (i * 131 + 7) & 255).subarray(
        0,
        length,
      );
      const entry = valueReady(bytes);
      const encoded = encodeWalEntry(entry);
      assert.equal(new TextDecoder().decode(encoded), referenceText(entry), `text of ${length} bytes`);
      const decoded = decodeWalEntry(encoded) as Extract<WalEntry, { kind: 'input' }>;
      assert.ok(decoded.input.kind === 'ValueReady', `kind of ${length}`);
      const back = decoded.input.value.bytes;
      assert.ok(back instanceof Uint8Array, `a Uint8Array for ${length}`);
      assert.deepEqual([...back], [...bytes], `bytes of ${length}`);
      assert.equal(back.buffer.byteLength, back.byteLength, `${length}: owns its buffer (no pool slice)`);
    });
  }

  it('a byte array that is a view into a larger buffer encodes only its own bytes', () => {
    const whole = Uint8Array.from({ length: 2000 }, (_, i) => i & 255);
    const view = whole.subarray(300, 1300);
    const text = new TextDecoder().decode(encodeWalEntry(valueReady(view)));
    assert.equal(text, referenceText(valueReady(view)));
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
