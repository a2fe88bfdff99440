// Adversarial review of session 5's store speed-ups (helper "cpu": libsodium one-shot SHA-256
// into Buffer-pool/scratch buffers, in-place re-hashing of tree nodes, lmdb-js getBinaryFast
// reads copied once, pending keys/values in Buffer-pool slices, the hashing worker's
// changed-node tracking). The claim under attack: same bytes and app hashes, only faster.
//
// Attacks: (1) aliasing — anything the store or hash.ts hands out must be the caller's own
// bytes, unchanged by later reads, writes, hashes, commits, reverts, discards and restarts, and
// its ArrayBuffer must be private (a caller may transfer/detach it); (2) the reverse — the
// caller's inputs mutated or detached after set(); (3) getBinaryFast edge cases; (4)
// determinism on random workloads (fast-check): the hashing worker, the calling thread, a
// different batching of the same writes, recomputeAppHash and the independent reference all
// agree, with keys sharing buckets, edge buckets, prefix keys and sizes around the 160-byte
// libsodium/OpenSSL threshold.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { MAX_VALUE_BYTES, Store, type BlockBatch } from '../../src/store/index.js';
import {
  EMPTY_SUBTREE,
  GENESIS_APP_HASH,
  appHashOf,
  bucketHash,
  bucketHashRaw,
  bucketOf,
  entryHash,
  entryHashRaw,
  innerHash,
  rehashInnerNode,
  verifyProof,
} from '../../src/store/hash.js';
import { BucketTree } from '../../src/store/tree.js';
import { IncrementalHasher } from '../../src/store/incremental.js';
import { applyToBatch, applyToModel, type BlockOp } from './blocks.js';
import { b, hex, removeDir, tempDir, withStore } from './helpers.js';
import { referenceAppHash, type StateModel } from './reference.js';

// --- helpers ----------------------------------------------------------------------------------

/** sha256 with node:crypto (independent of src/store/hash.ts). */
const sha = (...parts: Uint8Array[]): Buffer => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
};
const bucketByReference = (key: Uint8Array): number => sha(key).readUInt16BE(0);

/** Deterministic bytes of `length` (a failure must reproduce). */
const bytesOf = (length: number, seed: number): Uint8Array => {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (seed * 131 + i * 17 + (i >> 5)) & 0xff;
  return out;
};

/** True when `bytes` owns its whole, unshared ArrayBuffer (safe to transfer or keep `.buffer`). */
const ownsBuffer = (bytes: Uint8Array): boolean =>
  bytes.byteOffset === 0 &&
  bytes.buffer.byteLength === bytes.byteLength &&
  !(bytes.buffer instanceof SharedArrayBuffer);

/** Detaches `bytes`' ArrayBuffer by transferring it (what a worker hand-over does). */
const detach = (bytes: Uint8Array): void => {
  structuredClone(bytes.buffer, { transfer: [bytes.buffer as ArrayBuffer] });
};

/** `count` keys `${prefix}${i}` whose bucket (by node:crypto) is `bucket`. */
function keysInBucket(bucket: number, prefix: string, count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; out.length < count; i++) {
    const key = b(`${prefix}${i}`);
    if (bucketByReference(key) === bucket) out.push(key);
  }
  return out;
}

/** A key that starts with `key` and lies in the same bucket (a prefix pair inside one bucket). */
function extensionInSameBucket(key: Uint8Array): Uint8Array {
  const bucket = bucketByReference(key);
  for (let i = 0; ; i++) {
    const longer = Buffer.concat([key, b(`~${i}`)]);
    if (bucketByReference(longer) === bucket) return new Uint8Array(longer);
  }
}

// Keys chosen to stress the bucket code: 6 keys in one bucket (a bucket preimage is 1 + 32 n
// bytes: 4 entries = 129 B go to libsodium, 5 = 161 B to OpenSSL), a prefix pair inside that
// bucket (key order: shorter first), two keys each in bucket 0 and bucket 65,535 (the last
// bucket's index range is open-ended), and a few ordinary keys, one of 1 byte and one of 1,024.
const GROUP_BUCKET = bucketByReference(b('group'));
const GROUP = keysInBucket(GROUP_BUCKET, 'g/', 6);
const PREFIX_PAIR = [GROUP[0] as Uint8Array, extensionInSameBucket(GROUP[0] as Uint8Array)];
const FIRST_BUCKET = keysInBucket(0, 'first/', 2);
const LAST_BUCKET = keysInBucket(65_535, 'last/', 2);
const PLAIN = [
  b('x'),
  new Uint8Array(1024).fill(0xfe),
  ...Array.from({ length: 8 }, (_, i) => b(`plain/${i}`)),
];
const KEYS: readonly Uint8Array[] = [
  ...GROUP,
  PREFIX_PAIR[1] as Uint8Array,
  ...FIRST_BUCKET,
  ...LAST_BUCKET,
  ...PLAIN,
];

