// The app-hash formula pinned by golden values (a change here is a consensus-breaking format
// change: bump STORE_FORMAT_VERSION and write an ADR), plus the proof verifier's checks.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  BUCKET_COUNT,
  EMPTY_ROOT,
  EMPTY_SUBTREE,
  GENESIS_APP_HASH,
  appHashOf,
  bucketHash,
  bucketOf,
  compareBytes,
  entryHash,
  innerHash,
  rootOfBuckets,
  verifyProof,
  type StoreProof,
} from './hash.js';
import { BucketTree } from './tree.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const sha = (...parts: number[][]): string =>
  createHash('sha256').update(Buffer.from(parts.flat())).digest('hex');

describe('app hash formula', () => {
  it('golden values: empty bucket, genesis app hash', () => {
    assert.equal(hex(bucketHash([])), sha([1]));
    assert.equal(hex(GENESIS_APP_HASH), '33f2c9b781b7eab65ce56f5af9b93e05973d6bbce0d3c68360292f8fa7028846');
  });

  it('entry, inner and app hashes are the tagged, length-prefixed preimages of the ADR', () => {
    assert.equal(
      hex(entryHash(Buffer.from('ab'), Buffer.from('c'))),
      sha([0], [0, 0, 0, 2], [97, 98], [0, 0, 0, 1], [99]),
    );
    const left = new Uint8Array(32).fill(1);
    const right = new Uint8Array(32).fill(2);
    assert.equal(hex(innerHash(left, right)), sha([2], [...left], [...right]));
    assert.equal(hex(appHashOf(258n, left)), sha([3], [0, 0, 0, 0, 0, 0, 1, 2], [...left]));
    assert.throws(() => appHashOf(-1n, left), RangeError);
    assert.throws(() => appHashOf(1n << 64n, left), RangeError);
  });

  it('length prefixes separate (key, value) splits of the same bytes', () => {
    assert.notEqual(
      hex(entryHash(Buffer.from('ab'), Buffer.from('c'))),
      hex(entryHash(Buffer.from('a'), Buffer.from('bc'))),
    );
  });

  it('bucketOf is the first two bytes of sha256(key)', () => {
    const digest = createHash('sha256').update('hello').digest();
    assert.equal(bucketOf(Buffer.from('hello')), digest.readUInt16BE(0));
  });

  it('compareBytes is lexicographic with shorter prefixes first', () => {
    assert.ok(compareBytes(Buffer.from('a'), Buffer.from('ab')) < 0);
    assert.ok(compareBytes(Buffer.from('b'), Buffer.from('ab')) > 0);
    assert.equal(compareBytes(Buffer.from('ab'), Buffer.from('ab')), 0);
    assert.ok(compareBytes(Buffer.from([0xff]), Buffer.from([0x00, 0x00])) > 0);
  });

  it('the incremental tree update equals the from-scratch root', () => {
    const tree = new BucketTree();
    assert.deepEqual(tree.root(), EMPTY_ROOT);
    const leaves = new Map<number, Uint8Array>();
    for (const bucket of [0, 1, 2, 777, 32768, BUCKET_COUNT - 1])
      leaves.set(bucket, new Uint8Array(32).fill(bucket % 251));
    const changed = tree.update(leaves);
    assert.deepEqual(tree.root(), EMPTY_ROOT, 'update() does not modify the tree');
    assert.deepEqual(changed.get(1), rootOfBuckets(leaves));
    for (const [index, hash] of changed) tree.setNode(index, hash);
    assert.deepEqual(tree.inconsistentNodes(), []);
    // Setting a bucket back to empty brings back the empty subtree hashes.
    const back = tree.update(new Map([...leaves.keys()].map((b) => [b, EMPTY_SUBTREE[16] as Uint8Array])));
    assert.deepEqual(back.get(1), EMPTY_ROOT);
  });
});

describe('verifyProof', () => {
  // A state with keys in two buckets, and a proof built by hand from the tree.
  const keys = ['alpha', 'beta', 'gamma', 'delta'].map((k) => Buffer.from(k));
  const values = keys.map((k) => Buffer.concat([k, Buffer.from('-value')]));
  const tree = new BucketTree();
  const perBucket = new Map<number, Array<{ key: Uint8Array; entryHash: Uint8Array }>>();
  keys.forEach((key, i) => {
    const list = perBucket.get(bucketOf(key)) ?? [];
    list.push({ key, entryHash: entryHash(key, values[i] as Uint8Array) });
    list.sort((x, y) => compareBytes(x.key, y.key));
    perBucket.set(bucketOf(key), list);
  });
  const leaves = new Map(
    [...perBucket].map(([bucket, list]) => [bucket, bucketHash(list.map((e) => e.entryHash))]),
  );
  for (const [index, hash] of tree.update(leaves)) tree.setNode(index, hash);
  const appHash = appHashOf(7n, tree.root());
  const proofOf = (key: Uint8Array): StoreProof => ({
    height: 7n,
    bucket: bucketOf(key),
    entries: perBucket.get(bucketOf(key)) ?? [],
    siblings: tree.siblings(bucketOf(key)),
  });

  it('accepts membership and absence proofs', () => {
    keys.forEach((key, i) => {
      assert.ok(verifyProof(appHash, key, values[i] as Uint8Array, proofOf(key)), `member ${key.toString()}`);
    });
    const absent = Buffer.from('missing');
    assert.ok(verifyProof(appHash, absent, null, proofOf(absent)));
  });

  it('rejects wrong values, wrong app hash, absence of a member, presence of a non-member', () => {
    const key = keys[0] as Buffer;
    const proof = proofOf(key);
    assert.equal(verifyProof(appHash, key, Buffer.from('other'), proof), false);
    assert.equal(verifyProof(appHash, key, null, proof), false);
    assert.equal(verifyProof(appHashOf(8n, tree.root()), key, values[0] as Uint8Array, proof), false);
    assert.equal(
      verifyProof(appHash, Buffer.from('missing'), Buffer.from('x'), proofOf(Buffer.from('missing'))),
      false,
    );
  });

  it('rejects tampered proofs: height, bucket, dropped entry, sibling, sibling count', () => {
    const key = keys[0] as Buffer;
    const value = values[0] as Uint8Array;
    const proof = proofOf(key);
    const siblings = [...proof.siblings];
    siblings[3] = new Uint8Array(32);
    const cases: Array<[string, StoreProof]> = [
      ['height', { ...proof, height: 8n }],
      ['bucket', { ...proof, bucket: (proof.bucket + 1) % BUCKET_COUNT }],
      ['bucket out of range', { ...proof, bucket: BUCKET_COUNT }],
      ['sibling', { ...proof, siblings }],
      ['sibling count', { ...proof, siblings: proof.siblings.slice(1) }],
      ['short sibling', { ...proof, siblings: [new Uint8Array(31), ...proof.siblings.slice(1)] }],
      ['duplicated entry', { ...proof, entries: [...proof.entries, ...proof.entries] }],
      [
        'foreign entry',
        { ...proof, entries: [...proof.entries, { key: Buffer.from('zzz'), entryHash: new Uint8Array(32) }] },
      ],
    ];
    for (const [name, bad] of cases) assert.equal(verifyProof(appHash, key, value, bad), false, name);
    // Hiding the entry of a member makes an absence proof that must not verify either.
    const hidden = { ...proof, entries: proof.entries.filter((e) => compareBytes(e.key, key) !== 0) };
    assert.equal(verifyProof(appHash, key, null, hidden), false, 'hidden member');
  });
});
