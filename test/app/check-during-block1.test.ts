// checkTx while the FIRST block executes (issue #5): block 1 continues the genesis batch and the
// store has nothing committed until block 1 commits, so checkTx must still see the genesis
// accounts then (before the fix every account "did not exist" in that window).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { sha256 } from '../../src/crypto/index.js';
import { TxCode } from '../../src/app/index.js';
import {
  GENESIS_TIME,
  BLOCK_NS,
  genesisJson,
  initChain,
  makeUser,
  openNode,
  proposer,
  runBlock,
  sendMsg,
  signTx,
  tempDir,
  type Node,
} from './helpers.js';

describe('checkTx during block 1', () => {
  const alice = makeUser('b1-alice', 0n);
  const bob = makeUser('b1-bob', 1n);
  const carol = makeUser('b1-carol', 2n);
  let node: Node;
  const home = tempDir('check-block1');

  before(async () => {
    node = await openNode({
      home,
      makeGenesis: (keys) => genesisJson(keys, [alice, bob, carol], {}),
    });
    await initChain(node);
  });

  after(async () => {
    await node.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('sees the genesis accounts while block 1 executes, and committed state after', async () => {
    const inBlock = signTx(alice, [sendMsg(alice, bob.address, 5n)]);
    const txs = [inBlock];
    const height = node.genesis.initialHeight;
    // Not awaited: finalizeBlock runs (awaits the enclave) while checkTx is called.
    const finalizing = node.app.finalizeBlock({
      txs,
      hash: sha256(inBlock),
      height,
      timeNanos: GENESIS_TIME + height * BLOCK_NS,
      proposerAddress: proposer,
      misbehavior: [],
    });
    const during = node.app.checkTx({ tx: signTx(bob, [sendMsg(bob, carol.address, 1n)]), type: 'new' });
    assert.equal(during.code, TxCode.OK, `checkTx of a genesis account during block 1: ${during.log}`);
    const batch = await node.app.checkTxBatch([
      { tx: signTx(carol, [sendMsg(carol, bob.address, 1n)]), type: 'new' },
    ]);
    assert.equal(batch[0]?.code, TxCode.OK, `checkTxBatch during block 1: ${batch[0]?.log}`);
    const result = await finalizing;
    assert.equal(result.txResults[0]?.code, TxCode.OK, result.txResults[0]?.log);
    // Still before commit: a sender with no account stays refused (the view is not "anything goes").
    const stranger = makeUser('b1-stranger', 9n);
    const refused = node.app.checkTx({
      tx: signTx(stranger, [sendMsg(stranger, bob.address, 1n)]),
      type: 'new',
    });
    assert.notEqual(refused.code, TxCode.OK, 'an account absent from genesis is refused');
    await node.app.commit();
    // After commit: committed state (alice's sequence 1 is now on disk).
    const next = node.app.checkTx({ tx: signTx(alice, [sendMsg(alice, bob.address, 1n)]), type: 'new' });
    assert.equal(next.code, TxCode.OK, `checkTx after block 1 commits: ${next.log}`);
    const stale = node.app.checkTx({
      tx: signTx(alice, [sendMsg(alice, bob.address, 1n)], { sequence: 0n }),
      type: 'new',
    });
    assert.equal(stale.code, TxCode.WRONG_SEQUENCE, 'a replayed sequence is refused after commit');
    const second = await runBlock(node, []);
    assert.equal(second.txResults.length, 0);
  });
});
