import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { txHashHex } from '../../src/codec/index.js';
import { hasErrorCode } from '../../src/errors.js';
import { Mempool, type CheckResult, type MempoolConfig, type NewTxEvent } from '../../src/mempool/index.js';
import { LedgerApp, parse, permissiveCheck, reapOrderViolation, tx } from './helpers.js';

const roomy: MempoolConfig = { maxTxs: 100, maxBytes: 100_000, maxTxBytes: 1000, cacheSize: 100 };

function permissivePool(config: Partial<MempoolConfig> = {}, onNewTx?: (event: NewTxEvent) => void): Mempool {
  return new Mempool({ ...roomy, ...config }, { checkTx: permissiveCheck, onNewTx });
}

function label(bytes: Uint8Array): string {
  const parsed = parse(bytes);
  assert.ok(parsed, 'reaped bytes parse');
  return `${parsed.sender}${parsed.sequence}`;
}

async function addOk(pool: Mempool, bytes: Uint8Array, fromPeer?: string): Promise<string> {
  const result = await pool.add(bytes, { fromPeer });
  assert.ok(result.ok, `add should succeed, got ${JSON.stringify(result)}`);
  return result.hash;
}

describe('mempool ordering', () => {
  it('reaps by fee per gas (exact rational), then arrival', async () => {
    const pool = permissivePool();
    await addOk(pool, tx({ sender: 'a', sequence: 0, gas: 1, fee: 1 })); // 1
    await addOk(pool, tx({ sender: 'b', sequence: 0, gas: 2, fee: 3 })); // 1.5
    await addOk(pool, tx({ sender: 'c', sequence: 0, gas: 3, fee: 5 })); // 1.666…
    await addOk(pool, tx({ sender: 'd', sequence: 0, gas: 200, fee: 300 })); // 1.5, later than b
    await addOk(pool, tx({ sender: 'e', sequence: 0, gas: 7, fee: 0 })); // 0
    assert.deepEqual(pool.reap().map(label), ['c0', 'b0', 'd0', 'a0', 'e0']);
  });

  it("keeps a sender's sequence order even when a later sequence pays more", async () => {
    const pool = permissivePool();
    await addOk(pool, tx({ sender: 'a', sequence: 0, gas: 1, fee: 1 }));
    await addOk(pool, tx({ sender: 'a', sequence: 1, gas: 1, fee: 100 }));
    await addOk(pool, tx({ sender: 'b', sequence: 5, gas: 1, fee: 10 }));
    await addOk(pool, tx({ sender: 'a', sequence: 2, gas: 1, fee: 50 }));
    const out = pool.reapTxs();
    // The chain a0 → a1 → a2 competes through its head: b5 (10) beats a0 (1); then a1 (100), a2.
    assert.deepEqual(
      out.map((item) => `${item.sender}${item.sequence}`),
      ['b5', 'a0', 'a1', 'a2'],
    );
    assert.equal(
      reapOrderViolation(out, (sender) => pool.txsOf(sender)[0]?.sequence),
      undefined,
    );
  });

  it('the reap-order checker itself catches a wrong order', () => {
    const base = { bytes: new Uint8Array(1), hash: '', gasWanted: 1n };
    const good = [
      { ...base, sender: 'a', sequence: 0n, priority: { numerator: 5n, denominator: 1n }, arrival: 0 },
      { ...base, sender: 'b', sequence: 0n, priority: { numerator: 3n, denominator: 1n }, arrival: 1 },
    ];
    assert.equal(
      reapOrderViolation(good, () => 0n),
      undefined,
    );
    assert.match(reapOrderViolation([...good].reverse(), () => 0n) ?? '', /better available/);
    assert.match(
      reapOrderViolation(
        [{ ...base, sender: 'a', sequence: 1n, priority: { numerator: 1n, denominator: 1n }, arrival: 0 }],
        () => 0n,
      ) ?? '',
      /expected 0/,
    );
  });

  it('orders by an app-computed integer priority when the app gives one', async () => {
    const pool = new Mempool(roomy, {
      checkTx: (bytes) => {
        const parsed = parse(bytes);
        assert.ok(parsed, 'test tx parses');
        // priority = fee (not divided by gas): a big-gas tx with a big fee wins.
        return {
          ok: true,
          sender: parsed.sender,
          sequence: parsed.sequence,
          gasWanted: parsed.gasWanted,
          priority: parsed.fee,
        };
      },
    });
    await addOk(pool, tx({ sender: 'a', sequence: 0, gas: 1, fee: 5 }));
    await addOk(pool, tx({ sender: 'b', sequence: 0, gas: 100, fee: 6 }));
    await addOk(pool, tx({ sender: 'c', sequence: 0, gas: 1, fee: 5 }));
    assert.deepEqual(pool.reap().map(label), ['b0', 'a0', 'c0']);
    assert.deepEqual(pool.get(txHashHex(tx({ sender: 'b', sequence: 0, gas: 100, fee: 6 })))?.priority, {
      numerator: 6n,
      denominator: 1n,
    });
  });

  it('is deterministic: the same adds give the same reap', async () => {
    const run = async () => {
      const pool = permissivePool();
      for (let i = 0; i < 30; i++) {
        await pool.add(
          tx({ sender: `s${i % 7}`, sequence: Math.floor(i / 7), gas: 1 + (i % 3), fee: (i * 7) % 5 }),
        );
      }
      return pool.reap().map(label);
    };
    assert.deepEqual(await run(), await run());
  });
});

