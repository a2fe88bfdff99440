// The mempool's batch path: adds that wait for the app together are checked with one
// checkTxBatch call, with the same results as checking them one by one.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { txHashHex } from '../../src/codec/index.js';
import { hasErrorCode } from '../../src/errors.js';
import {
  Mempool,
  mempoolAppFromAbci,
  type AddResult,
  type CheckMode,
  type CheckResult,
  type MempoolConfig,
  type RemovedTxEvent,
} from '../../src/mempool/index.js';
import { LedgerApp, parse, tx } from './helpers.js';

const roomy: MempoolConfig = { maxTxs: 100, maxBytes: 100_000, maxTxBytes: 1000, cacheSize: 100 };

/** A LedgerApp that refuses txs tagged `badsig` (as a failed signature) and counts batch calls. */
class BatchLedger extends LedgerApp {
  readonly batches: number[] = [];

  check = (bytes: Uint8Array, mode: CheckMode): CheckResult => {
    if (parse(bytes) !== undefined && new TextDecoder().decode(bytes).includes('|badsig|')) {
      this.calls.push({ mode, bytes });
      return { ok: false, code: 4, log: 'signature verification failed' };
    }
    return this.checkTx(bytes, mode);
  };

  checkBatch = async (txs: readonly Uint8Array[]): Promise<CheckResult[]> => {
    this.batches.push(txs.length);
    await Promise.resolve(); // answers come later, as from a worker
    return txs.map((bytes) => this.check(bytes, 'new'));
  };
}

function batchPool(app: BatchLedger, config: Partial<MempoolConfig> = {}): Mempool {
  return new Mempool({ ...roomy, ...config }, { checkTx: app.check, checkTxBatch: app.checkBatch });
}

function outcome(result: AddResult): string {
  return result.ok ? 'ok' : result.reason;
}

function label(bytes: Uint8Array): string {
  const parsed = parse(bytes);
  assert.ok(parsed, 'test txs parse');
  return `${parsed.sender}${parsed.sequence}`;
}

function labels(pool: Mempool): string[] {
  return pool.reap().map(label);
}

