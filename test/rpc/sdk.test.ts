// The SDK (src/client ShroudClient) against a real solo node over RPC: a devnet test account
// (mnemonic from initHome) sends coins, deploys the token contract, transfers privately, sets a
// viewing key and reads the balance through an encrypted query.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ShroudClient, Wallet } from '../../src/client/index.js';
import { loadTestAccounts } from '../../src/node/index.js';
import { deployToken, setViewingKey, tokenBalance, transferToken } from '../helpers/token.js';
import { startTestNode, type TestNode } from './helpers.js';

describe('ShroudClient against a solo node', () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode('shroud-sdk-test', [], {}, 150, 2);
  });
  after(async () => {
    await t?.close();
  });

  it('sends, deploys token, transfers privately and reads the balance with a viewing key', async () => {
    const [first, second] = loadTestAccounts(t.home);
    assert.ok(first !== undefined && second !== undefined, 'the home has test accounts');
    const options = { gasPrice: { denom: 'ushd', amount: '0.1' }, pollIntervalMs: 100 };
    const alice = await ShroudClient.connect(t.url, Wallet.fromMnemonic(first.mnemonic), options);
    const bob = await ShroudClient.connect(t.url, Wallet.fromMnemonic(second.mnemonic), options);
    assert.equal(alice.chainId, 'shroud-sdk-test');

    const before = await bob.getBalance(second.address, 'ushd');
    await alice.send(second.address, [{ denom: 'ushd', amount: '1234' }]);
    assert.equal(await bob.getBalance(second.address, 'ushd'), before + 1234n);

    const { contractAddress } = await deployToken(alice, {
      label: 'sdk-token',
      holders: [{ address: first.address, amount: '1000' }],
    });
    await transferToken(alice, contractAddress, second.address, '250');
    await setViewingKey(bob, contractAddress, 'bob-key');
    assert.equal(await tokenBalance(bob, contractAddress, second.address, 'bob-key'), '250');
  });
});