/**
 * Value lengths around every threshold: 0 and 1; 64/65 (V8 keeps typed arrays ≤ 64 bytes on
 * its heap); an entry preimage (9 + key + value bytes) of 159, 160 and 161 bytes (libsodium ≤
 * 160 < OpenSSL); 4,095/4,096/4,097 (Buffer.allocUnsafe pools sizes < 4,096).
 */
function valueLength(kind: number, key: Uint8Array): number {
  const atThreshold = (delta: number): number => Math.max(0, 160 - 9 - key.length + delta);
  const lengths = [0, 1, 64, 65, atThreshold(-1), atThreshold(0), atThreshold(1), 4095, 4096, 4097];
  return lengths[kind % lengths.length] as number;
}

// --- (1) aliasing: what the store hands out -----------------------------------------------------

describe('speed-ups review: values and hashes handed out are the caller’s own', () => {
  it('reads survive later reads, writes, hashes, commit, revert, discard and restart; private buffers', async () => {
    const dir = tempDir();
    const lengths = [0, 1, 31, 32, 33, 64, 65, 151, 160, 4095, 4096, 4097, 70_000];
    const keyOf = (i: number): Uint8Array => b(`alias/${i}`);
    try {
      let store = Store.open(dir, { durable: false, backgroundHashing: true });
      await store.backgroundHashingReady();
      const first = store.beginBlock(1n);
      lengths.forEach((length, i) => {
        first.set(keyOf(i), bytesOf(length, i));
        first.setMeta(`m/${i}`, bytesOf(length, i + 50));
      });
      const appHash1 = first.commit();
      const info1 = store.info().appHash;

      // Everything read now is held across what follows.
      const held: Array<{ what: string; bytes: Uint8Array; expected: string }> = [];
      const hold = (what: string, bytes: Uint8Array | undefined): void => {
        assert.ok(bytes !== undefined, `${what} is there`);
        assert.ok(ownsBuffer(bytes), `${what} owns its ArrayBuffer`);
        held.push({ what, bytes, expected: hex(bytes) });
      };
      hold('appHash of commit 1', appHash1);
      hold('info().appHash after 1', info1);
      const second = store.beginBlock(2n);
      lengths.forEach((_, i) => {
        hold(`store.get ${i}`, store.get(keyOf(i)));
        hold(`batch.get ${i}`, second.get(keyOf(i)));
        hold(`store.getMeta ${i}`, store.getMeta(`m/${i}`));
        hold(`batch.getMeta ${i}`, second.getMeta(`m/${i}`));
      });
      for (const entry of store.entries()) hold(`entries value ${hex(entry.key)}`, entry.value);
      for (const entry of second.entries()) hold(`batch entries key ${hex(entry.key)}`, entry.key);
      const proof = store.prove(keyOf(3));
      proof.siblings.forEach((sibling, i) => hold(`proof sibling ${i}`, sibling));
      proof.entries.forEach((entry, i) => hold(`proof entry hash ${i}`, entry.entryHash));

      // Block 2: overwrite and delete what was read, read every other length in every order,
      // a reverted checkpoint, a mid-block hash, pending reads; then commit.
      for (let round = 0; round < 3; round++) {
        for (let i = lengths.length - 1; i >= 0; i--) second.get(keyOf(i));
        for (let i = 0; i < 300; i++) second.set(b(`fill/${round}/${i}`), bytesOf(i % 200, round + i));
      }
      lengths.forEach((length, i) => second.set(keyOf(i), bytesOf(length, i + 1000)));
      second.delete(keyOf(0));
      const checkpoint = second.checkpoint();
      second.set(keyOf(1), bytesOf(9, 9));
      hold('pending read inside a checkpoint', second.get(keyOf(1)));
      second.revert(checkpoint);
      hold('mid-block hash', second.hash());
      second.set(b('after-hash'), b('v'));
      hold('pending read', second.get(keyOf(2)));
      const appHash2 = second.commit();
      hold('appHash of commit 2', appHash2);

      // Block 3 discarded after writes and a hash.
      const third = store.beginBlock(3n);
      third.set(keyOf(3), bytesOf(100, 3));
      hold('hash of a discarded block', third.hash());
      third.discard();

      // Restart, then read and write more.
      await store.close();
      store = Store.open(dir, { durable: false });
      const fourth = store.beginBlock(3n);
      for (let i = 0; i < lengths.length; i++) fourth.get(keyOf(i));
      fourth.set(keyOf(5), bytesOf(5, 5));
      fourth.commit();
      for (const { what, bytes, expected } of held) {
        assert.equal(hex(bytes), expected, `${what} unchanged`);
      }
      assert.equal(
        verifyProof(info1, keyOf(3), bytesOf(lengths[3] as number, 3), proof),
        true,
        'a proof held across blocks still verifies against its app hash',
      );

      // The caller may scribble on or detach what it holds: the store does not notice.
      for (const { what, bytes } of held) {
        bytes.fill(0xaa);
        detach(bytes);
        assert.equal(bytes.byteLength, 0, `${what} was detached`);
      }
      lengths.forEach((length, i) => {
        const expected = i === 0 ? undefined : i === 5 ? hex(bytesOf(5, 5)) : hex(bytesOf(length, i + 1000));
        const value = store.get(keyOf(i));
        assert.equal(value === undefined ? undefined : hex(value), expected, `key ${i} after restart`);
        assert.equal(hex(store.getMeta(`m/${i}`) as Uint8Array), hex(bytesOf(length, i + 50)), `meta ${i}`);
      });
      assert.equal(hex(store.recomputeAppHash()), hex(store.info().appHash), 'recomputed app hash');
      await store.close();
    } finally {
      removeDir(dir);
    }
  });

  it('hash.ts results and constants survive later hashing (libsodium scratch, in-place nodes)', () => {
    const expectedEmptyBucket = sha(Buffer.of(1));
    const genesisBefore = hex(GENESIS_APP_HASH);
    const emptyBefore = EMPTY_SUBTREE.map(hex);
    const held: Array<[string, Uint8Array, string]> = [];
    const keep = (what: string, bytes: Uint8Array, expected: Buffer): void => {
      assert.equal(hex(bytes), expected.toString('hex'), `${what} equals node:crypto`);
      assert.ok(ownsBuffer(bytes), `${what} owns its ArrayBuffer`);
      held.push([what, bytes, expected.toString('hex')]);
    };
    for (let length = 0; length <= 200; length += 7) {
      const key = bytesOf(1 + (length % 40), length);
      const value = bytesOf(length, length + 1);
      const u32 = (n: number): Buffer => {
        const out = Buffer.alloc(4);
        out.writeUInt32BE(n);
        return out;
      };
      const entry = entryHash(key, value);
      keep(`entryHash ${length}`, entry, sha(Buffer.of(0), u32(key.length), key, u32(value.length), value));
      const list = Array.from({ length: length % 8 }, (_, i) => bytesOf(32, i + length));
      keep(`bucketHash ${list.length}`, bucketHash(list), sha(Buffer.of(1), ...list));
      keep(`innerHash ${length}`, innerHash(entry, entry), sha(Buffer.of(2), entry, entry));
      const height = BigInt(length);
      const heightBytes = Buffer.alloc(8);
      heightBytes.writeBigUInt64BE(height);
      keep(`appHashOf ${length}`, appHashOf(height, entry), sha(Buffer.of(3), heightBytes, entry));
      // The store-internal variants return fresh Buffers too (pool slices, never the scratch).
      const raw = entryHashRaw(key, value);
      held.push([`entryHashRaw ${length}`, raw, hex(entry)]);
      held.push([`bucketHashRaw ${length}`, bucketHashRaw(list), sha(Buffer.of(1), ...list).toString('hex')]);
      // Traffic through the shared scratch digest and preimages.
      bucketOf(value.length > 0 ? value : key);
      const nodes = new Uint8Array(4 * 32);
      nodes.set(bytesOf(64, length), 64);
      rehashInnerNode(nodes, 1);
    }
    for (const [what, bytes, expected] of held) assert.equal(hex(bytes), expected, `${what} unchanged later`);
    assert.equal(hex(GENESIS_APP_HASH), genesisBefore, 'GENESIS_APP_HASH unchanged');
    assert.deepEqual(EMPTY_SUBTREE.map(hex), emptyBefore, 'EMPTY_SUBTREE unchanged');
    assert.equal(hex(EMPTY_SUBTREE[16] as Uint8Array), expectedEmptyBucket.toString('hex'), 'empty bucket');
  });

  it('a hash handed out and then scribbled on changes neither the commit nor the stored app hash', () =>
    withStore((store) => {
      for (let height = 1n; height <= 3n; height++) {
        const batch = store.beginBlock(height);
        batch.set(b(`scribble/${height}`), bytesOf(50, Number(height)));
        const early = batch.hash();
        const expected = hex(early);
        early.fill(0);
        const again = batch.hash();
        assert.equal(hex(again), expected, `hash() again at ${height}`);
        again.fill(1);
        const committed = batch.commit();
        assert.equal(hex(committed), expected, `commit() at ${height}`);
        committed.fill(2);
        const info = store.info().appHash;
        assert.equal(hex(info), expected, `info() at ${height}`);
        info.fill(3);
        assert.equal(hex(store.info().appHash), expected, `info() again at ${height}`);
      }
      assert.equal(hex(store.recomputeAppHash()), hex(store.info().appHash), 'recomputed');
    }));

  it('a tree update and a worker answer are not overwritten by the next ones (scratch tree reuse)', () => {
    const tree = new BucketTree();
    const first = tree.prepareUpdate(new Map([[GROUP_BUCKET, bytesOf(32, 1)]]));
    const firstHashes = hex(first.hashes);
    tree.prepareUpdate(
      new Map([
        [GROUP_BUCKET, bytesOf(32, 2)],
        [7, bytesOf(32, 3)],
      ]),
    );
    assert.equal(hex(first.hashes), firstHashes, 'prepareUpdate result unchanged by the next call');
    assert.equal(
      hex(new BucketTree().prepareUpdate(new Map([[GROUP_BUCKET, bytesOf(32, 1)]])).hashes),
      firstHashes,
    );

    const hasher = new IncrementalHasher(Buffer.from(new BucketTree().copyNodes()), () => undefined);
    hasher.begin(1n);
    hasher.apply(GROUP.map((key) => ({ key: Buffer.from(key), value: key })));
    const answer = hasher.finish();
    const snapshot = [hex(answer.appHash), hex(answer.hashes), hex(answer.entries), answer.indexes.join()];
    hasher.apply(LAST_BUCKET.map((key) => ({ key: Buffer.from(key), value: key })));
    hasher.finish();
    hasher.commit();
    hasher.begin(2n);
    hasher.apply(FIRST_BUCKET.map((key) => ({ key: Buffer.from(key), value: null })));
    hasher.finish();
    assert.deepEqual(
      [hex(answer.appHash), hex(answer.hashes), hex(answer.entries), answer.indexes.join()],
      snapshot,
      'a finish answer is unchanged by later applies, finishes and a commit',
    );
    const model: StateModel = new Map(GROUP.map((key) => [hex(key), key]));
    assert.equal(hex(answer.appHash), hex(referenceAppHash(1n, model)), 'and it was right');
  });

  it('a committed key written, then no longer written (a reverted tx), hashes as committed', () => {
    // The committed state: GROUP[0..2] set. The block writes GROUP[1], then hands it over as
    // "no longer written": the bucket must come back to its committed hash.
    const committed = new Map(
      GROUP.slice(0, 3).map((key) => [Buffer.from(key).toString('latin1'), entryHashRaw(key, key)]),
    );
    const reader = (bucket: number, into: Map<string, Uint8Array>): void => {
      if (bucket === GROUP_BUCKET) for (const [slot, hash] of committed) into.set(slot, hash);
    };
    const tree = new BucketTree();
    const inKeyOrder = GROUP.slice(0, 3).sort((x, y) => Buffer.compare(x, y));
    const committedLeaf = bucketHashRaw(inKeyOrder.map((k) => entryHashRaw(k, k)));
    tree.applyUpdate(tree.prepareUpdate(new Map([[GROUP_BUCKET, committedLeaf]])));
    const hasher = new IncrementalHasher(Buffer.from(tree.copyNodes()), reader);
    hasher.begin(2n);
    const key = Buffer.from(GROUP[1] as Uint8Array);
    hasher.apply([{ key, value: b('changed') }]);
    hasher.apply([{ key, value: undefined }]);
    const model: StateModel = new Map(GROUP.slice(0, 3).map((k) => [hex(k), k]));
    const answer = hasher.finish();
    assert.equal(answer.entryCount, 0, 'no key written');
    assert.equal(
      hex(answer.appHash),
      hex(referenceAppHash(2n, model)),
      'the committed state hashes as before',
    );
  });
});

