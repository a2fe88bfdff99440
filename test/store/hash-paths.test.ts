// The store hashes short preimages with libsodium and long ones with OpenSSL, and builds short
// preimages in scratch buffers (src/store/hash.ts). These tests pin every path to node:crypto's
// createHash across the length threshold, and check that a result never aliases the scratch
// (a later hash must not change an earlier result).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  bucketHash,
  bucketHashRaw,
  bucketOf,
  copyNode,
  entryHash,
  entryHashRaw,
  innerHash,
  rehashInnerNode,
  rootOfBuckets,
} from '../../src/store/hash.js';
import { BucketTree, leafIndex } from '../../src/store/tree.js';

const sha = (...parts: Uint8Array[]): Buffer => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};
const u32 = (n: number): Buffer => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(n);
  return out;
};
/** Deterministic bytes (no Math.random: a failure must reproduce). */
const bytes = (length: number, seed: number): Uint8Array => {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (seed * 131 + i * 17 + (i >> 3)) & 0xff;
  return out;
};

describe('store hash paths (libsodium short, OpenSSL long)', () => {
  it('bucketOf equals the first two bytes of sha256(key) for keys of 1..400 bytes', () => {
    for (let length = 1; length <= 400; length++) {
      const key = bytes(length, length);
      assert.equal(bucketOf(key), sha(key).readUInt16BE(0), `key of ${length} bytes`);
    }
  });

  it('entryHash equals the formula for preimages of 9..400 bytes, and results do not alias', () => {
    const results: Array<[Buffer, Buffer]> = [];
    for (let keyLength = 1; keyLength <= 60; keyLength += 7) {
      for (let valueLength = 0; valueLength <= 330; valueLength += 11) {
        const key = bytes(keyLength, valueLength);
        const value = bytes(valueLength, keyLength + 1);
        const expected = sha(Buffer.of(0), u32(keyLength), key, u32(valueLength), value);
        const raw = entryHashRaw(key, value);
        assert.deepEqual(raw, expected, `key ${keyLength} value ${valueLength} (raw)`);
        assert.deepEqual(
          Buffer.from(entryHash(key, value)),
          expected,
          `key ${keyLength} value ${valueLength}`,
        );
        results.push([raw, expected]);
      }
    }
    // Every earlier result is unchanged by the hashes computed after it.
    for (const [index, [raw, expected]] of results.entries()) {
      assert.deepEqual(raw, expected, `result ${index} kept its bytes`);
    }
  });

  it('bucketHash equals the formula for 0..8 entries (preimages 1..257 bytes)', () => {
    for (let count = 0; count <= 8; count++) {
      const entries = Array.from({ length: count }, (_, i) => sha(bytes(5, 100 + i)));
      const expected = sha(Buffer.of(1), ...entries);
      const raw = bucketHashRaw(entries);
      assert.deepEqual(raw, expected, `${count} entries (raw)`);
      assert.deepEqual(Buffer.from(bucketHash(entries)), expected, `${count} entries`);
      bucketHashRaw([sha(bytes(3, 9))]); // reuses the scratch
      assert.deepEqual(raw, expected, `${count} entries: result kept after another hash`);
    }
  });

  it('rehashInnerNode writes innerHash of the two children, and only that node', () => {
    const nodes = new Uint8Array(16 * 32);
    for (let i = 0; i < nodes.length; i++) nodes[i] = (i * 7 + 3) & 0xff;
    for (const index of [1, 2, 3, 5, 7]) {
      const before = nodes.slice();
      const expected = innerHash(
        nodes.slice(2 * index * 32, (2 * index + 1) * 32),
        nodes.slice((2 * index + 1) * 32, (2 * index + 2) * 32),
      );
      rehashInnerNode(nodes, index);
      assert.deepEqual(nodes.slice(index * 32, (index + 1) * 32), expected, `node ${index}`);
      before.set(expected, index * 32);
      assert.deepEqual(nodes, before, `node ${index}: no other byte changed`);
    }
  });

  it('copyNode copies exactly one 32-byte node', () => {
    const from = bytes(4 * 32, 1);
    const to = new Uint8Array(4 * 32);
    copyNode(from, 2, to, 1);
    assert.deepEqual(to.slice(32, 64), from.slice(64, 96));
    assert.equal(
      to.slice(0, 32).some((byte) => byte !== 0),
      false,
      'node 0 untouched',
    );
    assert.equal(
      to.slice(64).some((byte) => byte !== 0),
      false,
      'nodes 2-3 untouched',
    );
  });

  it('prepareUpdate/applyUpdate and rebuild give the root of rootOfBuckets', () => {
    const leaves = new Map<number, Uint8Array>();
    for (let i = 0; i < 300; i++) leaves.set((i * 7919) % 65536, sha(bytes(4, i)));
    const expected = rootOfBuckets(leaves);
    const tree = new BucketTree();
    tree.applyUpdate(tree.prepareUpdate(leaves));
    assert.deepEqual(tree.root(), expected, 'prepareUpdate + applyUpdate');
    assert.deepEqual(tree.inconsistentNodes(), []);
    const rebuilt = new BucketTree();
    for (const [bucket, hash] of leaves) rebuilt.setNode(leafIndex(bucket), hash);
    rebuilt.rebuild();
    assert.deepEqual(rebuilt.root(), expected, 'rebuild');
  });
});
