// Background hashing (docs/adr/005, "Background hashing"): a store that hashes on its worker
// thread must give byte-identical app hashes to one that hashes on the calling thread and to
// the independent reference, through checkpoints, reverts, deletes, hash-then-write-more,
// discarded blocks and reopening.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hasErrorCode } from '../../src/errors.js';
import { Store } from '../../src/store/index.js';
import { IncrementalHasher, unpackEntries } from '../../src/store/incremental.js';
import { bucketOf } from '../../src/store/hash.js';
import { BucketTree } from '../../src/store/tree.js';
import { packWrites, unpackWrites } from '../../src/store/hasher.js';
import { applyToBatch, applyToModel, blockOps } from './blocks.js';
import { b, hex, removeDir, tempDir } from './helpers.js';
import { referenceAppHash, type StateModel } from './reference.js';

describe('background hashing', () => {
  it('gives the same app hash as hashing on the calling thread and the reference, every height', async () => {
    const dirs = [tempDir(), tempDir()];
    const plain = Store.open(dirs[0] as string, { durable: false });
    const background = Store.open(dirs[1] as string, { durable: false, backgroundHashing: true });
    try {
      assert.equal(await background.backgroundHashingReady(), true, 'the worker starts');
      const model: StateModel = new Map();
      for (let height = 1n; height <= 40n; height++) {
        const ops = blockOps(height);
        const batches = [plain.beginBlock(height), background.beginBlock(height)];
        for (const batch of batches) applyToBatch(batch, ops);
        applyToModel(model, ops);
        if (height % 5n === 0n) {
          // Hash mid-block, then keep writing: the worker's state must carry on.
          assert.equal(hex(batches[1]!.hash()), hex(batches[0]!.hash()), `mid-block hash at ${height}`);
          const extra = b(`extra/${height}`);
          for (const batch of batches) batch.set(extra, extra);
          model.set(hex(extra), extra);
        }
        const expected = hex(batches[0]!.commit());
        assert.equal(hex(batches[1]!.commit()), expected, `app hash at ${height}`);
        assert.equal(expected, hex(referenceAppHash(height, model)), `reference at ${height}`);
        if (height % 7n === 0n) {
          // A discarded block leaves no trace in the worker's tree.
          const dropped = background.beginBlock(height + 1n);
          dropped.set(b('dropped'), b('x'));
          dropped.hash();
          dropped.discard();
        }
      }
      assert.ok(
        background.backgroundHashCount >= 40,
        `hashed in the background: ${background.backgroundHashCount}`,
      );
      assert.equal(hex(background.recomputeAppHash()), hex(background.info().appHash));
    } finally {
      await plain.close();
      await background.close();
    }
    // Reopened without the worker, the store's tree check passes (same bucket hashes on disk).
    const reopened = Store.open(dirs[1] as string, { durable: false });
    try {
      assert.equal(reopened.info().height, 40n);
    } finally {
      await reopened.close();
      dirs.forEach(removeDir);
    }
  });

  it('large blocks go over in several hand-overs, reverted txs and rewritten keys included', async () => {
    const dirs = [tempDir(), tempDir()];
    const plain = Store.open(dirs[0] as string, { durable: false });
    const background = Store.open(dirs[1] as string, { durable: false, backgroundHashing: true });
    try {
      await background.backgroundHashingReady();
      for (let height = 1n; height <= 3n; height++) {
        const batches = [plain.beginBlock(height), background.beginBlock(height)];
        for (const batch of batches) {
          for (let tx = 0; tx < 300; tx++) {
            batch.set(b('fee'), b(`${height}/${tx}`)); // rewritten by every tx
            const checkpoint = batch.checkpoint();
            for (let w = 0; w < 4; w++) batch.set(b(`k/${(tx * 7 + w) % 900}`), b(`${height}/${tx}/${w}`));
            if (tx % 5 === 0) batch.delete(b(`k/${tx % 900}`));
            if (tx % 9 === 0) batch.revert(checkpoint);
            else batch.release(checkpoint);
          }
        }
        assert.equal(batches[1]!.isStreaming, true);
        const expected = hex(batches[0]!.commit());
        assert.equal(hex(batches[1]!.commit()), expected, `app hash at ${height}`);
      }
      assert.equal(background.backgroundHashCount, 3);
      assert.equal(hex(background.recomputeAppHash()), hex(background.info().appHash));
    } finally {
      await plain.close();
      await background.close();
      dirs.forEach(removeDir);
    }
  });

  it('blocks begun before the worker is ready are hashed on the calling thread, then it takes over', async () => {
    const dir = tempDir();
    const store = Store.open(dir, { durable: false, backgroundHashing: true });
    try {
      const model: StateModel = new Map();
      // Height 1 starts at once: the worker is still booting.
      const first = store.beginBlock(1n);
      applyToBatch(first, blockOps(1n));
      applyToModel(model, blockOps(1n));
      assert.equal(first.isStreaming, false, 'no worker yet');
      first.commit();
      await store.backgroundHashingReady();
      for (let height = 2n; height <= 4n; height++) {
        const batch = store.beginBlock(height);
        assert.equal(batch.isStreaming, true, `streams at ${height}`);
        applyToBatch(batch, blockOps(height));
        applyToModel(model, blockOps(height));
        assert.equal(hex(batch.commit()), hex(referenceAppHash(height, model)), `height ${height}`);
      }
      assert.equal(store.backgroundHashCount, 3);
    } finally {
      await store.close();
      removeDir(dir);
    }
  });
  it('hashAsync gives the hash of hash(), also without the worker and when written to while it waits', async () => {
    const dirs = [tempDir(), tempDir(), tempDir()];
    const plain = Store.open(dirs[0] as string, { durable: false });
    const background = Store.open(dirs[1] as string, { durable: false, backgroundHashing: true });
    const unready = Store.open(dirs[2] as string, { durable: false });
    try {
      assert.equal(await background.backgroundHashingReady(), true, 'the worker starts');
      const model: StateModel = new Map();
      for (let height = 1n; height <= 12n; height++) {
        const ops = blockOps(height);
        const batches = [plain.beginBlock(height), background.beginBlock(height), unready.beginBlock(height)];
        for (const batch of batches) applyToBatch(batch, ops);
        applyToModel(model, ops);
        const expected = hex(batches[0]!.hash());
        if (height % 3n === 0n) {
          // A write while the worker's answer is awaited: the block is hashed again with it.
          const waiting = batches[1]!.hashAsync();
          const extra = b(`while-waiting/${height}`);
          batches[1]!.set(extra, extra);
          batches[0]!.set(extra, extra);
          batches[2]!.set(extra, extra);
          model.set(hex(extra), extra);
          await waiting;
          assert.equal(hex(await batches[1]!.hashAsync()), hex(batches[0]!.hash()), `rehashed at ${height}`);
        } else {
          assert.equal(hex(await batches[1]!.hashAsync()), expected, `background at ${height}`);
        }
        assert.equal(hex(await batches[2]!.hashAsync()), hex(batches[0]!.hash()), `no worker at ${height}`);
        const committed = batches.map((batch) => hex(batch.commit()));
        assert.deepEqual(new Set(committed).size, 1, `one app hash at ${height}`);
        assert.equal(committed[0], hex(referenceAppHash(height, model)), `reference at ${height}`);
      }
      assert.ok(
        background.backgroundHashCount >= 8,
        `hashed in the background: ${background.backgroundHashCount}`,
      );
      // A batch with an open checkpoint or already committed is refused as by hash().
      const open = background.beginBlock(13n);
      const checkpoint = open.checkpoint();
      await assert.rejects(open.hashAsync(), (error) => hasErrorCode(error, 'CHECKPOINT_OPEN'));
      open.revert(checkpoint);
      open.discard();
      await assert.rejects(open.hashAsync(), (error) => hasErrorCode(error, 'BATCH_FINISHED'));
    } finally {
      await plain.close();
      await background.close();
      await unready.close();
      dirs.forEach(removeDir);
    }
  });
});

