// Pipelined contract-call batches (ADR 007 "Pipelined batches"): the enclave runs the next
// predicted batch speculatively, on top of the previous batch's writes, while the host applies
// that batch. The same blocks through three copies of one chain (pipelined, batched without
// pipelining, one call per ECALL) must give byte-identical FinalizeBlock responses (every tx
// result with its events and gas, app hash) at every height. Batches are capped at 4 calls so
// that a small block chains many speculative batches; the blocks put everything that must drop
// a speculation right after one was started: ante failures, contract errors, out of gas in the
// VM and at the SDK charge after a call, a contract message (and a failing one), a bank send,
// two contracts interleaved, a tx of two messages, a call the enclave refuses.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { bytesToHex } from '../../src/crypto/index.js';
import { contractAddressOf } from '../../src/app/index.js';
import type { ResponseFinalizeBlock } from '../../src/app/index.js';
import { transferMsg } from '../helpers/token.js';
import {
  executeMsg,
  genesisJson,
  initChain,
  instantiateMsg,
  makeUser,
  openNode,
  runBlock,
  sendMsg,
  signTx,
  tempDir,
  type Node,
  type User,
  tokenTransferTx,
  openChainCopies,
  type TokenTransferOptions,
  instantiateTokens,
  storeCodes,
} from './helpers.js';

