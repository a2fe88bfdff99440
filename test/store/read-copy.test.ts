// Committed values are read in place from lmdb-js's reusable read buffer and copied once
// (src/store/store.ts copyRead): every read must have exactly its value's bytes, whatever was
// read before it (longer, shorter, empty, larger than the reusable buffer), and be the caller's
// own copy.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { b, withStore } from './helpers.js';

/** Deterministic bytes of `length` (a failure must reproduce). */
const valueOf = (length: number, seed: number): Uint8Array => {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (seed * 31 + i * 7 + (i >> 8)) & 0xff;
  return out;
};

// 0 and 1 byte, typical, around 4 KiB and 64 KiB, and 3 MiB (beyond lmdb-js's default buffer).
const LENGTHS = [0, 1, 80, 4095, 4096, 4097, 65_536, 70_000, 3 * 1024 * 1024];

describe('committed reads copy exactly the value', () => {
  it('data and metadata of many lengths, read in every order, in a batch and outside', () =>
    withStore((store) => {
      const batch = store.beginBlock(1n);
      LENGTHS.forEach((length, i) => {
        batch.set(b(`key-${i}`), valueOf(length, i));
        batch.setMeta(`meta-${i}`, valueOf(length, i + 100));
      });
      batch.commit();
      const next = store.beginBlock(2n);
      // Forward, backward, then alternating long and short: each read follows another length.
      const order = [...LENGTHS.keys(), ...[...LENGTHS.keys()].reverse(), 8, 0, 7, 1, 8, 2];
      for (const i of order) {
        const length = LENGTHS[i] as number;
        const data = next.get(b(`key-${i}`));
        assert.ok(data instanceof Uint8Array, `key-${i} is there`);
        assert.equal(data.length, length, `key-${i} has ${length} bytes`);
        assert.deepEqual(data, valueOf(length, i), `key-${i} bytes`);
        assert.equal(data.byteLength, data.buffer.byteLength, `key-${i} is its own ArrayBuffer`);
        assert.deepEqual(store.get(b(`key-${i}`)), valueOf(length, i), `key-${i} outside the batch`);
        assert.deepEqual(next.getMeta(`meta-${i}`), valueOf(length, i + 100), `meta-${i} in the batch`);
        assert.deepEqual(store.getMeta(`meta-${i}`), valueOf(length, i + 100), `meta-${i} outside`);
      }
      assert.equal(next.get(b('absent')), undefined);
      assert.equal(store.getMeta('absent'), undefined);
      // A read is the caller's copy: changing it changes neither the store nor a later read.
      const first = next.get(b('key-2')) as Uint8Array;
      first.fill(0);
      const second = next.get(b('key-3')) as Uint8Array;
      assert.deepEqual(next.get(b('key-2')), valueOf(80, 2));
      assert.deepEqual(second, valueOf(4095, 3), 'an earlier copy is not overwritten by a later read');
      next.discard();
    }));
});