describe('mempool batch path', () => {
  it('checks txs added together in one checkTxBatch call, keeping each sender’s order', async () => {
    const app = new BatchLedger(1000n);
    const pool = batchPool(app);
    const txs = [0, 1, 2, 3].flatMap((sequence) =>
      ['a', 'b'].map((sender) => tx({ sender, sequence, gas: 1, fee: 1 })),
    );
    const results = await pool.addMany(txs);
    assert.deepEqual(results.map(outcome), Array<string>(8).fill('ok'));
    assert.deepEqual(app.batches, [8], 'one batch of 8, no single checks');
    assert.equal(app.calls.length, 8);
    assert.deepEqual(labels(pool), ['a0', 'b0', 'a1', 'b1', 'a2', 'b2', 'a3', 'b3']);
  });

  it('refuses a bad signature in the middle of a batch alone', async () => {
    const app = new BatchLedger(1000n);
    const pool = batchPool(app);
    const txs = [
      tx({ sender: 'a', sequence: 0, gas: 1, fee: 1 }),
      tx({ sender: 'b', sequence: 0, gas: 1, fee: 1 }),
      tx({ sender: 'c', sequence: 0, gas: 1, fee: 1, tag: 'badsig' }),
      tx({ sender: 'd', sequence: 0, gas: 1, fee: 1 }),
      tx({ sender: 'a', sequence: 1, gas: 1, fee: 1 }),
    ];
    const results = await pool.addMany(txs);
    assert.deepEqual(results.map(outcome), ['ok', 'ok', 'CHECK_FAILED', 'ok', 'ok']);
    const refused = results[2];
    assert.ok(refused !== undefined && !refused.ok && refused.reason === 'CHECK_FAILED');
    assert.equal(refused.code, 4, 'the app’s code is passed through');
    assert.deepEqual(app.batches, [5]);
    assert.equal(pool.size, 4);
    assert.equal(pool.has(txHashHex(txs[2] as Uint8Array)), false, 'the bad tx is not held');
  });

  it('a duplicate inside a batch is refused as DUPLICATE and checked once; its peer is remembered', async () => {
    const app = new BatchLedger(1000n);
    const pool = batchPool(app);
    const a0 = tx({ sender: 'a', sequence: 0, gas: 1, fee: 1 });
    const b0 = tx({ sender: 'b', sequence: 0, gas: 1, fee: 1 });
    const results = await Promise.all([
      pool.add(a0, { fromPeer: 'p1' }),
      pool.add(b0, { fromPeer: 'p1' }),
      pool.add(a0, { fromPeer: 'p2' }),
      pool.add(b0, { fromPeer: 'p3' }),
    ]);
    assert.deepEqual(results.map(outcome), ['ok', 'ok', 'DUPLICATE', 'DUPLICATE']);
    assert.equal(app.calls.length, 2, 'each distinct tx is checked once');
    assert.ok(pool.peerHas(txHashHex(a0), 'p2'), 'p2 is remembered as having a0');
    assert.ok(pool.peerHas(txHashHex(b0), 'p3'), 'p3 is remembered as having b0');
    // Already held before the batch: refused without a check.
    const again = await pool.addMany([a0, tx({ sender: 'c', sequence: 0, gas: 1, fee: 1 })]);
    assert.deepEqual(again.map(outcome), ['DUPLICATE', 'ok']);
    assert.equal(app.calls.length, 3);
  });

  it('a full mempool refuses the batch’s txs that do not fit and evicts only for better ones', async () => {
    const app = new BatchLedger(1000n);
    const removed: RemovedTxEvent[] = [];
    const pool = new Mempool(
      { ...roomy, maxTxs: 3 },
      { checkTx: app.check, checkTxBatch: app.checkBatch, onRemovedTx: (e) => removed.push(e) },
    );
    const cheap = ['a', 'b', 'c', 'd', 'e'].map((sender) => tx({ sender, sequence: 0, gas: 10, fee: 10 }));
    const first = await pool.addMany(cheap);
    assert.deepEqual(first.map(outcome), ['ok', 'ok', 'ok', 'FULL', 'FULL']);
    const better = await pool.addMany([
      tx({ sender: 'f', sequence: 0, gas: 10, fee: 20 }),
      tx({ sender: 'g', sequence: 0, gas: 10, fee: 10 }),
    ]);
    assert.deepEqual(better.map(outcome), ['ok', 'FULL']);
    const evicted = better[0];
    assert.ok(evicted !== undefined && evicted.ok);
    assert.equal(evicted.evicted.length, 1, 'one cheaper tx made room');
    assert.deepEqual(
      removed.map((e) => e.reason),
      ['EVICTED'],
    );
    assert.equal(pool.size, 3);
  });

  it('sequence rules hold inside a batch (gap and taken), as one by one', async () => {
    const app = new BatchLedger(1000n);
    const pool = batchPool(app);
    const results = await pool.addMany([
      tx({ sender: 'a', sequence: 0, gas: 1, fee: 1 }),
      tx({ sender: 'a', sequence: 2, gas: 1, fee: 1 }),
      tx({ sender: 'a', sequence: 1, gas: 1, fee: 1 }),
    ]);
    // The app refuses sequence 2 (its check state expects 1): CHECK_FAILED, then 1 passes.
    assert.deepEqual(results.map(outcome), ['ok', 'CHECK_FAILED', 'ok']);
  });

  it('adds called before an update are checked before it, adds after it after its recheck', async () => {
    const calls: string[] = [];
    const check = (bytes: Uint8Array, mode: CheckMode): CheckResult => {
      const parsed = parse(bytes);
      assert.ok(parsed, 'test txs parse');
      calls.push(`${mode} ${parsed.sender}${parsed.sequence}`);
      return { ok: true, sender: parsed.sender, sequence: parsed.sequence, gasWanted: 1n, fee: 1n };
    };
    const pool = new Mempool(roomy, {
      checkTx: check,
      checkTxBatch: async (txs) => {
        await Promise.resolve();
        return txs.map((bytes) => check(bytes, 'new'));
      },
    });
    await pool.add(tx({ sender: 'a', sequence: 0, gas: 1, fee: 1 }));
    const before = pool.add(tx({ sender: 'b', sequence: 0, gas: 1, fee: 1 }));
    const update = pool.update(1, []);
    const after = pool.add(tx({ sender: 'c', sequence: 0, gas: 1, fee: 1 }));
    assert.equal(outcome(await before), 'ok');
    assert.deepEqual(await update, { removedCommitted: 0, removedInvalid: 0 });
    assert.equal(outcome(await after), 'ok');
    assert.deepEqual(calls, ['new a0', 'new b0', 'recheck a0', 'recheck b0', 'new c0']);
  });

  it('bounds a batch by maxCheckBatch', async () => {
    const app = new BatchLedger(1000n);
    const pool = batchPool(app, { maxCheckBatch: 3 });
    const txs = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((sender) =>
      tx({ sender, sequence: 0, gas: 1, fee: 1 }),
    );
    const results = await pool.addMany(txs);
    assert.deepEqual(results.map(outcome), Array<string>(7).fill('ok'));
    assert.deepEqual(app.batches, [3, 3, 1]);
  });

  it('reports an app whose checkTxBatch throws or answers the wrong number of results', async () => {
    const throwing = new Mempool(roomy, {
      checkTx: () => ({ ok: false, code: 1, log: 'unused' }),
      checkTxBatch: () => {
        throw new Error('boom');
      },
    });
    const a = tx({ sender: 'a', sequence: 0, gas: 1, fee: 1 });
    const b = tx({ sender: 'b', sequence: 0, gas: 1, fee: 1 });
    await assert.rejects(throwing.add(a), (error) => hasErrorCode(error, 'CHECK_TX_THREW'));
    const short = new Mempool(roomy, {
      checkTx: () => ({ ok: false, code: 1, log: 'unused' }),
      checkTxBatch: () => [],
    });
    await assert.rejects(short.addMany([a, b]), (error) => hasErrorCode(error, 'INVALID_CHECK_RESULT'));
    assert.equal(short.size, 0, 'nothing was added');
    assert.throws(
      () =>
        new Mempool(roomy, {
          checkTx: () => ({ ok: false, code: 1, log: 'unused' }),
          checkTxBatch: 5 as unknown as () => CheckResult[],
        }),
      (error) => hasErrorCode(error, 'INVALID_CONFIG'),
    );
    assert.throws(
      () =>
        new Mempool({ ...roomy, maxCheckBatch: 0 }, { checkTx: () => ({ ok: false, code: 1, log: 'x' }) }),
      (error) => hasErrorCode(error, 'INVALID_CONFIG'),
    );
  });

  it('the ABCI adapter passes an app’s checkTxBatch through with mode new', async () => {
    const seen: string[] = [];
    const respond = (t: Uint8Array) => ({
      code: 0,
      log: '',
      gasWanted: 1n,
      sender: `s${t[0] ?? 0}`,
      sequence: 0n,
      priority: 1n,
    });
    const adapted = mempoolAppFromAbci({
      checkTx: (request) => {
        seen.push(`single ${request.type}`);
        return respond(request.tx);
      },
      checkTxBatch: (requests) => {
        seen.push(`batch ${requests.map((r) => r.type).join(',')}`);
        return requests.map((r) => respond(r.tx));
      },
    });
    const pool = new Mempool(roomy, adapted);
    const results = await pool.addMany([new Uint8Array([1]), new Uint8Array([2])]);
    assert.deepEqual(results.map(outcome), ['ok', 'ok']);
    assert.deepEqual(seen, ['batch new,new']);
    assert.equal('checkTxBatch' in mempoolAppFromAbci({ checkTx: (r) => respond(r.tx) }), false);
  });

  it('gives the same results and pool as adding one by one (random workloads)', async () => {
    const txArb = fc.record({
      sender: fc.constantFrom('a', 'b', 'c', 'd'),
      sequence: fc.integer({ min: 0, max: 4 }),
      gas: fc.integer({ min: 1, max: 5 }),
      fee: fc.integer({ min: 0, max: 30 }),
      tag: fc.constantFrom('', '', '', 'badsig'),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(txArb, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 4 }),
        async (rounds, maxCheckBatch) => {
          const config = { ...roomy, maxTxs: 6, maxCheckBatch };
          const serialApp = new BatchLedger(60n);
          const batchApp = new BatchLedger(60n);
          const serial = new Mempool(config, { checkTx: serialApp.check });
          const batched = batchPool(batchApp, config);
          for (const [r, round] of rounds.entries()) {
            const txs = round.map((fields) => tx(fields));
            // Duplicates on purpose: every round resends its first tx.
            txs.push(txs[0] as Uint8Array);
            const one: AddResult[] = [];
            for (const bytes of txs) one.push(await serial.add(bytes));
            const many = await batched.addMany(txs);
            assert.deepEqual(many, one, `round ${r}: same add results`);
            assert.deepEqual(batched.reap(), serial.reap(), `round ${r}: same reap`);
            if (r % 2 === 1) {
              const block = serial.reap({ maxTxs: 3 });
              serialApp.commit(block);
              batchApp.commit(block);
              assert.deepEqual(
                await batched.update(r, block),
                await serial.update(r, block),
                `round ${r}: update`,
              );
            }
          }
          assert.deepEqual(
            batchApp.calls.map((c) => `${c.mode} ${txHashHex(c.bytes)}`),
            serialApp.calls.map((c) => `${c.mode} ${txHashHex(c.bytes)}`),
            'the app saw the same checks',
          );
        },
      ),
      { numRuns: 150, seed: 7 },
    );
  });
});