// --- (2) the caller's inputs ------------------------------------------------------------------
// Before 0454fbe the batch kept `key.slice()` / `value.slice()`: for a Node Buffer argument
// Buffer#slice is a view, not a copy, so a caller reusing its Buffer after set() changed the
// pending write (this test fails on 7c9605b with "pending in/11": a Buffer.alloc value). The
// Buffer-pool copies of 0454fbe fixed that; this pins it.

describe('speed-ups review: the caller’s keys and values are copied at set()', () => {
  for (const backgroundHashing of [false, true]) {
    it(`inputs scribbled on or detached after set() change nothing (backgroundHashing ${backgroundHashing})`, () =>
      withStore(
        async (store) => {
          if (backgroundHashing) assert.equal(await store.backgroundHashingReady(), true, 'worker up');
          const model: StateModel = new Map();
          for (let height = 1n; height <= 3n; height++) {
            const batch = store.beginBlock(height);
            assert.equal(batch.isStreaming, backgroundHashing, 'streams only with the worker');
            // 300 writes: more than one hand-over to the worker (256 slots) before hash().
            for (let i = 0; i < 300; i++) {
              const keyText = `in/${(i * 7 + Number(height)) % 260}`;
              const length = [0, 1, 64, 65, 140, 4095, 4096, 5000][i % 8] as number;
              // Three kinds of caller buffers: a Buffer-pool slice, an own ArrayBuffer, a view
              // in the middle of a bigger ArrayBuffer.
              const key =
                i % 3 === 0
                  ? Buffer.from(keyText)
                  : i % 3 === 1
                    ? b(keyText)
                    : new Uint8Array(b(`..${keyText}..`).buffer, 2, keyText.length);
              const value =
                i % 3 === 0
                  ? Buffer.alloc(length, i)
                  : i % 3 === 1
                    ? bytesOf(length, i)
                    : new Uint8Array(new ArrayBuffer(length + 16), 8, length).fill(i & 0xff);
              const expected = new Uint8Array(value);
              batch.set(key, value);
              model.set(hex(b(keyText)), expected);
              // The caller reuses its buffers: scribble, then detach where possible.
              value.fill(0xee);
              key.fill(0x41);
              if (i % 3 === 1) {
                detach(value);
                detach(key);
              }
              if (i % 50 === 0) {
                assert.equal(hex(batch.get(b(keyText)) as Uint8Array), hex(expected), `pending ${keyText}`);
              }
            }
            const deleted = b(`in/${Number(height) * 3}`);
            batch.delete(deleted);
            deleted.fill(0);
            model.delete(hex(b(`in/${Number(height) * 3}`)));
            const hash = batch.commit();
            assert.equal(hex(hash), hex(referenceAppHash(height, model)), `app hash at ${height}`);
          }
          if (backgroundHashing) assert.equal(store.backgroundHashCount, 3, 'the worker hashed every block');
          for (const [keyHex, value] of model) {
            assert.equal(
              hex(store.get(Buffer.from(keyHex, 'hex')) as Uint8Array),
              hex(value),
              `committed ${keyHex}`,
            );
          }
          assert.equal(hex(store.recomputeAppHash()), hex(store.info().appHash), 'recomputed');
        },
        { durable: false, backgroundHashing },
      ));
  }
});

