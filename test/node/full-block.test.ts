// ADR 012: with a full block (consensus.maxBlockTxs) already waiting in the mempool, the next
// height starts as soon as the last one is executed instead of after timeoutCommitMs; below a
// full block the target block time holds. Block times are the proposers' header times.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCappedNode } from './capped-node.js';

const CAP = 3;
/** Three full blocks and one tx left over. */
const TXS = 10;
/** Long enough that waiting it between the full blocks cannot pass for starting early. */
const TIMEOUT_COMMIT_MS = 4000;

describe('consensus node: a full block waiting skips timeout_commit', () => {
  it(`full blocks of ${CAP} follow each other without the ${TIMEOUT_COMMIT_MS} ms wait; a partial one waits`, async () => {
    const { node, txs, close } = await startCappedNode({
      chainId: 'full-block',
      portBase: 46_100,
      timeoutCommitMs: TIMEOUT_COMMIT_MS,
      maxBlockTxs: CAP,
      count: TXS,
    });
    try {
      // Submitted right after a commit, so all of them wait for the same next height.
      await node.waitForHeight(node.blocks.height() + 1n, 30_000);
      for (const [i, tx] of txs.entries()) {
        const answer = await node.submit(tx.txBytes);
        assert.equal(answer.code, 0, `tx ${i}: ${answer.log}`);
      }
      const deadline = Date.now() + 90_000;
      while (txs.some((tx) => node.blocks.findTx(tx.hash) === undefined)) {
        assert.ok(Date.now() < deadline, 'every tx committed within 90 s');
        await node.waitForHeight(node.blocks.height() + 1n, 30_000);
      }
      // One more block: the one after the partial block, for its interval.
      const last = node.blocks.findTx(txs.at(-1)!.hash)!.height;
      await node.waitForHeight(last + 1n, 30_000);
      const heights = [0, 1, 2, 3].map((k) => node.blocks.findTx(txs[CAP * k]!.hash)!.height);
      const blocks = [...heights, last + 1n].map((h) => node.blocks.load(h)!);
      const sizes = blocks.map((b) => b.txs.length);
      assert.deepEqual(sizes, [CAP, CAP, CAP, TXS - 3 * CAP, 0], `block sizes ${sizes.join(',')}`);
      const gapsMs = blocks
        .slice(1)
        .map((b, k) => Number(b.header.timeNanos - blocks[k]!.header.timeNanos) / 1e6);
      const shown = gapsMs.map((g) => g.toFixed(0)).join(', ');
      // After full block 1 the mempool held 7 ≥ 3, after block 2 held 4 ≥ 3: no wait.
      assert.ok(gapsMs[0]! < TIMEOUT_COMMIT_MS / 2, `1st full block -> 2nd without the wait (ms: ${shown})`);
      assert.ok(gapsMs[1]! < TIMEOUT_COMMIT_MS / 2, `2nd full block -> 3rd without the wait (ms: ${shown})`);
      // After block 3 one tx was left (< 3), after block 4 none: the target block time holds.
      assert.ok(gapsMs[2]! >= TIMEOUT_COMMIT_MS * 0.9, `3rd full block -> partial waited (ms: ${shown})`);
      assert.ok(gapsMs[3]! >= TIMEOUT_COMMIT_MS * 0.9, `partial -> empty waited (ms: ${shown})`);
    } finally {
      await close();
    }
  });
});
