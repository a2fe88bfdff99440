// The solo node re-checks its queued txs after each commit (the app's check state is reset to
// the committed state there): one sender's consecutive txs submitted while blocks are being
// made must all be accepted and committed, none refused for its sequence.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initHome, loadTestAccounts, startSoloNode } from '../../src/node/index.js';
import { bankSends } from '../helpers/bank.js';

describe('solo node: queued txs survive a commit', () => {
  it('accepts and commits 40 consecutive txs of one sender across several blocks', async () => {
    const home = mkdtempSync(join(tmpdir(), 'shroud-solo-recheck-'));
    const node = await (async () => {
      await initHome(home, { chainId: 'recheck', accounts: 2 });
      return startSoloNode(home, { blockTimeMs: 50 });
    })();
    try {
      const [sender, receiver] = loadTestAccounts(home);
      assert.ok(sender !== undefined && receiver !== undefined, 'test accounts');
      const hashes: Uint8Array[] = [];
      // After block 1: while block 1 executes, checkTx sees neither the genesis batch nor
      // committed state (an app window reported separately), so start once it committed.
      await node.waitForHeight(1n, 10_000);
      const startHeight = node.blocks.height();
      const txs = bankSends({
        mnemonic: sender.mnemonic,
        chainId: 'recheck',
        accountNumber: 0n, // the first genesis account
        to: receiver.address,
        count: 40,
      });
      for (const [i, tx] of txs.entries()) {
        const answer = await node.submit(tx.txBytes);
        assert.equal(answer.code, 0, `tx ${i}: ${answer.log}`);
        hashes.push(tx.hash);
        // Spread the submissions over several blocks (a block every 50 ms).
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await node.waitForHeight(node.blocks.height() + 2n, 10_000);
      assert.ok(node.blocks.height() - startHeight >= 3n, 'the txs spanned several blocks');
      for (const [i, hash] of hashes.entries()) {
        const location = node.blocks.findTx(hash);
        assert.ok(location !== undefined, `tx ${i} committed`);
        assert.equal(
          node.blocks.load(location.height)?.results[location.index]?.code,
          0,
          `tx ${i} succeeded`,
        );
      }
    } finally {
      await node.stop();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