// --- (3) getBinaryFast ----------------------------------------------------------------------

describe('speed-ups review: committed reads in place (getBinaryFast)', () => {
  it('a read right after commit, in the same tick, sees the new value; deletes and empties too', () =>
    withStore((store) => {
      const key = b('tick');
      for (let height = 1n; height <= 6n; height++) {
        const before = store.get(key);
        const batch = store.beginBlock(height);
        const value = height % 3n === 0n ? null : bytesOf(Number(height) * 40 - 40, Number(height));
        if (value === null) batch.delete(key);
        else batch.set(key, value);
        assert.deepEqual(batch.get(key), value ?? undefined, `pending read at ${height}`);
        assert.deepEqual(store.get(key), before, `the store still reads the committed value at ${height}`);
        batch.commit();
        // No await between the commit and these reads: lmdb-js's read snapshot must be renewed.
        assert.deepEqual(store.get(key), value ?? undefined, `committed read at ${height}`);
        const peek = store.beginBlock(height + 1n);
        assert.deepEqual(peek.get(key), value ?? undefined, `next batch at ${height}`);
        peek.discard();
      }
    }));

  it('range scans interleaved with point reads of other lengths keep every value exact', () =>
    withStore((store) => {
      const batch = store.beginBlock(1n);
      const lengths = [0, 5, 160, 4096, 70_000, 1, 300];
      for (let i = 0; i < 60; i++)
        batch.set(b(`scan/${String(i).padStart(2, '0')}`), bytesOf(lengths[i % 7] as number, i));
      batch.commit();
      const next = store.beginBlock(2n);
      next.set(b('scan/30x'), b('pending'));
      for (const source of ['store', 'batch'] as const) {
        let i = 0;
        const iterable =
          source === 'store' ? store.entries({ start: b('scan/') }) : next.entries({ start: b('scan/') });
        for (const entry of iterable) {
          // A point read of another length between two steps of the scan.
          store.get(b(`scan/${String(59 - (i % 60)).padStart(2, '0')}`));
          next.get(b(`scan/${String((i * 13) % 60).padStart(2, '0')}`));
          const name = Buffer.from(entry.key).toString();
          if (name === 'scan/30x') {
            assert.equal(Buffer.from(entry.value).toString(), 'pending', `${source}: pending entry`);
            continue;
          }
          const n = Number(name.slice(5));
          assert.equal(hex(entry.value), hex(bytesOf(lengths[n % 7] as number, n)), `${source}: ${name}`);
          i++;
        }
        assert.equal(i, 60, `${source}: every committed entry`);
      }
      next.discard();
    }));

  it('the largest value (MAX_VALUE_BYTES) between empty and short reads', () =>
    withStore((store) => {
      const batch = store.beginBlock(1n);
      const big = bytesOf(MAX_VALUE_BYTES, 7);
      batch.set(b('big'), big);
      batch.set(b('empty'), new Uint8Array(0));
      batch.set(b('short'), b('s'));
      assert.throws(
        () => batch.set(b('too-big'), new Uint8Array(MAX_VALUE_BYTES + 1)),
        /INVALID_VALUE|at most/,
      );
      batch.commit();
      const expectedBig = sha(big).toString('hex');
      for (const name of ['empty', 'big', 'short', 'big', 'empty', 'big']) {
        const value = store.get(b(name)) as Uint8Array;
        if (name === 'big') {
          assert.equal(value.length, MAX_VALUE_BYTES, 'big length');
          assert.equal(sha(value).toString('hex'), expectedBig, 'big bytes');
        } else assert.equal(Buffer.from(value).toString(), name === 'empty' ? '' : 's', `${name}`);
        assert.ok(ownsBuffer(value), `${name} owns its buffer`);
      }
      assert.equal(hex(store.recomputeAppHash()), hex(store.info().appHash), 'recomputed');
    }));
});

