// Fees go to the bonded validators in proportion to their voting power (ADR 007 "Fees"), the
// rounding remainder to the proposer; with an unknown proposer the remainder stays in the
// fee collector for the next block.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ed25519KeyPairFromSeed, sha256, utf8Encode } from '../../src/crypto/index.js';
import { MODULE_ADDRESSES, TxCode } from '../../src/app/index.js';
import {
  BLOCK_NS,
  DENOM,
  GENESIS_TIME,
  balanceOf,
  genesisJson,
  initChain,
  makeUser,
  openNode,
  runBlock,
  sendMsg,
  signTx,
  tempDir,
  type MessageInit,
  type Node,
} from './helpers.js';

describe('fee distribution', () => {
  const alice = makeUser('fee-alice', 0n);
  const bob = makeUser('fee-bob', 1n);
  // genesisJson's validator operator (self bond 5,000,000: power 5).
  const operator = makeUser('operator', 2n);
  let node: Node;

  before(async () => {
    node = await openNode({ home: tempDir('fees'), makeGenesis: (keys) => genesisJson(keys, [alice, bob]) });
    await initChain(node);
    const create: MessageInit = {
      sum: {
        case: 'createValidator',
        value: {
          operatorAddress: alice.address,
          consensusPublicKey: ed25519KeyPairFromSeed(sha256(utf8Encode('fee-alice consensus'))).publicKey,
          selfBond: { denom: DENOM, amount: '2000000' }, // power 2
          moniker: 'alice',
        },
      },
    };
    const r = await runBlock(node, [signTx(alice, [create])]);
    assert.equal(r.txResults[0]?.code, TxCode.OK, r.txResults[0]?.log);
  });

  after(async () => node.close());

  it('splits a block’s fees 5:2 by power, the remainder to the proposer', async () => {
    const before = [await balanceOf(node, operator.address), await balanceOf(node, alice.address)];
    const fee = 200_000n; // gas limit 2,000,000 at 0.1
    const r = await runBlock(node, [signTx(bob, [sendMsg(bob, bob.address, 1n)])]);
    assert.equal(r.txResults[0]?.code, TxCode.OK, r.txResults[0]?.log);
    const toOperator = (fee * 5n) / 7n;
    const toAlice = (fee * 2n) / 7n;
    const remainder = fee - toOperator - toAlice;
    assert.equal(remainder, 1n);
    assert.equal(await balanceOf(node, operator.address), (before[0] as bigint) + toOperator + remainder);
    assert.equal(await balanceOf(node, alice.address), (before[1] as bigint) + toAlice);
    assert.equal(await balanceOf(node, MODULE_ADDRESSES.feeCollector), 0n);
    const rewards = r.events.filter((e) => e.type === 'validator_reward').map((e) => e.attributes[1]?.value);
    assert.deepEqual(rewards.sort(), [`${toAlice}${DENOM}`, `${toOperator}${DENOM}`].sort());
    assert.ok(
      r.events.some((e) => e.type === 'proposer_reward'),
      'remainder event',
    );
  });

  it('with an unknown proposer the remainder stays in the collector', async () => {
    const height = node.store.info().height + 1n;
    const tx = signTx(bob, [sendMsg(bob, bob.address, 1n)]);
    const r = await node.app.finalizeBlock({
      txs: [tx],
      hash: new Uint8Array(32),
      height,
      timeNanos: GENESIS_TIME + height * BLOCK_NS,
      proposerAddress: new Uint8Array(20), // no validator has this consensus address
      misbehavior: [],
    });
    await node.app.commit();
    assert.equal(r.txResults[0]?.code, TxCode.OK, r.txResults[0]?.log);
    assert.equal(await balanceOf(node, MODULE_ADDRESSES.feeCollector), 1n);
    assert.ok(!r.events.some((e) => e.type === 'proposer_reward'));
  });
});