describe('mempool reap limits', () => {
  it('respects maxBytes and maxGas, skipping a chain that does not fit but filling with others', async () => {
    const pool = permissivePool();
    await addOk(pool, tx({ sender: 'big', sequence: 0, gas: 1, fee: 100, pad: 200 }));
    await addOk(pool, tx({ sender: 'big', sequence: 1, gas: 1, fee: 100 }));
    await addOk(pool, tx({ sender: 'x', sequence: 0, gas: 1, fee: 5 }));
    await addOk(pool, tx({ sender: 'y', sequence: 0, gas: 1, fee: 4 }));
    const bySize = pool.reap({ maxBytes: 100 });
    assert.deepEqual(bySize.map(label), ['x0', 'y0'], 'big0 is too large; big1 cannot go without it');
    assert.ok(bySize.reduce((sum, item) => sum + item.length, 0) <= 100);

    const gasPool = permissivePool();
    await addOk(gasPool, tx({ sender: 'a', sequence: 0, gas: 6, fee: 60 })); // 10/gas
    await addOk(gasPool, tx({ sender: 'b', sequence: 0, gas: 5, fee: 45 })); // 9/gas
    await addOk(gasPool, tx({ sender: 'c', sequence: 0, gas: 4, fee: 32 })); // 8/gas
    assert.deepEqual(gasPool.reap({ maxGas: 10n }).map(label), ['a0', 'c0']);
    assert.deepEqual(gasPool.reap({ maxGas: 0n }), []);
    assert.deepEqual(gasPool.reap({ maxTxs: 2 }).map(label), ['a0', 'b0']);
    assert.equal(gasPool.size, 3, 'reap does not remove');
  });

  it('refuses negative limits', async () => {
    const pool = permissivePool();
    await addOk(pool, tx({ sender: 'a', sequence: 0, gas: 1, fee: 1 }));
    for (const limits of [{ maxBytes: -1 }, { maxGas: -1n }, { maxTxs: -1 }, { maxBytes: Number.NaN }]) {
      assert.throws(
        () => pool.reap(limits),
        (error) => hasErrorCode(error, 'INVALID_ARGUMENT'),
        `limits ${String(Object.values(limits)[0])}`,
      );
    }
  });
});

