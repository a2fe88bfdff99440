// Unit tests of Store and BlockBatch: reads and writes, checkpoints, commit visibility,
// reopen, heights, metadata, iteration and every error code.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import {
  GENESIS_APP_HASH,
  MAX_KEY_BYTES,
  MAX_VALUE_BYTES,
  Store,
  StoreError,
  type StoreErrorCode,
} from '../../src/store/index.js';
import { hasErrorCode } from '../../src/errors.js';
import { referenceAppHash } from './reference.js';
import { b, hex, removeDir, stateOf, tempDir, withStore } from './helpers.js';

function throwsCode(fn: () => unknown, code: StoreErrorCode): void {
  assert.throws(
    fn,
    (error: unknown) => error instanceof StoreError && hasErrorCode(error, code),
    `expected ${code}`,
  );
}

describe('Store: reads and writes', () => {
  it('starts empty at height 0 with the genesis app hash', () =>
    withStore((store) => {
      assert.equal(store.info().height, 0n);
      assert.deepEqual(store.info().appHash, GENESIS_APP_HASH);
      assert.equal(store.get(b('a')), undefined);
      assert.deepEqual(store.recomputeAppHash(), GENESIS_APP_HASH);
    }));

  it('sets, overwrites and deletes; batch reads see its own writes over committed state', () =>
    withStore((store) => {
      const one = store.beginBlock(1n);
      one.set(b('a'), b('1'));
      one.set(b('b'), b('2'));
      one.commit();
      const two = store.beginBlock(2n);
      assert.deepEqual(two.get(b('a')), b('1'), 'committed value through the batch');
      two.set(b('a'), b('10'));
      two.delete(b('b'));
      two.set(b('c'), new Uint8Array(0));
      assert.deepEqual(two.get(b('a')), b('10'), 'own overwrite');
      assert.equal(two.get(b('b')), undefined, 'own delete');
      assert.deepEqual(two.get(b('c')), new Uint8Array(0), 'empty value is a value, not absence');
      two.delete(b('never-existed'));
      two.commit();
      assert.deepEqual(store.get(b('a')), b('10'));
      assert.equal(store.get(b('b')), undefined);
      assert.deepEqual(store.get(b('c')), new Uint8Array(0));
      assert.equal(store.get(b('never-existed')), undefined);
    }));

  it('copies keys and values in and out (callers cannot mutate the pending or stored state)', () =>
    withStore((store) => {
      const batch = store.beginBlock(1n);
      const key = b('k');
      const value = b('v');
      batch.set(key, value);
      value[0] = 0;
      key[0] = 0;
      const read = batch.get(b('k')) as Uint8Array;
      assert.deepEqual(read, b('v'));
      read[0] = 0;
      assert.deepEqual(batch.get(b('k')), b('v'));
      batch.commit();
      const stored = store.get(b('k')) as Uint8Array;
      stored[0] = 0;
      assert.deepEqual(store.get(b('k')), b('v'));
    }));

  it('readers see the last committed height while the next block executes', () =>
    withStore((store) => {
      const one = store.beginBlock(1n);
      one.set(b('a'), b('1'));
      const hashBefore = store.info().appHash;
      assert.equal(store.get(b('a')), undefined, 'uncommitted write invisible');
      assert.equal(store.info().height, 0n);
      const appHash = one.commit();
      assert.deepEqual(store.get(b('a')), b('1'), 'visible after commit');
      assert.equal(store.info().height, 1n);
      assert.deepEqual(store.info().appHash, appHash);
      assert.notDeepEqual(appHash, hashBefore);
    }));

  it('hash() predicts commit() and follows later writes', () =>
    withStore((store) => {
      const batch = store.beginBlock(1n);
      batch.set(b('a'), b('1'));
      const first = batch.hash();
      batch.set(b('b'), b('2'));
      const second = batch.hash();
      assert.notDeepEqual(first, second);
      assert.deepEqual(batch.commit(), second);
      assert.deepEqual(store.recomputeAppHash(), second);
    }));

  it('an empty block still advances the height and changes the app hash', () =>
    withStore((store) => {
      const one = store.beginBlock(1n).commit();
      assert.equal(store.info().height, 1n);
      assert.notDeepEqual(one, GENESIS_APP_HASH, 'the height is committed');
      assert.deepEqual(store.recomputeAppHash(), one);
    }));

  it('deleting every key returns the tree to empty (nodes removed) with the hash recomputable', () =>
    withStore((store) => {
      const one = store.beginBlock(1n);
      for (let i = 0; i < 50; i++) one.set(b(`k${i}`), b(`v${i}`));
      one.commit();
      const two = store.beginBlock(2n);
      for (let i = 0; i < 50; i++) two.delete(b(`k${i}`));
      const appHash = two.commit();
      assert.deepEqual(store.recomputeAppHash(), appHash);
      assert.equal([...store.entries()].length, 0);
      assert.deepEqual(
        appHash,
        referenceAppHash(2n, new Map()),
        'same hash as a store that never held a key',
      );
    }));
});

