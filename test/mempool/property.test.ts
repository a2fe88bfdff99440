// Property test of the mempool: whatever sequence of adds (new txs, gossip re-sends, txs that
// skip or reuse a sequence), commits (reap → execute → update, sometimes with a tx the pool
// never saw) and reaps, the invariants hold after every step: bounds, no duplicates, consecutive
// per-sender chains, nothing recently committed in the pool, evictions only of strictly worse
// txs, and reaps in the documented order within their limits.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Mempool, type MempoolConfig, type MempoolTx } from '../../src/mempool/index.js';
import { LedgerApp, parse, reapOrderViolation, tx } from './helpers.js';

const config: MempoolConfig = { maxTxs: 8, maxBytes: 400, maxTxBytes: 120, cacheSize: 5, maxPeersPerTx: 2 };
const SENDERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace'];

type Op =
  | {
      kind: 'add';
      sender: number;
      sequenceOffset: number;
      gas: number;
      fee: number;
      amount: number;
      pad: number;
      peer: number | undefined;
    }
  | { kind: 'resend'; pick: number; peer: number | undefined }
  | { kind: 'commit'; maxTxs: number; foreignSender: number | undefined }
  | { kind: 'reap'; maxBytes: number | undefined; maxGas: number | undefined };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      sender: fc.nat({ max: SENDERS.length - 1 }),
      sequenceOffset: fc.constantFrom(0, 0, 0, 0, 1, -1),
      gas: fc.integer({ min: 1, max: 5 }),
      fee: fc.nat({ max: 20 }),
      amount: fc.nat({ max: 30 }),
      pad: fc.oneof(
        { weight: 9, arbitrary: fc.nat({ max: 60 }) },
        { weight: 1, arbitrary: fc.nat({ max: 130 }) },
      ),
      peer: fc.option(fc.nat({ max: 3 }), { nil: undefined }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('resend' as const),
      pick: fc.nat(),
      peer: fc.option(fc.nat({ max: 3 }), { nil: undefined }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('commit' as const),
      maxTxs: fc.nat({ max: 6 }),
      foreignSender: fc.option(fc.nat({ max: SENDERS.length - 1 }), { nil: undefined, freq: 4 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('reap' as const),
      maxBytes: fc.option(fc.nat({ max: 450 }), { nil: undefined }),
      maxGas: fc.option(fc.nat({ max: 15 }), { nil: undefined }),
    }),
  },
);

function checkPoolInvariants(pool: Mempool, step: string): void {
  const all = pool.txs();
  assert.ok(pool.size <= config.maxTxs, `${step}: size ${pool.size} over maxTxs`);
  assert.ok(pool.bytes <= config.maxBytes, `${step}: bytes ${pool.bytes} over maxBytes`);
  assert.equal(all.length, pool.size, `${step}: txs() length`);
  assert.equal(
    all.reduce((sum, item) => sum + item.bytes.length, 0),
    pool.bytes,
    `${step}: bytes is the sum of tx sizes`,
  );
  assert.equal(new Set(all.map((item) => item.hash)).size, all.length, `${step}: duplicate hash`);
  for (let i = 1; i < all.length; i++) {
    assert.ok(
      (all[i - 1] as MempoolTx).arrival < (all[i] as MempoolTx).arrival,
      `${step}: txs() in arrival order`,
    );
  }
  for (const item of all) {
    assert.equal(pool.isRecentlyCommitted(item.hash), false, `${step}: committed ${item.hash} still pending`);
    assert.ok(item.bytes.length <= config.maxTxBytes, `${step}: tx over maxTxBytes`);
  }
  for (const sender of SENDERS) {
    const chain = pool.txsOf(sender);
    for (let i = 1; i < chain.length; i++) {
      const previous = chain[i - 1] as MempoolTx;
      const current = chain[i] as MempoolTx;
      assert.equal(current.sequence, previous.sequence + 1n, `${step}: ${sender}'s chain is not consecutive`);
      assert.ok(previous.arrival < current.arrival, `${step}: ${sender}'s chain arrived out of order`);
    }
  }
}

function checkReap(
  pool: Mempool,
  maxBytes: number | undefined,
  maxGas: bigint | undefined,
  step: string,
): MempoolTx[] {
  const out = pool.reapTxs({ maxBytes, maxGas });
  const violation = reapOrderViolation(out, (sender) => pool.txsOf(sender)[0]?.sequence);
  assert.equal(violation, undefined, `${step}: ${violation ?? ''}`);
  const bytes = out.reduce((sum, item) => sum + item.bytes.length, 0);
  const gas = out.reduce((sum, item) => sum + item.gasWanted, 0n);
  if (maxBytes !== undefined) assert.ok(bytes <= maxBytes, `${step}: reap over maxBytes`);
  if (maxGas !== undefined) assert.ok(gas <= maxGas, `${step}: reap over maxGas`);
  // Greedy fill: the first tx left out of each chain did not fit in what was left of the block.
  for (const sender of SENDERS) {
    const taken = out.filter((item) => item.sender === sender).length;
    const next = pool.txsOf(sender)[taken];
    if (next === undefined) continue;
    const fits =
      (maxBytes === undefined || bytes + next.bytes.length <= maxBytes) &&
      (maxGas === undefined || gas + next.gasWanted <= maxGas);
    assert.ok(!fits, `${step}: ${sender}#${next.sequence} was left out although it fits`);
  }
  if (maxBytes === undefined && maxGas === undefined) {
    assert.equal(out.length, pool.size, `${step}: an unlimited reap returns every tx`);
  }
  return out;
}

/**
 * A FULL refusal is right only if evicting everything evictable would still not make room:
 * per other sender, the longest chain suffix whose txs all pay strictly less per gas.
 */