describe('pipelined contract-call batches', () => {
  const users: User[] = Array.from({ length: 30 }, (_, i) => makeUser(`pl-${i}`, BigInt(i)));
  const u = (i: number) => users[i] as User;
  const owner = u(0);
  let pipelined: Node;
  let batched: Node;
  let serial: Node;
  let io: Uint8Array;
  let tokenHash: string;
  let receiverHash: string;
  let tokens: string[];
  let receiver: string;
  const homes: string[] = [];
  /** Speculative batches the pipelined node's enclave was asked for, and those it answered. */
  const speculative = { asked: 0, answered: 0 };

  before(async () => {
    const home = tempDir('pipeline');
    homes.push(home);
    const setup = await openNode({ home, makeGenesis: (keys) => genesisJson(keys, users) });
    await initChain(setup);
    io = setup.genesis.network.ioPublicKey;
    [tokenHash, receiverHash] = (await storeCodes(setup, owner, ['token', 'receiver'])) as [string, string];
    // Every user but the last holds tokens (the last one's transfers fail in the contract).
    tokens = await instantiateTokens(
      setup,
      owner,
      tokenHash,
      ['pl-token-a', 'pl-token-b'],
      users.slice(0, -1),
    );
    const rcv = instantiateMsg(owner, io, 2n, receiverHash, 'pl-rcv', {});
    const r = await runBlock(setup, [signTx(owner, [rcv.message], { gasLimit: 200_000_000n })]);
    assert.equal(r.txResults[0]?.code, 0, r.txResults[0]?.log);
    receiver = contractAddressOf(2n, 'pl-rcv');
    const genesisText = setup.genesisText;
    await setup.close();
    // Three copies of the same chain (the sealing key and sealed seed travel with the home).
    ({ pipelined, batched, serial } = await openChainCopies(home, genesisText, 'pipeline', homes));
    const enclave = pipelined.enclave;
    const many = enclave.runContractBatch.bind(enclave);
    enclave.runContractBatch = async (requests, chain) => {
      const isSpeculative = chain !== undefined && chain.after !== 0;
      if (isSpeculative) speculative.asked++;
      const results = await many(requests, chain);
      if (isSpeculative && results.length > 0) speculative.answered++;
      return results;
    };
  });

  after(async () => {
    await pipelined?.close();
    await batched?.close();
    await serial?.close();
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  });

  const transfer = (from: User, to: User, options: TokenTransferOptions & { token?: number } = {}) =>
    tokenTransferTx(from, to, io, tokens[options.token ?? 0] as string, tokenHash, options);

  /** `count` transfers along the ring from user `start` (each sender received from the one before). */
  const ring = (start: number, count: number, token = 0) =>
    Array.from({ length: count }, (_, k) =>
      transfer(u((start + k) % 29), u((start + k + 1) % 29), { token }),
    );

  /** Runs the block on the three copies; all responses must be identical. */
  async function all(txs: Uint8Array[]): Promise<ResponseFinalizeBlock> {
    const a = await runBlock(pipelined, txs, { skipPrepare: true });
    const b = await runBlock(batched, txs, { skipPrepare: true });
    const c = await runBlock(serial, txs, { skipPrepare: true });
    assert.equal(a.txResults.length, txs.length);
    for (const [i, result] of a.txResults.entries()) {
      assert.deepEqual(result, c.txResults[i], `tx ${i}: pipelined result equals the one-by-one result`);
      assert.deepEqual(
        b.txResults[i],
        c.txResults[i],
        `tx ${i}: batched result equals the one-by-one result`,
      );
    }
    assert.deepEqual(a, c, 'pipelined and one-by-one FinalizeBlock responses equal');
    assert.deepEqual(b, c, 'batched and one-by-one FinalizeBlock responses equal');
    assert.equal(bytesToHex(a.appHash), bytesToHex(c.appHash), 'app hash');
    return a;
  }

  it('a ring of transfers: identical, and most batches ran speculatively', async () => {
    const stats = { ...pipelined.app.pipelineStats };
    const r = await all(ring(0, 40));
    for (const [i, result] of r.txResults.entries()) assert.equal(result.code, 0, `tx ${i}: ${result.log}`);
    const used = pipelined.app.pipelineStats.used - stats.used;
    // 40 calls in batches of 4: the first batch, then 9 speculative ones.
    assert.ok(used >= 8, `speculative batches used: ${used}`);
    assert.equal(batched.app.pipelineStats.started, 0, 'no speculation with pipelining off');
  });

  it('every kind of tx that drops a speculation, each after a run of transfers: identical', async () => {
    const stats = { ...pipelined.app.pipelineStats };
    const probe = await all([transfer(u(0), u(1))]);
    const need = probe.txResults[0]?.gasUsed ?? 0n;
    assert.ok(need > 0n, 'probe transfer used gas');
    const send = (from: User, msg: string) =>
      signTx(
        from,
        [
          executeMsg(from, io, tokens[0] as string, tokenHash, {
            send: {
              recipient: receiver,
              recipient_code_hash: receiverHash,
              amount: '3',
              msg: Buffer.from(msg).toString('base64'),
            },
          }).message,
        ],
        { gasLimit: 2_000_000n, fee: 400_000n },
      );
    const txs: Uint8Array[] = [
      ...ring(1, 6),
      transfer(u(8), u(9), { fee: 100_000_000_000n, sequence: u(8).sequence }), // ante: fee
      ...ring(8, 5),
      transfer(u(13), u(14), { sequence: u(13).sequence + 5n }), // ante: sequence
      ...ring(13, 5),
      transfer(u(29), u(5)), // the contract's own error (no tokens)
      ...ring(18, 5),
      transfer(u(23), u(24), { gasLimit: need - 3_000n }), // out of gas in the VM
      ...ring(23, 5),
      // around the SDK charge after a successful call: some fail after the enclave ran them
      ...[-3n, -2n, -1n, 0n, 1n].map((delta) => transfer(u(28), u(0), { gasLimit: need + delta })),
      ...ring(0, 5),
      send(u(5), 'hello'), // a contract message (callback to the receiver)
      ...ring(6, 5),
      send(u(11), 'fail'), // a contract message that fails: the whole tx reverts
      ...ring(11, 5),
      signTx(u(16), [sendMsg(u(16), u(17).address, 7n)]), // a bank send
      ...ring(17, 5),
      ...Array.from({ length: 8 }, (_, k) => transfer(u(k), u(k + 1), { token: k % 2 })), // interleaved
      ...ring(8, 5),
      signTx(u(13), [
        executeMsg(u(13), io, tokens[0] as string, tokenHash, transferMsg(u(14).address, '1')).message,
        executeMsg(u(13), io, tokens[0] as string, tokenHash, transferMsg(u(15).address, '1')).message,
      ]),
      ...ring(14, 5),
      // the enclave refuses the call: its envelope names another code hash
      signTx(
        u(19),
        [
          executeMsg(u(19), io, tokens[0] as string, 'ab'.repeat(32), transferMsg(u(20).address, '1'))
            .message,
        ],
        { gasLimit: 300_000n, fee: 60_000n },
      ),
      ...ring(20, 6),
      ...ring(0, 5, 1),
    ];
    const r = await all(txs);
    const codes = r.txResults.map((x) => x.code);
    assert.ok(codes.filter((c) => c !== 0).length >= 8, `several txs failed: ${codes.join(',')}`);
    assert.ok(codes.filter((c) => c === 0).length >= 60, `most succeeded: ${codes.join(',')}`);
    const started = pipelined.app.pipelineStats.started - stats.started;
    const used = pipelined.app.pipelineStats.used - stats.used;
    assert.ok(used >= 5, `speculative batches used: ${used}`);
    assert.ok(started > used, `some speculations dropped: ${started} started, ${used} used`);
  });

  it('a tx failing at the SDK charge after its call, at every position of a batch: identical', async () => {
    // Its call succeeded in the enclave, so the batch (and the speculation started after it)
    // went on from its writes, which the host then reverted. Where batches start depends on the
    // limit the previous batch left: one of these blocks puts the failure last in a batch whose
    // speculation would otherwise be used by the next tx (which reads the reverted slot).
    const probe = await all([transfer(u(0), u(1))]);
    const need = probe.txResults[0]?.gasUsed ?? 0n;
    for (let position = 2; position <= 9; position++) {
      const txs = [
        ...ring(1, position),
        transfer(u(1 + position), u(2 + position), { gasLimit: need - 1n }),
        ...ring(2 + position, 6),
      ];
      const r = await all(txs);
      assert.notEqual(r.txResults[position]?.code, 0, `position ${position}: the tx failed at the charge`);
    }
  });

  it('the following blocks still agree, and the enclave answered speculative batches', async () => {
    for (let b = 0; b < 2; b++) {
      const r = await all(ring(b * 7, 29, b));
      for (const [i, result] of r.txResults.entries())
        assert.equal(result.code, 0, `block ${b} tx ${i}: ${result.log}`);
    }
    assert.ok(speculative.answered > 0, `answered ${speculative.answered} of ${speculative.asked}`);
    assert.equal(pipelined.store.info().height, serial.store.info().height, 'both chains at the same height');
  });
});
