// consensus.maxBlockTxs caps what a proposal carries: txs submitted faster than blocks are made
// wait in the mempool for later blocks instead of making one huge block (bench/RESULTS.md
// "consensus": unbounded 2,000-3,000-tx proposals took 5-31 s to agree on and execute).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCappedNode } from './capped-node.js';

const CAP = 3;
const TXS = 10;

describe('consensus node: block tx cap', () => {
  it(`a proposal carries at most consensus.maxBlockTxs (${CAP}) txs; the rest follow`, async () => {
    const { node, txs, close } = await startCappedNode({
      chainId: 'block-cap',
      portBase: 46_000,
      timeoutCommitMs: 400,
      maxBlockTxs: CAP,
      count: TXS,
    });
    try {
      const start = node.blocks.height();
      const hashes: Uint8Array[] = [];
      // All at once, within one block interval: without the cap they would share a block.
      for (const [i, tx] of txs.entries()) {
        const answer = await node.submit(tx.txBytes);
        assert.equal(answer.code, 0, `tx ${i}: ${answer.log}`);
        hashes.push(tx.hash);
      }
      const deadline = Date.now() + 60_000;
      while (hashes.some((hash) => node.blocks.findTx(hash) === undefined)) {
        assert.ok(Date.now() < deadline, 'every tx committed within 60 s');
        await node.waitForHeight(node.blocks.height() + 1n, 30_000);
      }
      const sizes: number[] = [];
      for (let height = start + 1n; height <= node.blocks.height(); height++) {
        sizes.push(node.blocks.load(height)?.txs.length ?? -1);
      }
      assert.ok(
        sizes.every((size) => size >= 0 && size <= CAP),
        `blocks carry at most ${CAP} txs: ${sizes.join(',')}`,
      );
      assert.ok(sizes.includes(CAP), `some block is full: ${sizes.join(',')}`);
      assert.equal(
        sizes.reduce((a, b) => a + b, 0),
        TXS,
        `all ${TXS} txs committed once: ${sizes.join(',')}`,
      );
    } finally {
      await close();
    }
  });
});