describe('mempool bounds and eviction', () => {
  it('bounded by count: a better tx evicts the worst, a worse or equal one is refused', async () => {
    const pool = permissivePool({ maxTxs: 3 });
    const low = await addOk(pool, tx({ sender: 'a', sequence: 0, gas: 1, fee: 1 }));
    await addOk(pool, tx({ sender: 'b', sequence: 0, gas: 1, fee: 5 }));
    await addOk(pool, tx({ sender: 'c', sequence: 0, gas: 1, fee: 3 }));
    const better = await pool.add(tx({ sender: 'd', sequence: 0, gas: 1, fee: 2 }));
    assert.ok(better.ok);
    assert.deepEqual(better.evicted, [low]);
    assert.equal(pool.has(low), false);
    assert.equal(pool.size, 3);
    const equal = await pool.add(tx({ sender: 'e', sequence: 0, gas: 2, fee: 4 })); // 2/gas = worst
    assert.equal(equal.ok ? 'ok' : equal.reason, 'FULL');
    const worse = await pool.add(tx({ sender: 'e', sequence: 0, gas: 1, fee: 0 }));
    assert.equal(worse.ok ? 'ok' : worse.reason, 'FULL');
    assert.deepEqual(pool.reap().map(label), ['b0', 'c0', 'd0']);
  });

  it('bounded by bytes: evicts as many worse txs as needed, or none at all', async () => {
    const size = tx({ sender: 'a', sequence: 0, gas: 1, fee: 1, pad: 50 }).length;
    const pool = permissivePool({ maxBytes: size * 3, maxTxBytes: size * 2 + 10 });
    const a = await addOk(pool, tx({ sender: 'a', sequence: 0, gas: 1, fee: 1, pad: 50 }));
    const b = await addOk(pool, tx({ sender: 'b', sequence: 0, gas: 1, fee: 2, pad: 50 }));
    await addOk(pool, tx({ sender: 'c', sequence: 0, gas: 1, fee: 9, pad: 50 }));
    assert.equal(pool.bytes, size * 3);
    // Needs two slots' worth of bytes; only a (1) and b (2) are worse than 3/gas.
    const wide = tx({ sender: 'w', sequence: 0, gas: 1, fee: 3, pad: 50 + size });
    const result = await pool.add(wide);
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(result.evicted, [a, b]);
    assert.equal(pool.bytes, size + wide.length);
    // One byte more than w frees: c (9/gas) would have to go too. Refused, and w stays.
    const before = pool.txs().map((item) => item.hash);
    const refused = await pool.add(tx({ sender: 'v', sequence: 0, gas: 1, fee: 8, pad: 51 + size }));
    assert.equal(refused.ok ? 'ok' : refused.reason, 'FULL');
    assert.deepEqual(
      pool.txs().map((item) => item.hash),
      before,
    );
  });

  it('evicts only chain tails and never the incoming sender’s own chain', async () => {
    const pool = permissivePool({ maxTxs: 3 });
    await addOk(pool, tx({ sender: 'a', sequence: 0, gas: 1, fee: 1 }));
    const a1 = await addOk(pool, tx({ sender: 'a', sequence: 1, gas: 1, fee: 2 }));
    await addOk(pool, tx({ sender: 'b', sequence: 0, gas: 1, fee: 3 }));
    // a0 is the cheapest, but evicting it would strand a1: the tail a1 goes instead.
    const result = await pool.add(tx({ sender: 'c', sequence: 0, gas: 1, fee: 10 }));
    assert.ok(result.ok);
    assert.deepEqual(result.evicted, [a1]);
    assert.deepEqual(
      pool.txsOf('a').map((item) => item.sequence),
      [0n],
    );

    const own = permissivePool({ maxTxs: 2, maxTxsPerSender: 10 });
    await addOk(own, tx({ sender: 'a', sequence: 0, gas: 1, fee: 1 }));
    await addOk(own, tx({ sender: 'a', sequence: 1, gas: 1, fee: 1 }));
    const next = await own.add(tx({ sender: 'a', sequence: 2, gas: 1, fee: 50 }));
    assert.equal(next.ok ? 'ok' : next.reason, 'FULL', 'its own predecessors cannot make room');
  });

  it('limits a sender’s chain length and the per-tx size', async () => {
    const pool = permissivePool({ maxTxsPerSender: 2, maxTxBytes: 40 });
    await addOk(pool, tx({ sender: 'a', sequence: 0, gas: 1, fee: 1 }));
    await addOk(pool, tx({ sender: 'a', sequence: 1, gas: 1, fee: 1 }));
    const third = await pool.add(tx({ sender: 'a', sequence: 2, gas: 1, fee: 1 }));
    assert.equal(third.ok ? 'ok' : third.reason, 'SENDER_LIMIT');
    const large = await pool.add(tx({ sender: 'b', sequence: 0, gas: 1, fee: 1, pad: 40 }));
    assert.equal(large.ok ? 'ok' : large.reason, 'TOO_LARGE');
    const empty = await pool.add(new Uint8Array(0));
    assert.equal(empty.ok ? 'ok' : empty.reason, 'EMPTY');
  });
});