describe('BlockBatch: checkpoints', () => {
  it('revert undoes writes and deletes since the checkpoint; release keeps them', () =>
    withStore((store) => {
      const setup = store.beginBlock(1n);
      setup.set(b('kept'), b('0'));
      setup.commit();
      const batch = store.beginBlock(2n);
      batch.set(b('fee'), b('paid'));
      const tx = batch.checkpoint();
      batch.set(b('fee'), b('overwritten'));
      batch.set(b('new'), b('x'));
      batch.delete(b('kept'));
      batch.revert(tx);
      assert.deepEqual(batch.get(b('fee')), b('paid'), 'overwrite reverted');
      assert.equal(batch.get(b('new')), undefined, 'new key reverted');
      assert.deepEqual(batch.get(b('kept')), b('0'), 'delete reverted');
      const ok = batch.checkpoint();
      batch.set(b('new'), b('y'));
      batch.release(ok);
      assert.deepEqual(batch.get(b('new')), b('y'));
      batch.commit();
      assert.deepEqual(
        stateOf(store),
        new Map([
          [hex(b('fee')), b('paid')],
          [hex(b('kept')), b('0')],
          [hex(b('new')), b('y')],
        ]),
      );
    }));

  it('nests: reverting the outer undoes a released inner; reverting the inner keeps the outer', () =>
    withStore((store) => {
      const batch = store.beginBlock(1n);
      const outer = batch.checkpoint();
      batch.set(b('outer'), b('1'));
      const inner = batch.checkpoint();
      assert.equal(inner.depth, 2);
      batch.set(b('inner'), b('2'));
      batch.set(b('outer'), b('changed-inside'));
      batch.release(inner);
      assert.deepEqual(batch.get(b('inner')), b('2'));
      batch.revert(outer);
      assert.equal(batch.get(b('inner')), undefined, 'released inner is undone with its outer');
      assert.equal(batch.get(b('outer')), undefined);

      const outer2 = batch.checkpoint();
      batch.set(b('outer'), b('1'));
      const inner2 = batch.checkpoint();
      batch.set(b('outer'), b('changed-inside'));
      batch.set(b('inner'), b('2'));
      batch.revert(inner2);
      assert.deepEqual(batch.get(b('outer')), b('1'), 'inner revert restores the outer write');
      assert.equal(batch.get(b('inner')), undefined);
      batch.release(outer2);
      batch.commit();
      assert.deepEqual(stateOf(store), new Map([[hex(b('outer')), b('1')]]));
    }));

  it('metadata writes follow checkpoints too', () =>
    withStore((store) => {
      const batch = store.beginBlock(1n);
      const cp = batch.checkpoint();
      batch.setMeta('m', b('x'));
      batch.revert(cp);
      assert.equal(batch.getMeta('m'), undefined);
      batch.commit();
      assert.equal(store.getMeta('m'), undefined);
    }));

  it('refuses out-of-order revert/release, foreign and reused checkpoints', () =>
    withStore((store) => {
      const batch = store.beginBlock(1n);
      const outer = batch.checkpoint();
      const inner = batch.checkpoint();
      throwsCode(() => batch.revert(outer), 'CHECKPOINT_INVALID');
      throwsCode(() => batch.release(outer), 'CHECKPOINT_INVALID');
      batch.release(inner);
      throwsCode(() => batch.release(inner), 'CHECKPOINT_INVALID');
      throwsCode(() => batch.revert({ depth: 1 }), 'CHECKPOINT_INVALID');
      throwsCode(() => batch.hash(), 'CHECKPOINT_OPEN');
      throwsCode(() => batch.commit(), 'CHECKPOINT_OPEN');
      batch.release(outer);
      throwsCode(() => batch.revert(outer), 'CHECKPOINT_INVALID');
      batch.commit();
    }));
});

