// checkTxBatch (ADR 007 "checkTx"): with the signature worker, the same responses as checkTx
// one by one, in order, for good and bad transactions, and the verified signatures reach the
// cache (finalizeBlock then accepts the block as before).
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TxCode, type ResponseCheckTx } from '../../src/app/index.js';
import {
  genesisJson,
  initChain,
  makeUser,
  openNode,
  runBlock,
  sendMsg,
  signTx,
  tempDir,
  type Node,
} from './helpers.js';

describe('checkTxBatch with the signature worker', () => {
  const users = Array.from({ length: 6 }, (_, i) => makeUser(`batch-${i}`, BigInt(i)));
  const [alice, bob, carol] = users as [(typeof users)[0], (typeof users)[0], (typeof users)[0]];
  let node: Node;
  let reference: Node;

  const homes = [tempDir('batch'), tempDir('batch-ref')];

  before(async () => {
    node = await openNode({ home: homes[0] as string, makeGenesis: (keys) => genesisJson(keys, users) });
    // A second node on the same genesis answers the same txs with plain checkTx.
    reference = await openNode({
      home: homes[1] as string,
      makeGenesis: (keys) => genesisJson(keys, users),
    });
    await initChain(node);
    await initChain(reference);
    assert.equal(await node.app.startSignatureWorker(), true, 'the worker starts');
  });

  after(async () => {
    await node.app.stopSignatureWorker();
    await node.close();
    await reference.close();
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  });

  /** A mix of good and bad txs over more than one worker chunk (50). */
  function mixedTxs(): Uint8Array[] {
    const txs: Uint8Array[] = [];
    for (let round = 0; round < 20; round++) {
      for (const user of users) txs.push(signTx(user, [sendMsg(user, bob.address, 1n)]));
    }
    txs.push(signTx(alice, [sendMsg(alice, bob.address, 1n)], { signer: carol })); // signed by another key
    txs.push(signTx(alice, [sendMsg(alice, bob.address, 1n)], { accountNumber: 9n })); // bad signature
    txs.push(signTx(bob, [sendMsg(bob, alice.address, 1n)], { sequence: 99n })); // wrong sequence
    // Insufficient fee, at carol's current sequence without using it up.
    txs.push(signTx(carol, [sendMsg(carol, alice.address, 1n)], { fee: 1n, sequence: carol.sequence }));
    txs.push(new Uint8Array([1, 2, 3])); // undecodable
    txs.push(signTx(carol, [sendMsg(carol, alice.address, 1n)])); // good, after the bad ones
    return txs;
  }

  it('answers exactly as checkTx does, tx by tx', async () => {
    const txs = mixedTxs();
    const batch = await node.app.checkTxBatch(txs.map((tx) => ({ tx, type: 'new' as const })));
    // Valid signatures: the 120 good txs, the wrong-sequence and the low-fee ones (their
    // signatures are fine; checkTx refuses them later) and carol's last: 123. The two bad
    // signatures come back invalid, the undecodable tx is never sent.
    assert.equal(node.app.signaturesVerifiedAhead, 123, 'verified on the worker');
    const single: ResponseCheckTx[] = txs.map((tx) => reference.app.checkTx({ tx, type: 'new' }));
    assert.equal(batch.length, txs.length);
    for (let i = 0; i < txs.length; i++) {
      assert.deepEqual(batch[i], single[i], `response ${i}`);
    }
    const codes = batch.slice(-6).map((r) => r.code);
    assert.deepEqual(codes, [
      TxCode.UNAUTHORIZED,
      TxCode.UNAUTHORIZED,
      TxCode.WRONG_SEQUENCE,
      TxCode.INSUFFICIENT_FEE,
      TxCode.TX_DECODE,
      TxCode.OK,
    ]);
    // The accepted txs make a block both nodes execute to the same app hash.
    const accepted = txs.filter((_, i) => batch[i]?.code === TxCode.OK);
    const a = await runBlock(node, accepted);
    const b = await runBlock(reference, accepted);
    assert.deepEqual(a.appHash, b.appHash);
    assert.ok(
      a.txResults.every((r) => r.code === 0),
      a.txResults.map((r) => r.log).join(),
    );
  });

  it('without the worker it is checkTx in a loop', async () => {
    await node.app.stopSignatureWorker();
    const tx = new Uint8Array([9, 9]);
    const [response] = await node.app.checkTxBatch([{ tx, type: 'new' }]);
    assert.equal(response?.code, TxCode.TX_DECODE);
  });
});

describe('commit with a mempool commit lock', () => {
  const users = [makeUser('lock-0', 0n), makeUser('lock-1', 1n)];
  const [alice, bob] = users as [(typeof users)[0], (typeof users)[0]];

  it('takes the lock before committing, and releases it only when the commit fails', async () => {
    const home = tempDir('lock');
    const node = await openNode({ home, makeGenesis: (keys) => genesisJson(keys, users) });
    try {
      await initChain(node);
      const calls: string[] = [];
      let release: () => void = () => undefined;
      node.app.useMempoolLock({
        lockForCommit: () => {
          calls.push('lock');
          return new Promise<void>((resolve) => (release = resolve));
        },
        unlock: () => calls.push('unlock'),
      });
      const finalize = (height: bigint) =>
        node.app.finalizeBlock({
          txs: [signTx(alice, [sendMsg(alice, bob.address, 1n)])],
          hash: new Uint8Array(32),
          height,
          timeNanos: 1_900_000_000_000_000_000n + height,
          proposerAddress: new Uint8Array(20),
          misbehavior: [],
        });
      const height = node.store.info().height + 1n;
      await finalize(height);
      const committing = node.app.commit();
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(node.store.info().height, height - 1n, 'nothing committed while the lock is awaited');
      release();
      await committing;
      assert.equal(node.store.info().height, height, 'committed once locked');
      assert.deepEqual(calls, ['lock'], 'a successful commit leaves the lock to the mempool update');
      node.app.useMempoolLock({
        lockForCommit: () => Promise.reject(new Error('mempool closed')),
        unlock: () => calls.push('unlock'),
      });
      await finalize(height + 1n);
      await assert.rejects(node.app.commit(), /mempool closed/);
      assert.deepEqual(calls, ['lock', 'unlock'], 'a failed commit releases the lock');
      assert.equal(node.store.info().height, height, 'the failed commit wrote nothing');
    } finally {
      await node.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