describe('mempool admission', () => {
  it('drops duplicates and remembers which peer has them', async () => {
    const events: NewTxEvent[] = [];
    const pool = permissivePool({}, (event) => events.push(event));
    const bytes = tx({ sender: 'a', sequence: 0, gas: 1, fee: 1 });
    const hash = await addOk(pool, bytes, 'peer1');
    assert.equal(hash, txHashHex(bytes));
    const again = await pool.add(bytes, { fromPeer: 'peer2' });
    assert.equal(again.ok ? 'ok' : again.reason, 'DUPLICATE');
    assert.equal(pool.size, 1);
    assert.equal(events.length, 1, 'gossip announces a tx once');
    assert.deepEqual(events[0], { bytes, hash, fromPeer: 'peer1' });
    bytes[0] = 0; // the caller reusing its buffer does not change the pending tx
    assert.equal(txHashHex(pool.txs()[0]?.bytes ?? new Uint8Array()), hash, 'the pool kept its own copy');
    assert.ok(pool.peerHas(hash, 'peer1') && pool.peerHas(hash, 'peer2'));
    assert.equal(pool.peerHas(hash, 'peer3'), false);
    pool.markPeerHas(hash.toLowerCase(), 'peer3');
    assert.ok(pool.peerHas(hash, 'peer3'));
  });

  it('bounds the peers remembered per tx', async () => {
    const pool = permissivePool({ maxPeersPerTx: 2 });
    const bytes = tx({ sender: 'a', sequence: 0, gas: 1, fee: 1 });
    const hash = await addOk(pool, bytes, 'p1');
    await pool.add(bytes, { fromPeer: 'p2' });
    await pool.add(bytes, { fromPeer: 'p3' });
    assert.deepEqual(
      ['p1', 'p2', 'p3'].map((peer) => pool.peerHas(hash, peer)),
      [true, true, false],
    );
  });

  it('refuses recently committed txs, within a bounded cache', async () => {
    const pool = permissivePool({ cacheSize: 2 });
    const txs = [0, 1, 2].map((i) => tx({ sender: `s${i}`, sequence: 0, gas: 1, fee: 1 }));
    await addOk(pool, txs[0] as Uint8Array);
    const result = await pool.update(1, txs);
    assert.deepEqual(result, { removedCommitted: 1, removedInvalid: 0 });
    assert.equal(pool.size, 0);
    const late = await pool.add(txs[2] as Uint8Array);
    assert.equal(late.ok ? 'ok' : late.reason, 'ALREADY_COMMITTED');
    // cacheSize 2: the first of three committed hashes was forgotten.
    assert.equal(pool.isRecentlyCommitted(txHashHex(txs[0] as Uint8Array)), false);
    assert.ok((await pool.add(txs[0] as Uint8Array)).ok);
  });

  it('passes the app’s refusal through with its code and log', async () => {
    const pool = permissivePool();
    const result = await pool.add(new TextEncoder().encode('not a tx'));
    assert.ok(!result.ok && result.reason === 'CHECK_FAILED');
    assert.equal(result.code, 2);
    assert.equal(result.log, 'malformed tx');
    assert.equal(pool.size, 0);
  });

  it('refuses sequence gaps and taken sequences behind pending txs', async () => {
    const pool = permissivePool();
    await addOk(pool, tx({ sender: 'a', sequence: 4, gas: 1, fee: 1 }));
    const gap = await pool.add(tx({ sender: 'a', sequence: 6, gas: 1, fee: 1 }));
    assert.equal(gap.ok ? 'ok' : gap.reason, 'SEQUENCE_GAP');
    const taken = await pool.add(tx({ sender: 'a', sequence: 4, gas: 1, fee: 9, tag: 'replacement' }));
    assert.equal(taken.ok ? 'ok' : taken.reason, 'SEQUENCE_TAKEN');
    await addOk(pool, tx({ sender: 'a', sequence: 5, gas: 1, fee: 1 }));
  });

  it('checks each tx once even when two peers deliver it at the same time', async () => {
    let calls = 0;
    const pool = new Mempool(roomy, {
      checkTx: async (bytes) => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 5));
        return permissiveCheck(bytes);
      },
    });
    const bytes = tx({ sender: 'a', sequence: 0, gas: 1, fee: 1 });
    const results = await Promise.all([
      pool.add(bytes, { fromPeer: 'p1' }),
      pool.add(bytes, { fromPeer: 'p2' }),
    ]);
    assert.deepEqual(
      results.map((result) => (result.ok ? 'ok' : result.reason)),
      ['ok', 'DUPLICATE'],
    );
    assert.equal(calls, 1);
    assert.ok(pool.peerHas(txHashHex(bytes), 'p2'));
  });

  it('refuses with BUSY when too many adds wait for the app', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const pool = new Mempool(
      { ...roomy, maxPendingAdds: 1 },
      {
        checkTx: async (bytes) => {
          await gate;
          return permissiveCheck(bytes);
        },
      },
    );
    const first = pool.add(tx({ sender: 'a', sequence: 0, gas: 1, fee: 1 }));
    const second = await pool.add(tx({ sender: 'b', sequence: 0, gas: 1, fee: 1 }));
    assert.equal(second.ok ? 'ok' : second.reason, 'BUSY');
    release();
    assert.ok((await first).ok);
    assert.ok((await pool.add(tx({ sender: 'b', sequence: 0, gas: 1, fee: 1 }))).ok, 'room again');
  });
});