describe('Store: heights, batches, reopen', () => {
  it('refuses a height that is not last + 1, and non-bigint heights', () =>
    withStore((store) => {
      throwsCode(() => store.beginBlock(0n), 'HEIGHT_MISMATCH');
      throwsCode(() => store.beginBlock(2n), 'HEIGHT_MISMATCH');
      throwsCode(() => store.beginBlock(-1n), 'HEIGHT_MISMATCH');
      throwsCode(() => store.beginBlock(1 as unknown as bigint), 'HEIGHT_MISMATCH');
      throwsCode(() => store.beginBlock(1n << 64n), 'HEIGHT_MISMATCH');
      store.beginBlock(1n).commit();
      throwsCode(() => store.beginBlock(1n), 'HEIGHT_MISMATCH');
      store.beginBlock(2n).commit();
      assert.equal(store.info().height, 2n);
    }));

  it('a chain may start at an initial height > 1 (only on an empty store), and reopens there', async () => {
    const dir = tempDir();
    try {
      const store = Store.open(dir, { durable: false });
      throwsCode(() => store.beginInitialBlock(0n), 'HEIGHT_MISMATCH');
      const dropped = store.beginInitialBlock(9n);
      dropped.discard();
      throwsCode(() => store.beginBlock(9n), 'HEIGHT_MISMATCH'); // the discarded start is forgotten
      const first = store.beginInitialBlock(5n);
      throwsCode(() => store.beginInitialBlock(5n), 'BATCH_IN_PROGRESS');
      first.set(b('k'), b('v'));
      const hash = first.commit();
      assert.equal(store.info().height, 5n);
      throwsCode(() => store.beginInitialBlock(6n), 'HEIGHT_MISMATCH');
      throwsCode(() => store.beginBlock(7n), 'HEIGHT_MISMATCH');
      await store.close();
      const reopened = Store.open(dir, { durable: false });
      assert.equal(reopened.info().height, 5n);
      assert.deepEqual(reopened.info().appHash, hash);
      reopened.beginBlock(6n).commit();
      await reopened.close();
    } finally {
      removeDir(dir);
    }
  });

  it('one batch at a time; a finished batch refuses everything; discard writes nothing', () =>
    withStore((store) => {
      const batch = store.beginBlock(1n);
      throwsCode(() => store.beginBlock(1n), 'BATCH_IN_PROGRESS');
      batch.set(b('a'), b('1'));
      batch.discard();
      batch.discard();
      throwsCode(() => batch.get(b('a')), 'BATCH_FINISHED');
      throwsCode(() => batch.set(b('a'), b('1')), 'BATCH_FINISHED');
      throwsCode(() => batch.delete(b('a')), 'BATCH_FINISHED');
      throwsCode(() => batch.checkpoint(), 'BATCH_FINISHED');
      throwsCode(() => batch.commit(), 'BATCH_FINISHED');
      assert.equal(store.info().height, 0n);
      assert.equal(store.get(b('a')), undefined);
      const again = store.beginBlock(1n);
      again.commit();
      throwsCode(() => again.commit(), 'BATCH_FINISHED');
      throwsCode(() => again.hash(), 'BATCH_FINISHED');
    }));

  it('opens a not-yet-existing directory whose name looks like a file (state.v1)', async () => {
    const parent = tempDir();
    try {
      const store = Store.open(join(parent, 'nested', 'state.v1'));
      store.beginBlock(1n).commit();
      await store.close();
      assert.ok(statSync(join(parent, 'nested', 'state.v1')).isDirectory());
      const again = Store.open(join(parent, 'nested', 'state.v1'));
      assert.equal(again.info().height, 1n);
      await again.close();
    } finally {
      removeDir(parent);
    }
  });

  it('refuses a second instance on the same directory in one process (ALREADY_OPEN)', () =>
    withStore((store, dir) => {
      throwsCode(() => Store.open(dir), 'ALREADY_OPEN');
      throwsCode(() => Store.open(join(dir, '.')), 'ALREADY_OPEN');
      assert.equal(store.info().height, 0n, 'the first instance is unaffected');
    }));

  it('reopen after close resumes height, app hash, data and metadata', async () => {
    const dir = tempDir();
    try {
      let store = Store.open(dir);
      const batch = store.beginBlock(1n);
      batch.set(b('a'), b('1'));
      batch.setMeta('last-results', b('r1'));
      const appHash = batch.commit();
      const two = store.beginBlock(2n);
      two.set(b('never'), b('x'));
      await store.close();
      throwsCode(() => store.info(), 'CLOSED');
      throwsCode(() => store.get(b('a')), 'CLOSED');
      throwsCode(() => two.set(b('x'), b('y')), 'BATCH_FINISHED');
      store = Store.open(dir);
      assert.equal(store.info().height, 1n);
      assert.deepEqual(store.info().appHash, appHash);
      assert.deepEqual(store.get(b('a')), b('1'));
      assert.equal(store.get(b('never')), undefined, 'the open batch at close was not written');
      assert.deepEqual(store.getMeta('last-results'), b('r1'));
      assert.deepEqual(store.recomputeAppHash(), appHash);
      const next = store.beginBlock(2n);
      next.set(b('b'), b('2'));
      next.commit();
      await store.close();
    } finally {
      removeDir(dir);
    }
  });
});