// --- (4) determinism on random workloads ------------------------------------------------------

/** A random write: set (value length from valueLength) or delete, of one of KEYS. */
const writeArbitrary: fc.Arbitrary<BlockOp> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({ key: fc.nat(KEYS.length - 1), kind: fc.nat(9), seed: fc.nat(255) })
      .map(({ key, kind, seed }): BlockOp => {
        const k = KEYS[key] as Uint8Array;
        return { type: 'set', key: k, value: bytesOf(valueLength(kind, k), seed) };
      }),
  },
  {
    weight: 1,
    arbitrary: fc
      .nat(KEYS.length - 1)
      .map((key): BlockOp => ({ type: 'delete', key: KEYS[key] as Uint8Array })),
  },
);
const opArbitrary: fc.Arbitrary<BlockOp> = fc.oneof(
  { weight: 5, arbitrary: writeArbitrary },
  {
    weight: 1,
    arbitrary: fc
      .record({ fails: fc.boolean(), ops: fc.array(writeArbitrary, { minLength: 1, maxLength: 5 }) })
      .map(({ fails, ops }): BlockOp => ({ type: 'tx', fails, ops })),
  },
);
/** A run: 1-4 blocks, each a list of ops and where to hash mid-block (fraction of the ops). */
const runArbitrary = fc.array(
  fc.record({
    ops: fc.array(opArbitrary, { maxLength: 25 }),
    hashAt: fc.double({ min: 0, max: 1, noNaN: true }),
    reads: fc.array(fc.nat(KEYS.length - 1), { maxLength: 6 }),
  }),
  { minLength: 1, maxLength: 4 },
);

