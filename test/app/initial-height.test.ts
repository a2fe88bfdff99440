// A chain whose genesis sets initial_height > 1 (CometBFT genesis): initChain and the first
// block use that height, heights continue from it, and the wrong heights are refused.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../src/app/index.js';
import { StoreError } from '../../src/store/index.js';
import { genesisJson, makeUser, openNode, runBlock, sendMsg, signTx, tempDir, type Node } from './helpers.js';

describe('initial_height from genesis', () => {
  const alice = makeUser('ih-alice', 0n);
  const bob = makeUser('ih-bob', 1n);
  let node: Node;

  before(async () => {
    node = await openNode({
      home: tempDir('initial-height'),
      makeGenesis: (keys) => genesisJson(keys, [alice, bob], { initialHeight: 7n }),
    });
  });

  after(async () => node.close());

  const init = (initialHeight: bigint) =>
    node.app.initChain({
      timeNanos: node.genesis.genesisTimeNanos,
      chainId: node.genesis.chainId,
      appStateBytes: new Uint8Array(0),
      validators: [],
      initialHeight,
    });

  it('refuses an initChain height other than the genesis one', async () => {
    assert.equal(node.genesis.initialHeight, 7n);
    await assert.rejects(
      async () => init(1n),
      (e: unknown) => e instanceof AppError && e.code === 'GENESIS_MISMATCH',
    );
  });

  it('runs the first block at the initial height and continues from it', async () => {
    await init(7n);
    // checkTx before the first block sees the genesis state.
    const tx = signTx(alice, [sendMsg(alice, bob.address, 5n)]);
    assert.equal(node.app.checkTx({ tx, type: 'new' }).code, 0);
    await assert.rejects(
      async () =>
        node.app.finalizeBlock({
          txs: [],
          hash: new Uint8Array(32),
          height: 1n,
          timeNanos: node.genesis.genesisTimeNanos + 1n,
          proposerAddress: new Uint8Array(20),
          misbehavior: [],
        }),
      (e: unknown) => e instanceof AppError && e.code === 'OUT_OF_ORDER',
    );
    const first = await runBlock(node, [tx]);
    assert.equal(first.txResults[0]?.code, 0, first.txResults[0]?.log);
    assert.equal(
      (await node.app.info({ version: '', blockVersion: 0n, p2pVersion: 0n, abciVersion: '' }))
        .lastBlockHeight,
      7n,
    );
    await runBlock(node, [signTx(alice, [sendMsg(alice, bob.address, 1n)])]);
    assert.equal(node.store.info().height, 8n);
  });

  it('the store takes an initial block only while empty', () => {
    assert.throws(
      () => node.store.beginInitialBlock(100n),
      (e: unknown) => e instanceof StoreError && e.code === 'HEIGHT_MISMATCH',
    );
    assert.throws(
      () => node.store.beginBlock(10n),
      (e: unknown) => e instanceof StoreError && e.code === 'HEIGHT_MISMATCH',
    );
  });
});
