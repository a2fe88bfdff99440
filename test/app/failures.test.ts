// Failure paths (issue #5 "Must show"): each bad tx is rejected by checkTx or reverted by
// finalizeBlock with the right code; balances are exact afterwards; the fee is charged when
// the tx made it past the ante checks, and only then.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex, sha256 } from '../../src/crypto/index.js';
import { contractAddressOf, TxCode, type ExecTxResult } from '../../src/app/index.js';
import {
  balanceOf,
  computeQuery,
  contractWasm,
  decryptData,
  executeMsg,
  genesisJson,
  initChain,
  instantiateMsg,
  makeUser,
  type Node,
  openNode,
  queryData,
  runBlock,
  sendMsg,
  signTx,
  storeCodeMsg,
  tempDir,
  type User,
} from './helpers.js';

const FUNDS = 10_000_000_000n;

describe('app failure paths', () => {
  const alice = makeUser('f-alice', 0n);
  const bob = makeUser('f-bob', 1n);
  const carol = makeUser('f-carol', 2n);
  let node: Node;
  let io: Uint8Array;
  const tokenHash = bytesToHex(sha256(contractWasm('token')));
  const receiverHash = bytesToHex(sha256(contractWasm('receiver')));
  const token = contractAddressOf(1n, 'tok');
  const receiver = contractAddressOf(2n, 'rcv');
  /** Fees alice has paid so far (tracked by the tests). */
  const paid = new Map<string, bigint>();

  function pay(user: User, fee: bigint) {
    paid.set(user.address, (paid.get(user.address) ?? 0n) + fee);
  }

  async function one(tx: Uint8Array): Promise<ExecTxResult> {
    const response = await runBlock(node, [tx], { skipPrepare: true });
    return response.txResults[0] as ExecTxResult;
  }

  async function tokenBalance(user: User, key: string): Promise<string> {
    const q = queryData(user, io, token, tokenHash, { balance: { address: user.address, key } });
    const r = await computeQuery(node, q.data);
    assert.equal(r.code, 0, r.log);
    return (JSON.parse(q.open(r.value)) as { balance: { amount: string } }).balance.amount;
  }

  before(async () => {
    node = await openNode({
      home: tempDir('fail'),
      makeGenesis: (keys) => genesisJson(keys, [alice, bob, carol]),
    });
    io = node.genesis.network.ioPublicKey;
    await initChain(node);
    const setup = [
      signTx(alice, [storeCodeMsg(alice, contractWasm('token'))], { gasLimit: 5_000_000n }),
      signTx(alice, [storeCodeMsg(alice, contractWasm('receiver'))], { gasLimit: 5_000_000n }),
    ];
    pay(alice, 1_000_000n);
    const r1 = await runBlock(node, setup);
    assert.deepEqual(
      r1.txResults.map((r) => r.code),
      [0, 0],
      r1.txResults.map((r) => r.log).join(),
    );
    const init = instantiateMsg(alice, io, 1n, tokenHash, 'tok', {
      name: 'Tok',
      symbol: 'TOK',
      decimals: 0,
      initial_balances: [{ address: alice.address, amount: '1000' }],
    });
    const initR = instantiateMsg(alice, io, 2n, receiverHash, 'rcv', {});
    const vk = executeMsg(alice, io, token, tokenHash, { set_viewing_key: { key: 'ak' } });
    const r2 = await runBlock(node, [
      signTx(alice, [init.message]),
      signTx(alice, [initR.message]),
      signTx(alice, [vk.message]),
    ]);
    pay(alice, 600_000n);
    assert.deepEqual(
      r2.txResults.map((r) => r.code),
      [0, 0, 0],
      r2.txResults.map((r) => r.log).join(),
    );
  });
  after(() => node.close());

  it('checkTx rejects a bad signature, and finalizeBlock does too without charging a fee', async () => {
    const tx = signTx(bob, [sendMsg(bob, carol.address, 5n)], { signer: carol, sequence: bob.sequence });
    const check = node.app.checkTx({ tx, type: 'new' });
    assert.equal(check.code, TxCode.UNAUTHORIZED, check.log);
    const result = await one(tx);
    assert.equal(result.code, TxCode.UNAUTHORIZED);
    assert.equal(await balanceOf(node, bob.address), FUNDS, 'no fee, no transfer');
    // A wrong account number or chain id in the sign doc is a bad signature as well.
    const other = signTx(bob, [sendMsg(bob, carol.address, 5n)], {
      accountNumber: 7n,
      sequence: bob.sequence,
    });
    assert.equal(node.app.checkTx({ tx: other, type: 'new' }).code, TxCode.UNAUTHORIZED);
    const chain = signTx(bob, [sendMsg(bob, carol.address, 5n)], {
      chainId: 'other-chain',
      sequence: bob.sequence,
    });
    assert.equal(node.app.checkTx({ tx: chain, type: 'new' }).code, TxCode.UNAUTHORIZED);
  });

  it('rejects a wrong sequence and a replayed tx', async () => {
    const ahead = signTx(bob, [sendMsg(bob, carol.address, 5n)], { sequence: bob.sequence + 1n });
    assert.equal(node.app.checkTx({ tx: ahead, type: 'new' }).code, TxCode.WRONG_SEQUENCE);
    const tx = signTx(bob, [sendMsg(bob, carol.address, 5n)]);
    assert.equal(node.app.checkTx({ tx, type: 'new' }).code, TxCode.OK);
    assert.equal(
      node.app.checkTx({ tx, type: 'new' }).code,
      TxCode.WRONG_SEQUENCE,
      'the same tx twice in the mempool',
    );
    assert.equal((await one(tx)).code, TxCode.OK);
    pay(bob, 200_000n);
    assert.equal(node.app.checkTx({ tx, type: 'new' }).code, TxCode.WRONG_SEQUENCE, 'replay after commit');
    const replay = await one(tx);
    assert.equal(replay.code, TxCode.WRONG_SEQUENCE, 'replay inside a block');
    assert.equal(
      await balanceOf(node, bob.address),
      FUNDS - 200_000n - 5n,
      'the replay moved nothing and paid nothing',
    );
    assert.equal(await balanceOf(node, carol.address), FUNDS + 5n);
  });

  it('accepts consecutive txs of one sender in checkTx (check-state) and one block', async () => {
    const txs = [0, 1, 2].map(() => signTx(carol, [sendMsg(carol, bob.address, 1n)]));
    for (const [i, tx] of txs.entries())
      assert.equal(node.app.checkTx({ tx, type: 'new' }).code, TxCode.OK, `tx ${i}`);
    const response = await runBlock(node, txs);
    assert.deepEqual(
      response.txResults.map((r) => r.code),
      [0, 0, 0],
    );
    pay(carol, 600_000n);
    assert.equal(await balanceOf(node, carol.address), FUNDS + 5n - 3n - 600_000n);
  });

  it('rejects an insufficient fee and a fee that the balance cannot cover', async () => {
    const low = signTx(bob, [sendMsg(bob, carol.address, 1n)], { fee: 199_999n, sequence: bob.sequence });
    const check = node.app.checkTx({ tx: low, type: 'new' });
    assert.equal(check.code, TxCode.INSUFFICIENT_FEE, check.log);
    assert.equal((await one(low)).code, TxCode.INSUFFICIENT_FEE);
    const poor = makeUser('f-poor', 99n);
    // poor has no account at all: unknown address.
    const none = signTx(poor, [sendMsg(poor, bob.address, 1n)]);
    assert.equal(node.app.checkTx({ tx: none, type: 'new' }).code, TxCode.UNKNOWN_ADDRESS);
    assert.equal(await balanceOf(node, bob.address), FUNDS - 200_000n - 5n + 3n, 'unchanged');
  });

  it('a bank send beyond the balance: checkTx rejects it; in a block it reverts and the fee stays', async () => {
    const before = await balanceOf(node, bob.address);
    const tx = signTx(bob, [sendMsg(bob, carol.address, before)]);
    assert.equal(node.app.checkTx({ tx, type: 'new' }).code, TxCode.INSUFFICIENT_FUNDS);
    const carolBefore = await balanceOf(node, carol.address);
    const result = await one(tx);
    assert.equal(result.code, TxCode.INSUFFICIENT_FUNDS, result.log);
    assert.equal(await balanceOf(node, bob.address), before - 200_000n, 'only the fee left');
    assert.equal(await balanceOf(node, carol.address), carolBefore, 'nothing arrived');
    assert.ok(result.gasUsed > 0n && result.gasUsed <= result.gasWanted);
  });

  it('out of gas in the middle of a contract call reverts its writes and keeps the fee', async () => {
    const ok = executeMsg(alice, io, token, tokenHash, {
      transfer: { recipient: bob.address, amount: '10' },
    });
    const good = await one(signTx(alice, [ok.message]));
    pay(alice, 200_000n);
    assert.equal(good.code, TxCode.OK, good.log);
    // Same call with a gas limit below what it needs, but above the non-wasm charges, so the
    // VM itself runs out.
    const gasLimit = good.gasUsed - 200n;
    const fee = (gasLimit + 9n) / 10n;
    const starved = executeMsg(alice, io, token, tokenHash, {
      transfer: { recipient: bob.address, amount: '10' },
    });
    const aliceBefore = await balanceOf(node, alice.address);
    const result = await one(signTx(alice, [starved.message], { gasLimit, fee }));
    pay(alice, fee);
    assert.equal(result.code, TxCode.OUT_OF_GAS, result.log);
    assert.equal(result.gasUsed, gasLimit, 'all the gas is used');
    assert.equal(await balanceOf(node, alice.address), aliceBefore - fee, 'fee charged');
    assert.equal(await tokenBalance(alice, 'ak'), '990', 'the second transfer left no trace');
  });

  it('a failing submessage reverts the whole tx (caller state too), fee charged', async () => {
    const send = (msg: string) =>
      executeMsg(alice, io, token, tokenHash, {
        send: {
          recipient: receiver,
          recipient_code_hash: receiverHash,
          amount: '5',
          msg: Buffer.from(msg).toString('base64'),
        },
      });
    const good = await one(signTx(alice, [send('hello').message]));
    pay(alice, 200_000n);
    assert.equal(good.code, TxCode.OK, good.log);
    assert.equal(await tokenBalance(alice, 'ak'), '985');
    const aliceBefore = await balanceOf(node, alice.address);
    const bad = await one(signTx(alice, [send('fail').message]));
    pay(alice, 200_000n);
    assert.equal(bad.code, TxCode.CONTRACT_FAILED, bad.log);
    assert.ok(bad.data.length > 0, 'the callee error comes back encrypted');
    assert.equal(await tokenBalance(alice, 'ak'), '985', 'the token debit was reverted with the callee');
    assert.equal(await balanceOf(node, alice.address), aliceBefore - 200_000n);
  });

  it("a contract's own error: code 104, sealed for the user in the log and data, fee charged", async () => {
    const call = executeMsg(alice, io, token, tokenHash, {
      transfer: { recipient: bob.address, amount: '999999' },
    });
    const tx = signTx(alice, [call.message]);
    const result = await one(tx);
    pay(alice, 200_000n);
    assert.equal(result.code, TxCode.CONTRACT_FAILED, result.log);
    assert.equal(result.codespace, 'compute');
    const match = /message index: 0: encrypted: ([A-Za-z0-9+/=]+)/.exec(result.log);
    assert.ok(match, result.log);
    const sealed = new Uint8Array(Buffer.from(match[1] as string, 'base64'));
    assert.deepEqual(sealed, result.data, 'the same ciphertext in log and data');
    assert.match(decryptData(call.txKey, tx, sealed, 'error'), /insufficient funds/);
    assert.doesNotMatch(result.log, /insufficient/, 'the reason is not in clear');
  });

  it('a timed-out tx is rejected', () => {
    const height = node.store.info().height;
    const tx = signTx(bob, [sendMsg(bob, carol.address, 1n)], {
      timeoutHeight: height,
      sequence: bob.sequence,
    });
    assert.equal(node.app.checkTx({ tx, type: 'new' }).code, TxCode.TX_TIMEOUT_HEIGHT);
  });

  it('garbage: checkTx says TX_DECODE, processProposal rejects the block, prepareProposal drops it', async () => {
    const junk = Uint8Array.of(1, 2, 3, 4);
    assert.equal(node.app.checkTx({ tx: junk, type: 'new' }).code, TxCode.TX_DECODE);
    const height = node.store.info().height + 1n;
    const base = { hash: new Uint8Array(32), height, timeNanos: 0n, proposerAddress: new Uint8Array(20) };
    assert.equal((await node.app.processProposal({ ...base, txs: [junk] })).status, 'reject');
    const good = signTx(bob, [sendMsg(bob, carol.address, 1n)], { sequence: bob.sequence });
    const prepared = await node.app.prepareProposal({ ...base, maxTxBytes: 1_000_000n, txs: [junk, good] });
    assert.deepEqual(prepared.txs, [good]);
  });

  it('enforces the block gas limit in prepareProposal and processProposal', async () => {
    const limit = node.genesis.params.blockGasLimit;
    const big = (n: bigint) =>
      signTx(bob, [sendMsg(bob, carol.address, 1n)], { gasLimit: limit / 2n, fee: limit / 20n, sequence: n });
    const txs = [big(bob.sequence), big(bob.sequence + 1n), big(bob.sequence + 2n)];
    const height = node.store.info().height + 1n;
    const base = { hash: new Uint8Array(32), height, timeNanos: 0n, proposerAddress: new Uint8Array(20) };
    const prepared = await node.app.prepareProposal({ ...base, maxTxBytes: 1_000_000n, txs });
    assert.equal(prepared.txs.length, 2, 'the third does not fit');
    assert.equal((await node.app.processProposal({ ...base, txs })).status, 'reject');
    assert.equal((await node.app.processProposal({ ...base, txs: prepared.txs })).status, 'accept');
  });
});
