// Properties of the app hash: independent of write order within a block, sensitive to every
// byte of every key and value, and equal to a from-scratch recomputation (the store's own
// slow path and the independent reference of ./reference.ts) after many random blocks.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_KEY_BYTES, Store, verifyProof } from '../../src/store/index.js';
import { applyToBatch, applyToModel, blockOps } from './blocks.js';
import { hex, removeDir, stateOf, tempDir } from './helpers.js';
import { referenceAppHash, type StateModel } from './reference.js';

type Pair = { key: Uint8Array; value: Uint8Array };

/** 1..12 entries with distinct keys. */
const stateArb = fc.uniqueArray(
  fc.record({
    key: fc.uint8Array({ minLength: 1, maxLength: 40 }),
    value: fc.uint8Array({ minLength: 0, maxLength: 60 }),
  }),
  { minLength: 1, maxLength: 12, selector: (pair) => hex(pair.key) },
);

/** Runs `body` with two fresh non-durable stores (durability is not under test here). */
async function withTwoStores(body: (a: Store, b: Store) => void): Promise<void> {
  const dirs = [tempDir(), tempDir()];
  const [a, b] = dirs.map((dir) => Store.open(dir, { durable: false })) as [Store, Store];
  try {
    body(a, b);
  } finally {
    await a.close();
    await b.close();
    dirs.forEach(removeDir);
  }
}

function commitPairs(store: Store, height: bigint, pairs: readonly Pair[]): Uint8Array {
  const batch = store.beginBlock(height);
  for (const { key, value } of pairs) batch.set(key, value);
  return batch.commit();
}

describe('app hash properties', () => {
  it('is the same for any write order, redundant writes and reverted writes within a block', async () => {
    await fc.assert(
      fc.asyncProperty(
        stateArb,
        fc.array(fc.nat()),
        fc.uint8Array({ minLength: 1, maxLength: 8 }),
        async (pairs, order, junk) =>
          withTwoStores((a, b) => {
            const first = commitPairs(a, 1n, pairs);
            // Same final state, reached another way: shuffled order, a junk value overwritten,
            // a junk key set then deleted, and a reverted transaction.
            const shuffled = pairs
              .map((pair, i) => ({ pair, rank: order[i % Math.max(order.length, 1)] ?? i }))
              .sort((x, y) => x.rank - y.rank)
              .map(({ pair }) => pair);
            const batch = b.beginBlock(1n);
            const junkKey = new Uint8Array([0xee, ...junk]);
            batch.set(junkKey, junk);
            for (const { key } of shuffled) batch.set(key, junk);
            const cp = batch.checkpoint();
            batch.set(new Uint8Array([0xfe, ...junk]), junk);
            batch.revert(cp);
            for (const { key, value } of shuffled) batch.set(key, value);
            if (!pairs.some((pair) => hex(pair.key) === hex(junkKey))) batch.delete(junkKey);
            const second = batch.commit();
            assert.deepEqual(hex(second), hex(first));
            assert.deepEqual(hex(b.recomputeAppHash()), hex(first));
          }),
      ),
      { numRuns: 40 },
    );
  });

  it('changes when any single byte of any key or value changes (from scratch and incrementally)', async () => {
    await fc.assert(
      fc.asyncProperty(
        stateArb,
        fc.nat(),
        fc.boolean(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (pairs, which, inKey, position, delta) => {
          const index = which % pairs.length;
          const original = pairs[index] as Pair;
          const field = inKey ? original.key : original.value;
          fc.pre(field.length > 0);
          const changed = field.slice();
          const at = position % changed.length;
          changed[at] = ((changed[at] as number) + delta) % 256;
          const replacement: Pair = inKey
            ? { key: changed, value: original.value }
            : { key: original.key, value: changed };
          // A changed key must not coincide with another key of the state.
          fc.pre(!inKey || !pairs.some((pair) => hex(pair.key) === hex(changed)));
          const modified = pairs.map((pair, i) => (i === index ? replacement : pair));
          await withTwoStores((a, b) => {
            assert.notEqual(
              hex(commitPairs(a, 1n, pairs)),
              hex(commitPairs(b, 1n, modified)),
              'from scratch',
            );
          });
          await withTwoStores((a, b) => {
            commitPairs(a, 1n, pairs);
            commitPairs(b, 1n, pairs);
            const unchanged = a.beginBlock(2n).commit();
            const batch = b.beginBlock(2n);
            if (inKey) batch.delete(original.key);
            batch.set(replacement.key, replacement.value);
            const next = batch.commit();
            assert.notEqual(hex(next), hex(unchanged), 'incremental');
            assert.equal(hex(b.recomputeAppHash()), hex(next), 'incremental = recomputed');
          });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('equals the from-scratch recomputation and the reference after many random blocks; proofs verify', async () => {
    const dir = tempDir();
    const store = Store.open(dir, { durable: false });
    try {
      const model: StateModel = new Map();
      for (let height = 1n; height <= 120n; height++) {
        const ops = blockOps(height);
        const batch = store.beginBlock(height);
        applyToBatch(batch, ops);
        applyToModel(model, ops);
        const appHash = batch.commit();
        if (height % 30n !== 0n) continue;
        assert.equal(hex(store.recomputeAppHash()), hex(appHash), `recomputed at ${height}`);
        assert.equal(hex(referenceAppHash(height, model)), hex(appHash), `reference at ${height}`);
        assert.deepEqual(stateOf(store), model, `state at ${height}`);
        let checked = 0;
        for (const [keyHex, value] of model) {
          if (checked++ > 30) break;
          const key = Buffer.from(keyHex, 'hex');
          assert.ok(verifyProof(appHash, key, value, store.prove(key)), `proof of ${keyHex} at ${height}`);
          assert.equal(verifyProof(appHash, key, null, store.prove(key)), false, `false absence ${keyHex}`);
        }
        const absent = new Uint8Array(MAX_KEY_BYTES).fill(1);
        assert.ok(verifyProof(appHash, absent, null, store.prove(absent)), `absence proof at ${height}`);
      }
      await store.close();
      // Reopen (tree rebuilt from the stored bucket hashes) and continue: the reloaded tree hashes like the live one.
      const reopened = Store.open(dir);
      const batch = reopened.beginBlock(121n);
      applyToBatch(batch, blockOps(121n));
      applyToModel(model, blockOps(121n));
      assert.equal(hex(batch.commit()), hex(referenceAppHash(121n, model)), 'after reopen');
      await reopened.close();
    } finally {
      await store.close();
      removeDir(dir);
    }
  });
});