describe('mempool update and recheck', () => {
  it('drops txs a commit invalidated (the sender’s balance was spent) and keeps the rest', async () => {
    const app = new LedgerApp(10n);
    const pool = new Mempool(roomy, { checkTx: app.checkTx });
    // checkTx sees fees only: a0 (fee 1) and a1 (fee 2) both fit a balance of 10.
    await addOk(pool, tx({ sender: 'a', sequence: 0, gas: 1, fee: 1, amount: 8 }));
    const a1 = await addOk(pool, tx({ sender: 'a', sequence: 1, gas: 1, fee: 2 }));
    const b0 = await addOk(pool, tx({ sender: 'b', sequence: 0, gas: 1, fee: 1 }));
    const block = pool.reap({ maxTxs: 1 }); // a0 (1/gas, arrived first)
    assert.deepEqual(block.map(label), ['a0']);
    assert.equal(app.commit(block), 1);
    const result = await pool.update(1, block);
    // a0 executed: 10 - 1 - 8 leaves 1, below a1's fee of 2.
    assert.deepEqual(result, { removedCommitted: 1, removedInvalid: 1 });
    assert.equal(pool.has(a1), false);
    assert.ok(pool.has(b0));
    assert.deepEqual(
      app.calls.filter((call) => call.mode === 'recheck').map((call) => label(call.bytes)),
      ['a1', 'b0'],
      'rechecks run in arrival order',
    );
  });

  it('drops a failing tx together with its successors, and a committed tx with its predecessors', async () => {
    const app = new LedgerApp(100n);
    const pool = new Mempool(roomy, { checkTx: app.checkTx });
    await addOk(pool, tx({ sender: 'a', sequence: 0, gas: 1, fee: 1 }));
    await addOk(pool, tx({ sender: 'a', sequence: 1, gas: 1, fee: 1 }));
    await addOk(pool, tx({ sender: 'a', sequence: 2, gas: 1, fee: 1 }));
    // Another node's block used a's sequence 0 with different bytes: all of a's txs are now
    // one sequence behind, so a0 fails and a1, a2 go with it.
    const elsewhere = [tx({ sender: 'a', sequence: 0, gas: 1, fee: 1, tag: 'other' })];
    app.commit(elsewhere);
    assert.deepEqual(await pool.update(1, elsewhere), { removedCommitted: 0, removedInvalid: 3 });
    assert.equal(pool.size, 0);

    // Without recheck, committing a1 still removes a0 (sequence spent) but keeps a2.
    const lax = new Mempool({ ...roomy, recheck: false }, { checkTx: permissiveCheck });
    for (const sequence of [0, 1, 2]) await addOk(lax, tx({ sender: 'a', sequence, gas: 1, fee: 1 }));
    const result = await lax.update(1, [tx({ sender: 'a', sequence: 1, gas: 1, fee: 1 })]);
    assert.deepEqual(result, { removedCommitted: 2, removedInvalid: 0 });
    assert.deepEqual(
      lax.txsOf('a').map((item) => item.sequence),
      [2n],
    );
  });

  it('a tx refused by recheck because the app threw is dropped, not kept', async () => {
    let failRecheck = false;
    const pool = new Mempool(roomy, {
      checkTx: (bytes, mode): CheckResult => {
        if (mode === 'recheck' && failRecheck) throw new Error('app crashed');
        return permissiveCheck(bytes);
      },
    });
    await addOk(pool, tx({ sender: 'a', sequence: 0, gas: 1, fee: 1 }));
    failRecheck = true;
    assert.deepEqual(await pool.update(1, []), { removedCommitted: 0, removedInvalid: 1 });
  });

  it('an add that arrives during an update waits for the recheck to finish', async () => {
    const order: string[] = [];
    const pool = new Mempool(roomy, {
      checkTx: async (bytes, mode) => {
        order.push(`${mode}:${label(bytes)}`);
        await new Promise((resolve) => setTimeout(resolve, 2));
        return permissiveCheck(bytes);
      },
    });
    await addOk(pool, tx({ sender: 'a', sequence: 0, gas: 1, fee: 1 }));
    await addOk(pool, tx({ sender: 'b', sequence: 0, gas: 1, fee: 1 }));
    const update = pool.update(1, []);
    const add = pool.add(tx({ sender: 'c', sequence: 0, gas: 1, fee: 1 }));
    await Promise.all([update, add]);
    assert.deepEqual(order, ['new:a0', 'new:b0', 'recheck:a0', 'recheck:b0', 'new:c0']);
  });
});