/** The ops with failed transactions dropped and successful ones inlined (same final writes). */
function flatten(ops: readonly BlockOp[]): BlockOp[] {
  const out: BlockOp[] = [];
  for (const op of ops) {
    if (op.type !== 'tx') out.push(op);
    else if (!op.fails) out.push(...flatten(op.ops));
  }
  return out;
}

describe('speed-ups review: automatic hand-overs to the worker (≥ 256 slots per tx boundary)', () => {
  it('many txs over shared buckets, reverted ones (no-longer-written slots) and scribbled inputs', async () => {
    const dirs = [tempDir(), tempDir()];
    const plain = Store.open(dirs[0] as string, { durable: false });
    const worker = Store.open(dirs[1] as string, { durable: false, backgroundHashing: true });
    try {
      assert.equal(await worker.backgroundHashingReady(), true, 'the worker starts');
      const model: StateModel = new Map();
      for (let height = 1n; height <= 3n; height++) {
        const plainBatch = plain.beginBlock(height);
        const workerBatch = worker.beginBlock(height);
        for (let tx = 0; tx < 400; tx++) {
          const fails = tx % 7 === 3;
          const writes: Array<[Uint8Array, Uint8Array | null]> = [];
          for (let w = 0; w < 3; w++) {
            const n = (tx * 5 + w * 11 + Number(height) * 3) % (KEYS.length + 700);
            const key = n < KEYS.length ? (KEYS[n] as Uint8Array) : b(`auto/${n}`);
            writes.push([key, (tx + w) % 9 === 0 ? null : bytesOf(valueLength(tx + w, key), tx + w)]);
          }
          for (const batch of [plainBatch, workerBatch]) {
            const checkpoint = batch.checkpoint();
            for (const [key, value] of writes) {
              // Fresh caller buffers, scribbled on right after the call (the caller reuses them).
              const keyCopy = new Uint8Array(key);
              if (value === null) batch.delete(keyCopy);
              else {
                const valueCopy = new Uint8Array(value);
                batch.set(keyCopy, valueCopy);
                valueCopy.fill(0x5a);
              }
              keyCopy.fill(0x5b);
            }
            if (fails) batch.revert(checkpoint);
            else batch.release(checkpoint);
          }
          if (!fails) {
            for (const [key, value] of writes) {
              if (value === null) model.delete(hex(key));
              else model.set(hex(key), value);
            }
          }
        }
        assert.equal(workerBatch.isStreaming, true, 'streams');
        const before = worker.backgroundHashCount;
        const expected = hex(plainBatch.commit());
        assert.equal(hex(workerBatch.commit()), expected, `app hash at ${height}`);
        assert.equal(worker.backgroundHashCount - before, 1, `the worker hashed block ${height}`);
        assert.equal(expected, hex(referenceAppHash(height, model)), `reference at ${height}`);
      }
      assert.equal(hex(worker.recomputeAppHash()), hex(worker.info().appHash), 'recomputed');
    } finally {
      await Promise.all([plain.close(), worker.close()]);
      dirs.forEach(removeDir);
    }
  });
});

