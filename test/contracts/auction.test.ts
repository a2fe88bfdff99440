// Sealed-bid auction (contracts/auction) run through the real VM via the sandbox.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ContractSandbox } from '../../src/vm/testing/index.js';
import type { Response } from '../../src/vm/testing/index.js';
import { contractWasm, dataJson, rejectsWithContractError } from './helpers.js';

const DENOM = 'ushd';

async function setup(msg: Record<string, unknown> = {}) {
  const sb = await ContractSandbox.create();
  const seller = sb.address('seller');
  const [ann, ben, cat] = ['ann', 'ben', 'cat'].map((n) => sb.address(n)) as [string, string, string];
  for (const who of [ann, ben, cat, seller]) sb.setBalance(who, [{ denom: DENOM, amount: 1000 }]);
  const { codeId } = await sb.upload(contractWasm('auction'));
  const { address: auction } = await sb.instantiate(codeId, {
    sender: seller,
    label: 'auction',
    msg: { item: 'painting', ends_at: sb.block.height + 10, min_bid: '50', ...msg },
  });
  const bid = (sender: string, amount: number) =>
    sb.execute(auction, { sender, msg: { bid: {} }, funds: [{ denom: DENOM, amount }] });
  return { sb, codeId, seller, ann, ben, cat, auction, bid };
}

/** Everything a bid response shows apart from bank messages: must not depend on the amount. */
function visible(response: Response): unknown {
  return { attributes: response.attributes, events: response.events, data: dataJson(response.data) };
}

describe('auction contract', () => {
  it('escrows the highest bid and refunds the outbid bidder', async () => {
    const { sb, ann, ben, cat, auction, bid } = await setup();
    await bid(ann, 100);
    assert.equal(sb.getBalance(ann, DENOM), 900n);
    assert.equal(sb.getBalance(auction, DENOM), 100n);
    const { response } = await bid(ben, 150);
    assert.equal(sb.getBalance(ann, DENOM), 1000n, 'ann refunded');
    assert.equal(sb.getBalance(ben, DENOM), 850n);
    assert.equal(sb.getBalance(auction, DENOM), 150n, 'only the highest stays escrowed');
    assert.deepEqual(
      response.messages.map((m) => m.msg),
      [{ kind: 'bank_send', toAddress: ann, amount: [{ denom: DENOM, amount: 100n }] }],
    );
    await bid(cat, 120);
    assert.equal(sb.getBalance(cat, DENOM), 1000n, 'a lower bid comes straight back');
    await bid(cat, 150);
    assert.equal(sb.getBalance(cat, DENOM), 1000n, 'a tie goes to the earlier bid');
    assert.equal(sb.getBalance(auction, DENOM), 150n);
  });

  it('hides bids before close: same data, no attributes or events, status without amounts', async () => {
    const { sb, ann, ben, auction, bid } = await setup();
    const first = await bid(ann, 100);
    const second = await bid(ben, 60);
    const third = await bid(ben, 400);
    const expected = { attributes: [], events: [], data: { bid: { status: 'accepted' } } };
    for (const [i, r] of [first, second, third].entries()) {
      assert.deepEqual(visible(r.response), expected, `bid ${i} reveals nothing`);
    }
    const status = await sb.query(auction, { status: {} });
    assert.deepEqual(status, {
      status: { state: 'open', item: 'painting', ends_at: sb.block.height + 10, min_bid: '50' },
    });
    assert.doesNotMatch(JSON.stringify(status), /400|100|60/, 'no amount in the status');
  });

  it('refuses closing before ends_at and bids after it', async () => {
    const { sb, ann, auction, bid } = await setup();
    await bid(ann, 100);
    await rejectsWithContractError(
      () => sb.execute(auction, { sender: ann, msg: { close: {} } }),
      'Generic error: auction ends at height 11, now 1',
    );
    sb.advanceBlock(10);
    await rejectsWithContractError(() => bid(ann, 500), 'Generic error: bidding has ended');
  });

  it('pays the seller on close and reveals the winner', async () => {
    const { sb, seller, ann, ben, cat, auction, bid } = await setup();
    await bid(ann, 100);
    await bid(ben, 300);
    sb.advanceBlock(10);
    const { response } = await sb.execute(auction, { sender: cat, msg: { close: {} } });
    assert.equal(sb.getBalance(seller, DENOM), 1300n, 'seller paid');
    assert.equal(sb.getBalance(auction, DENOM), 0n);
    assert.equal(sb.getBalance(ben, DENOM), 700n);
    assert.deepEqual(
      response.attributes.map((a) => [a.key, a.value, a.encrypted]),
      [
        ['winner', ben, false],
        ['winning_bid', '300', false],
      ],
    );
    assert.deepEqual(await sb.query(auction, { status: {} }), {
      status: {
        state: 'closed',
        item: 'painting',
        ends_at: 11,
        min_bid: '50',
        winner: ben,
        winning_bid: '300',
      },
    });
    await rejectsWithContractError(
      () => sb.execute(auction, { sender: cat, msg: { close: {} } }),
      'Generic error: auction is already closed',
    );
    await rejectsWithContractError(() => bid(ann, 500), 'Generic error: auction is closed');
  });

  it('closes without bids', async () => {
    const { sb, seller, auction } = await setup();
    sb.advanceBlock(10);
    const { response } = await sb.execute(auction, { sender: seller, msg: { close: {} } });
    assert.equal(response.messages.length, 0);
    assert.deepEqual(await sb.query(auction, { status: {} }), {
      status: {
        state: 'closed',
        item: 'painting',
        ends_at: 11,
        min_bid: '50',
        winner: null,
        winning_bid: null,
      },
    });
  });

  it('rejects bad bids without moving funds', async () => {
    const { sb, seller, ann, auction, bid } = await setup();
    await rejectsWithContractError(() => bid(ann, 49), 'Generic error: bid is below the minimum bid');
    await rejectsWithContractError(() => bid(seller, 100), 'Generic error: the seller may not bid');
    await rejectsWithContractError(
      () => sb.execute(auction, { sender: ann, msg: { bid: {} } }),
      'Generic error: send exactly one coin of ushd with a bid',
    );
    sb.setBalance(ann, [
      { denom: DENOM, amount: 1000 },
      { denom: 'other', amount: 1000 },
    ]);
    await rejectsWithContractError(
      () => sb.execute(auction, { sender: ann, msg: { bid: {} }, funds: [{ denom: 'other', amount: 100 }] }),
      'Generic error: send exactly one coin of ushd with a bid',
    );
    assert.equal(sb.getBalance(ann, DENOM), 1000n);
    assert.equal(sb.getBalance(auction, DENOM), 0n);
  });

  it('refuses an end height in the past', async () => {
    const sb = await ContractSandbox.create();
    const { codeId } = await sb.upload(contractWasm('auction'));
    await rejectsWithContractError(
      () => sb.instantiate(codeId, { sender: sb.address('s'), label: 'a', msg: { item: 'x', ends_at: 1 } }),
      'Generic error: ends_at must be after the current block height',
    );
    await rejectsWithContractError(
      () => sb.instantiate(codeId, { sender: sb.address('s'), label: 'b', msg: { ends_at: 5 } }),
      /missing field `item`/,
    );
  });
});