describe('mempool removal events', () => {
  it('reports each tx that leaves, with why, after the operation', async () => {
    const events: string[] = [];
    const app = new LedgerApp(100n);
    const pool: Mempool = new Mempool(
      { ...roomy, maxTxs: 3 },
      {
        checkTx: app.checkTx,
        onRemovedTx: ({ hash, reason }) => {
          // The pool is consistent when the listener runs: the tx is already gone.
          assert.equal(pool.has(hash), false, `${reason} ${hash} still pending in the listener`);
          events.push(`${reason}:${hash.slice(0, 4)}`);
        },
      },
    );
    const a0 = await addOk(pool, tx({ sender: 'a', sequence: 0, gas: 1, fee: 1 }));
    const a1 = await addOk(pool, tx({ sender: 'a', sequence: 1, gas: 1, fee: 1 }));
    const b0 = await addOk(pool, tx({ sender: 'b', sequence: 0, gas: 1, fee: 1 }));
    const c0 = await addOk(pool, tx({ sender: 'c', sequence: 0, gas: 1, fee: 5 })); // evicts b0 (newest of equals)
    assert.deepEqual(events, [`EVICTED:${b0.slice(0, 4)}`]);
    const block = [
      tx({ sender: 'a', sequence: 0, gas: 1, fee: 1, tag: 'elsewhere' }),
      tx({ sender: 'c', sequence: 0, gas: 1, fee: 5 }),
    ];
    app.commit(block);
    await pool.update(1, block);
    assert.deepEqual(events.slice(1), [
      `COMMITTED:${c0.slice(0, 4)}`,
      `INVALID:${a0.slice(0, 4)}`,
      `INVALID:${a1.slice(0, 4)}`,
    ]);
    const d0 = await addOk(pool, tx({ sender: 'd', sequence: 0, gas: 1, fee: 1 }));
    await pool.clear();
    assert.deepEqual(events.slice(4), [`FLUSHED:${d0.slice(0, 4)}`]);
  });
});