describe('speed-ups review: determinism on random workloads (fast-check)', () => {
  it('worker, calling thread, another batching, recomputeAppHash and the reference agree', async () => {
    assert.equal(GROUP.length, 6);
    for (const key of KEYS)
      assert.equal(bucketOf(key), bucketByReference(key), `bucketOf ${hex(key).slice(0, 16)}`);
    const dirs = [tempDir(), tempDir(), tempDir()];
    const plain = Store.open(dirs[0] as string, { durable: false });
    const worker = Store.open(dirs[1] as string, { durable: false, backgroundHashing: true });
    const regrouped = Store.open(dirs[2] as string, { durable: false });
    try {
      assert.equal(await worker.backgroundHashingReady(), true, 'the worker starts');
      const model: StateModel = new Map();
      let height = 0n;
      let runs = 0;
      await fc.assert(
        fc.asyncProperty(runArbitrary, async (run) => {
          runs++;
          const allOps: BlockOp[] = [];
          for (const block of run) {
            height++;
            const hashesBefore = worker.backgroundHashCount;
            const plainBatch = plain.beginBlock(height);
            const workerBatch = worker.beginBlock(height);
            const batches: BlockBatch[] = [plainBatch, workerBatch];
            assert.equal(workerBatch.isStreaming, true, 'the worker store streams');
            const cut = Math.floor(block.hashAt * block.ops.length);
            for (const batch of batches) applyToBatch(batch, block.ops.slice(0, cut));
            // A mid-block hash hands the worker what it has so far; writing goes on after it.
            assert.equal(hex(workerBatch.hash()), hex(plainBatch.hash()), `mid-block hash at ${height}`);
            // Point reads of committed values while the worker reads buckets on its thread.
            for (const index of block.reads) {
              const key = KEYS[index] as Uint8Array;
              const read = batches.map((batch) => batch.get(key));
              assert.deepEqual(read[1], read[0], `read ${index} at ${height}`);
            }
            for (const batch of batches) applyToBatch(batch, block.ops.slice(cut));
            applyToModel(model, block.ops);
            allOps.push(...flatten(block.ops));
            const expected = hex(plainBatch.commit());
            let viaWorker: Uint8Array;
            if (height % 2n === 0n) {
              // Reads while hashAsync waits for the worker (the event loop runs meanwhile).
              const waiting = workerBatch.hashAsync();
              for (const index of block.reads) {
                const key = KEYS[index] as Uint8Array;
                assert.deepEqual(
                  workerBatch.get(key),
                  plain.get(key),
                  `read ${index} during hashAsync at ${height}`,
                );
              }
              viaWorker = await waiting;
            } else viaWorker = workerBatch.hash();
            assert.equal(hex(viaWorker), expected, `worker hash at ${height}`);
            assert.equal(hex(workerBatch.commit()), expected, `worker commit at ${height}`);
            assert.equal(hex(plain.recomputeAppHash()), expected, `recomputeAppHash at ${height}`);
            // Each worker-side hash (mid-block, and final when written to after it) came from the
            // worker: a silent fall-back to the calling thread would make the comparison empty.
            const workerHashes = 1 + (cut < block.ops.length ? 1 : 0);
            assert.equal(
              worker.backgroundHashCount - hashesBefore,
              workerHashes,
              `worker hashes at ${height}`,
            );
          }
          // The same writes in another batching: empty blocks, then everything in the last.
          for (let h = height - BigInt(run.length) + 1n; h < height; h++) regrouped.beginBlock(h).commit();
          const last = regrouped.beginBlock(height);
          applyToBatch(last, allOps);
          assert.equal(hex(last.commit()), hex(plain.info().appHash), `regrouped at ${height}`);
          if (runs % 10 === 1) {
            assert.equal(
              hex(plain.info().appHash),
              hex(referenceAppHash(height, model)),
              `reference at ${height}`,
            );
          }
        }),
        { numRuns: 40, seed: 20261127, endOnFailure: true },
      );
      assert.equal(hex(worker.recomputeAppHash()), hex(worker.info().appHash), 'worker store recomputed');
      assert.equal(hex(plain.info().appHash), hex(referenceAppHash(height, model)), 'reference at the end');
      // The worker's tree updates were persisted: the reopened store's tree check passes.
      await worker.close();
      const reopened = Store.open(dirs[1] as string, { durable: false });
      assert.equal(hex(reopened.info().appHash), hex(plain.info().appHash), 'reopened worker store');
      await reopened.close();
    } finally {
      await Promise.all([plain.close(), worker.close(), regrouped.close()]);
      dirs.forEach(removeDir);
    }
  });
});