function assertReallyFull(pool: Mempool, bytes: Uint8Array, step: string): void {
  const parsed = parse(bytes);
  assert.ok(parsed, `${step}: FULL for a tx the app accepted`);
  let freeCount = config.maxTxs - pool.size;
  let freeBytes = config.maxBytes - pool.bytes;
  for (const sender of SENDERS) {
    if (sender === parsed.sender) continue;
    const chain = pool.txsOf(sender);
    for (let i = chain.length - 1; i >= 0; i--) {
      const item = chain[i] as MempoolTx;
      if (!(item.priority.numerator * parsed.gasWanted < parsed.fee * item.priority.denominator)) break;
      freeCount++;
      freeBytes += item.bytes.length;
    }
  }
  assert.ok(
    freeCount < 1 || freeBytes < bytes.length,
    `${step}: FULL although evicting worse txs would make room`,
  );
}

async function runScenario(ops: Op[]): Promise<void> {
  const app = new LedgerApp(200n);
  const pool = new Mempool(config, { checkTx: app.checkTx });
  const seen: Uint8Array[] = []; // every tx ever offered, for gossip re-sends
  let height = 0;
  let counter = 0;
  for (const [index, op] of ops.entries()) {
    const step = `step ${index} ${op.kind}`;
    if (op.kind === 'add' || op.kind === 'resend') {
      let bytes: Uint8Array;
      if (op.kind === 'add') {
        const sender = SENDERS[op.sender] as string;
        const sequence = Number(app.expectedSequence(sender)) + op.sequenceOffset;
        if (sequence < 0) continue;
        bytes = tx({
          sender,
          sequence,
          gas: op.gas,
          fee: op.fee,
          amount: op.amount,
          pad: op.pad,
          tag: `${counter++}`,
        });
        seen.push(bytes);
      } else {
        if (seen.length === 0) continue;
        bytes = seen[op.pick % seen.length] as Uint8Array;
      }
      const before = new Map(pool.txs().map((item) => [item.hash, item]));
      const result = await pool.add(bytes, {
        fromPeer: op.peer === undefined ? undefined : `peer${op.peer}`,
      });
      if (result.ok) {
        assert.ok(pool.has(result.hash), `${step}: added tx is pending`);
        const added = pool.get(result.hash) as MempoolTx;
        for (const hash of result.evicted) {
          const victim = before.get(hash);
          assert.ok(
            victim !== undefined && !pool.has(hash),
            `${step}: evicted ${hash} was pending and is gone`,
          );
          assert.ok(
            victim.priority.numerator * added.priority.denominator <
              added.priority.numerator * victim.priority.denominator,
            `${step}: evicted a tx not strictly worse than the newcomer`,
          );
        }
        assert.equal(pool.size, before.size + 1 - result.evicted.length, `${step}: size after add`);
      } else {
        assert.equal(pool.size, before.size, `${step}: a refused add changes nothing (${result.reason})`);
        if (before.has(result.hash)) assert.equal(result.reason, 'DUPLICATE', `${step}: pending tx re-sent`);
        if (pool.isRecentlyCommitted(result.hash)) assert.equal(result.reason, 'ALREADY_COMMITTED', step);
        if (result.reason === 'FULL') assertReallyFull(pool, bytes, step);
      }
      if (op.peer !== undefined && pool.has(result.hash)) {
        // Remembered, unless the tx already had maxPeersPerTx peers (then it may be forgotten).
        const known = [0, 1, 2, 3].filter((peer) => pool.peerHas(result.hash, `peer${peer}`));
        assert.ok(known.length <= 2, `${step}: more peers remembered than maxPeersPerTx`);
      }
    } else if (op.kind === 'commit') {
      const block = pool.reap({ maxTxs: op.maxTxs, maxBytes: 300, maxGas: 12n });
      if (op.foreignSender !== undefined) {
        // A tx from another node's mempool that uses the sender's current committed sequence.
        const sender = SENDERS[op.foreignSender] as string;
        const committedSequence = pool.txsOf(sender)[0]?.sequence;
        if (committedSequence !== undefined) {
          block.unshift(
            tx({ sender, sequence: Number(committedSequence), gas: 1, fee: 1, tag: `x${counter++}` }),
          );
        }
      }
      const pendingBefore = pool.txs().map((item) => item.bytes);
      app.commit(block);
      height++;
      await pool.update(height, block);
      // Exactly the txs a replay on the committed state keeps: nothing valid lost, nothing invalid kept.
      const bytesOf = (item: MempoolTx) => item.bytes;
      assert.deepEqual(
        pool.txs().map(bytesOf),
        app.survivors(pendingBefore, new Set(block)),
        `${step}: survivors`,
      );
      for (const bytes of block) {
        assert.equal(
          pool.txs().some((item) => item.bytes === bytes),
          false,
          `${step}: committed tx still pending`,
        );
      }
      // After the recheck every pending tx is valid against the new state, in arrival order.
      const invalid = app.firstInvalid(pool.txs().map((item) => item.bytes));
      assert.equal(invalid, -1, `${step}: pending tx ${invalid} is invalid after the recheck`);
    } else {
      checkReap(pool, op.maxBytes, op.maxGas === undefined ? undefined : BigInt(op.maxGas), step);
    }
    checkPoolInvariants(pool, step);
    checkReap(pool, undefined, undefined, `${step} (full reap)`);
  }
}

describe('mempool properties', () => {
  it('invariants hold for any sequence of adds, commits and reaps', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArbitrary, { minLength: 1, maxLength: 80, size: 'max' }), runScenario),
      { numRuns: 300, seed: 20261127 },
    );
  });
});