describe('mempool bad input', () => {
  it('refuses invalid configs', () => {
    const bad: Partial<MempoolConfig>[] = [
      { maxTxs: 0 },
      { maxBytes: -1 },
      { maxTxBytes: 1.5 },
      { cacheSize: -1 },
      { maxTxBytes: 200_000 },
      { maxTxsPerSender: 0 },
      { maxPendingAdds: 0 },
    ];
    for (const config of bad) {
      assert.throws(
        () => new Mempool({ ...roomy, ...config }, { checkTx: permissiveCheck }),
        (error) => hasErrorCode(error, 'INVALID_CONFIG'),
        JSON.stringify(config),
      );
    }
  });

  it('refuses non-bytes txs and non-increasing heights', async () => {
    const pool = permissivePool();
    await assert.rejects(pool.add('tx' as unknown as Uint8Array), (error) =>
      hasErrorCode(error, 'INVALID_ARGUMENT'),
    );
    await pool.update(5, []);
    for (const height of [5, 4, 5.5, Number.NaN]) {
      await assert.rejects(
        pool.update(height, []),
        (error) => hasErrorCode(error, 'INVALID_ARGUMENT'),
        `${height}`,
      );
    }
    await assert.rejects(pool.update(6, ['x' as unknown as Uint8Array]), (error) =>
      hasErrorCode(error, 'INVALID_ARGUMENT'),
    );
  });

  it('reports an app that returns unusable results or throws', async () => {
    const results: CheckResult[] = [
      { ok: true, sender: 'a', sequence: 0n, gasWanted: 0n, fee: 1n },
      { ok: true, sender: '', sequence: 0n, gasWanted: 1n, fee: 1n },
      { ok: true, sender: 'a', sequence: -1n, gasWanted: 1n, fee: 1n },
      { ok: true, sender: 'a', sequence: 0n, gasWanted: 1n, fee: -1n },
      { ok: true, sender: 'a', sequence: 0n, gasWanted: 1n, priority: -1n },
      { ok: true, sender: 'a', sequence: 0n, gasWanted: 1n },
      { ok: true, sender: 'a', sequence: 0n, gasWanted: 1n, fee: 1n, priority: 1n },
    ];
    for (const result of results) {
      const pool = new Mempool(roomy, { checkTx: () => result });
      await assert.rejects(
        pool.add(new Uint8Array([1])),
        (error) => hasErrorCode(error, 'INVALID_CHECK_RESULT'),
        JSON.stringify(result, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value)),
      );
      assert.equal(pool.size, 0);
    }
    const throwing = new Mempool(roomy, {
      checkTx: () => {
        throw new Error('boom');
      },
    });
    await assert.rejects(throwing.add(new Uint8Array([1])), (error) => hasErrorCode(error, 'CHECK_TX_THREW'));
    // The mutex is released after a throw: the next add still runs.
    await assert.rejects(throwing.add(new Uint8Array([2])), (error) => hasErrorCode(error, 'CHECK_TX_THREW'));
  });

  it('clear empties the pool but keeps the committed cache', async () => {
    const pool = permissivePool();
    const committed = tx({ sender: 'z', sequence: 0, gas: 1, fee: 1 });
    await pool.update(1, [committed]);
    await addOk(pool, tx({ sender: 'a', sequence: 0, gas: 1, fee: 1 }));
    await pool.clear();
    assert.equal(pool.size, 0);
    assert.equal(pool.bytes, 0);
    assert.deepEqual(pool.reap(), []);
    const late = await pool.add(committed);
    assert.equal(late.ok ? 'ok' : late.reason, 'ALREADY_COMMITTED');
    await addOk(pool, tx({ sender: 'a', sequence: 0, gas: 1, fee: 1 }));
  });
});