describe('mempool commit lock (Lock, Commit, Update, Unlock)', () => {
  it('finishes the batch in flight, holds later adds until update has rechecked, then checks them', async () => {
    const app = new BatchLedger(1000n);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const pool = new Mempool(roomy, {
      checkTx: app.check,
      checkTxBatch: async (txs) => {
        await gate; // a signature worker still busy when the block commits
        return app.checkBatch(txs);
      },
    });
    const a0 = tx({ sender: 'a', sequence: 0, gas: 1, fee: 1 });
    const a1 = tx({ sender: 'a', sequence: 1, gas: 1, fee: 1 });
    const a2 = tx({ sender: 'a', sequence: 2, gas: 1, fee: 1 });
    const inFlight = pool.addMany([a0, a1]);
    const locked = pool.lockForCommit();
    const held = pool.add(a2); // arrives during the commit
    release();
    await locked;
    assert.deepEqual((await inFlight).map(outcome), ['ok', 'ok'], 'the batch in flight finished first');
    assert.equal(pool.size, 2, 'a2 waits while the lock is held');
    app.commit([a0]); // the app commits a0 and resets its check state
    assert.deepEqual(await pool.update(1, [a0]), { removedCommitted: 1, removedInvalid: 0 });
    assert.equal(outcome(await held), 'ok', 'a2 is checked after the recheck restored a1');
    assert.deepEqual(
      app.calls.map((c) => `${c.mode} ${label(c.bytes)}`),
      ['new a0', 'new a1', 'recheck a1', 'new a2'],
    );
  });

  it('without the lock, an add checked between the app commit and update is refused (why it exists)', async () => {
    const app = new BatchLedger(1000n);
    const pool = batchPool(app);
    const a0 = tx({ sender: 'a', sequence: 0, gas: 1, fee: 1 });
    const a1 = tx({ sender: 'a', sequence: 1, gas: 1, fee: 1 });
    assert.deepEqual((await pool.addMany([a0, a1])).map(outcome), ['ok', 'ok']);
    app.commit([a0]);
    const early = await pool.add(tx({ sender: 'a', sequence: 2, gas: 1, fee: 1 }));
    assert.equal(outcome(early), 'CHECK_FAILED', 'a1 is not in the reset check state yet');
  });

  it('unlock releases the held adds when the commit failed; a second lock is refused', async () => {
    const app = new BatchLedger(1000n);
    const pool = batchPool(app);
    await pool.lockForCommit();
    assert.throws(
      () => void pool.lockForCommit(),
      (error) => hasErrorCode(error, 'INVALID_ARGUMENT'),
    );
    const held = pool.add(tx({ sender: 'a', sequence: 0, gas: 1, fee: 1 }));
    await Promise.resolve();
    assert.equal(app.calls.length, 0, 'held while locked');
    pool.unlock();
    assert.equal(outcome(await held), 'ok');
    pool.unlock(); // idempotent
    await pool.lockForCommit(); // can be taken again
    pool.unlock();
  });
});