describe('Store: a failing commit writes nothing', () => {
  it('an LMDB error midway through the commit transaction aborts all of it; the batch can retry', () =>
    withStore((store) => {
      const one = store.beginBlock(1n);
      one.set(b('a'), b('1'));
      const firstHash = one.commit();
      const two = store.beginBlock(2n);
      for (let i = 0; i < 20; i++) two.set(b(`k${i}`), b(`v${i}`));
      two.set(b('a'), b('2'));
      two.setMeta('m', b('x'));
      // Reach into the store (test only) to make the 10th index write fail, after data,
      // metadata and earlier index rows were already written inside the transaction.
      const index = (store as unknown as { index: { putSync: (...args: unknown[]) => void } }).index;
      const realPutSync = index.putSync.bind(index);
      let calls = 0;
      index.putSync = (...args: unknown[]) => {
        if (++calls === 10) throw new Error('injected disk failure');
        realPutSync(...args);
      };
      try {
        throwsCode(() => two.commit(), 'IO_ERROR');
      } finally {
        index.putSync = realPutSync;
      }
      assert.equal(store.info().height, 1n, 'height unchanged');
      assert.deepEqual(store.info().appHash, firstHash, 'app hash unchanged');
      assert.deepEqual(store.get(b('a')), b('1'), 'overwritten value rolled back');
      assert.equal(store.get(b('k0')), undefined, 'new keys rolled back');
      assert.equal(store.getMeta('m'), undefined, 'metadata rolled back');
      assert.deepEqual(store.recomputeAppHash(), firstHash, 'data and hash agree');
      assert.equal(two.isFinished, false, 'the batch stays open');
      const secondHash = two.commit();
      assert.equal(store.info().height, 2n);
      assert.deepEqual(store.recomputeAppHash(), secondHash);
      assert.deepEqual(store.get(b('a')), b('2'));
    }));
});