describe('IncrementalHasher (in process)', () => {
  it('equals the tree update of the whole block, applied in any split', () => {
    const tree = new BucketTree();
    const empty = (): void => undefined;
    const keys = Array.from({ length: 300 }, (_, i) => Buffer.from(`k/${i}`));
    const whole = new IncrementalHasher(Buffer.from(tree.copyNodes()), empty);
    const split = new IncrementalHasher(Buffer.from(tree.copyNodes()), empty);
    whole.begin(1n);
    split.begin(1n);
    whole.apply(keys.map((key) => ({ key, value: key })));
    for (let i = 0; i < keys.length; i += 7) {
      split.apply(keys.slice(i, i + 7).map((key) => ({ key, value: key })));
    }
    // A key written, then no longer written (a reverted tx), leaves no trace.
    split.apply([{ key: Buffer.from('gone'), value: b('v') }]);
    split.apply([{ key: Buffer.from('gone'), value: undefined }]);
    const model: StateModel = new Map(keys.map((key) => [hex(key), key]));
    const expected = hex(referenceAppHash(1n, model));
    assert.equal(hex(whole.finish().appHash), expected);
    const result = split.finish();
    assert.equal(hex(result.appHash), expected);
    assert.equal(result.entryCount, keys.length, 'only written keys');
    const entries = unpackEntries(result.entries);
    assert.equal(entries.size, keys.length, 'unpacked');
    for (const key of keys) {
      assert.equal(entries.get(key.toString('latin1'))?.bucket, bucketOf(key), `bucket of ${key.toString()}`);
    }
  });

  it('packWrites / unpackWrites round trip: set, delete, no longer written', () => {
    const packed = packWrites([
      { slot: 'd' + 'abc', pending: { kind: 'd', key: b('abc'), value: b('value') } },
      { slot: 'd' + '\u00ff\u0000', pending: { kind: 'd', key: new Uint8Array([255, 0]), value: null } },
      { slot: 'dzz', pending: undefined },
      { slot: 'de', pending: { kind: 'd', key: b('e'), value: new Uint8Array(0) } },
    ]);
    const out = unpackWrites(packed).map((w) => [
      hex(w.key),
      w.value === undefined ? 'gone' : w.value === null ? 'del' : hex(w.value),
    ]);
    assert.deepEqual(out, [
      [hex(b('abc')), hex(b('value'))],
      ['ff00', 'del'],
      [hex(b('zz')), 'gone'],
      [hex(b('e')), ''],
    ]);
  });
});