describe('Store: metadata and iteration', () => {
  it('metadata is committed with the block but not part of the app hash', () =>
    withStore((store) => {
      const batch = store.beginBlock(1n);
      batch.set(b('a'), b('1'));
      const without = batch.hash();
      batch.setMeta('results/1', b('abc'));
      assert.deepEqual(batch.hash(), without, 'metadata does not change the app hash');
      assert.deepEqual(batch.getMeta('results/1'), b('abc'));
      assert.equal(store.getMeta('results/1'), undefined, 'invisible before commit');
      batch.commit();
      assert.deepEqual(store.getMeta('results/1'), b('abc'));
      assert.equal(store.get(b('results/1')), undefined, 'separate namespace from data keys');
      const two = store.beginBlock(2n);
      two.deleteMeta('results/1');
      two.commit();
      assert.equal(store.getMeta('results/1'), undefined);
    }));

  it('entries() iterates in key order within [start, end); batch entries merge pending writes', () =>
    withStore((store) => {
      const one = store.beginBlock(1n);
      for (const k of ['a', 'b', 'c', 'd', 'e']) one.set(b(k), b(k.toUpperCase()));
      one.commit();
      const two = store.beginBlock(2n);
      two.delete(b('b'));
      two.set(b('c'), b('c2'));
      two.set(b('bb'), b('new'));
      two.set(b('z'), b('Z'));
      const keys = (it: Iterable<{ key: Uint8Array; value: Uint8Array }>): string[] =>
        [...it].map((e) => `${Buffer.from(e.key).toString()}=${Buffer.from(e.value).toString()}`);
      assert.deepEqual(keys(two.entries()), ['a=A', 'bb=new', 'c=c2', 'd=D', 'e=E', 'z=Z']);
      assert.deepEqual(keys(two.entries({ start: b('b'), end: b('d') })), ['bb=new', 'c=c2']);
      assert.deepEqual(
        keys(store.entries()),
        ['a=A', 'b=B', 'c=C', 'd=D', 'e=E'],
        'committed view unchanged',
      );
      assert.deepEqual(keys(store.entries({ start: b('c') })), ['c=C', 'd=D', 'e=E']);
      two.commit();
      assert.deepEqual(keys(store.entries()), ['a=A', 'bb=new', 'c=c2', 'd=D', 'e=E', 'z=Z']);
    }));
});

describe('Store: bad input', () => {
  it('rejects empty, oversized and non-byte keys and values', () =>
    withStore((store) => {
      const batch = store.beginBlock(1n);
      throwsCode(() => batch.set(new Uint8Array(0), b('v')), 'INVALID_KEY');
      throwsCode(() => batch.set(new Uint8Array(MAX_KEY_BYTES + 1), b('v')), 'INVALID_KEY');
      throwsCode(() => batch.set('a' as unknown as Uint8Array, b('v')), 'INVALID_KEY');
      throwsCode(() => batch.set(b('k'), new Uint8Array(MAX_VALUE_BYTES + 1)), 'INVALID_VALUE');
      throwsCode(() => batch.set(b('k'), null as unknown as Uint8Array), 'INVALID_VALUE');
      throwsCode(() => batch.get(new Uint8Array(0)), 'INVALID_KEY');
      throwsCode(() => batch.delete(new Uint8Array(MAX_KEY_BYTES + 1)), 'INVALID_KEY');
      throwsCode(() => batch.setMeta('', b('v')), 'INVALID_KEY');
      throwsCode(() => store.get(new Uint8Array(0)), 'INVALID_KEY');
      throwsCode(() => store.prove(new Uint8Array(0)), 'INVALID_KEY');
      // The largest key and value are accepted.
      batch.set(new Uint8Array(MAX_KEY_BYTES).fill(7), new Uint8Array(1024 * 1024));
      assert.equal(batch.size, 1, 'rejected writes left nothing behind');
      batch.commit();
      assert.deepEqual(store.recomputeAppHash(), store.info().appHash);
    }));
});

describe('Store: corruption is detected at open', () => {
  /** Commits one block, then lets `tamper` edit the raw LMDB sub-databases. */
  async function tamperAndReopen(
    tamper: (dbs: Record<string, ReturnType<ReturnType<typeof open>['openDB']>>) => void,
  ): Promise<unknown> {
    const dir = tempDir();
    try {
      const store = Store.open(dir);
      const batch = store.beginBlock(1n);
      for (let i = 0; i < 20; i++) batch.set(b(`k${i}`), b(`v${i}`));
      batch.commit();
      await store.close();
      const root = open(dir, { maxDbs: 8, overlappingSync: false });
      const dbs = Object.fromEntries(
        ['data', 'index', 'buckets', 'sys', 'meta'].map((name) => [
          name,
          root.openDB({ name, keyEncoding: 'binary', encoding: 'binary' }),
        ]),
      );
      root.transactionSync(() => tamper(dbs));
      await root.close();
      try {
        const reopened = Store.open(dir);
        const result = {
          height: reopened.info().height,
          recomputed: reopened.recomputeAppHash(),
          appHash: reopened.info().appHash,
        };
        await reopened.close();
        return result;
      } catch (error) {
        return error;
      }
    } finally {
      removeDir(dir);
    }
  }

  it('a flipped app hash byte → CORRUPT', async () => {
    const result = await tamperAndReopen((dbs) => {
      const value = Buffer.from(dbs.sys!.get(Buffer.from('appHash')) as Uint8Array);
      value[0] = (value[0] as number) ^ 1;
      dbs.sys!.putSync(Buffer.from('appHash'), value);
    });
    assert.ok(hasErrorCode(result, 'CORRUPT'), String(result));
  });

  it('a changed height → CORRUPT', async () => {
    const result = await tamperAndReopen((dbs) => {
      const height = Buffer.alloc(8);
      height.writeBigUInt64BE(2n);
      dbs.sys!.putSync(Buffer.from('height'), height);
    });
    assert.ok(hasErrorCode(result, 'CORRUPT'), String(result));
  });

  it('a flipped bucket hash, a deleted one, an added one → CORRUPT', async () => {
    const flipped = await tamperAndReopen((dbs) => {
      const [first] = dbs.buckets!.getRange({ limit: 1 }) as Iterable<{ key: Buffer; value: Buffer }>;
      const value = Buffer.from(first!.value);
      value[31] = (value[31] as number) ^ 0x80;
      dbs.buckets!.putSync(first!.key, value);
    });
    assert.ok(hasErrorCode(flipped, 'CORRUPT'), String(flipped));
    const deleted = await tamperAndReopen((dbs) => {
      const [first] = dbs.buckets!.getRange({ limit: 1 }) as Iterable<{ key: Buffer; value: Buffer }>;
      dbs.buckets!.removeSync(first!.key);
    });
    assert.ok(hasErrorCode(deleted, 'CORRUPT'), String(deleted));
    const result = await tamperAndReopen((dbs) => {
      dbs.buckets!.putSync(Buffer.from([0xff, 0xfe]), Buffer.alloc(32, 9));
    });
    assert.ok(hasErrorCode(result, 'CORRUPT'), String(result));
  });

  it('a malformed bucket hash, a missing height and an unknown format → CORRUPT', async () => {
    for (const tamper of [
      (dbs: Record<string, { putSync(k: unknown, v: unknown): void; removeSync(k: unknown): boolean }>) =>
        dbs.buckets!.putSync(Buffer.from([0, 1]), Buffer.alloc(31)),
      (dbs: Record<string, { putSync(k: unknown, v: unknown): void; removeSync(k: unknown): boolean }>) =>
        dbs.sys!.removeSync(Buffer.from('height')),
      (dbs: Record<string, { putSync(k: unknown, v: unknown): void; removeSync(k: unknown): boolean }>) =>
        dbs.sys!.putSync(Buffer.from('format'), Buffer.from([0, 0, 0, 9])),
    ]) {
      const result = await tamperAndReopen(tamper);
      assert.ok(hasErrorCode(result, 'CORRUPT'), `expected CORRUPT, got ${String(result)}`);
    }
  });

  it('a changed data value is not caught at open but recomputeAppHash exposes it', async () => {
    const result = (await tamperAndReopen((dbs) =>
      dbs.data!.putSync(Buffer.from('k3'), Buffer.from('evil')),
    )) as {
      recomputed: Uint8Array;
      appHash: Uint8Array;
    };
    assert.ok(result.recomputed instanceof Uint8Array, 'store reopened without error');
    assert.notDeepEqual(result.recomputed, result.appHash);
  });
});
