// Contract-call batches in finalizeBlock (ADR 007 "Contract call batches"): the same blocks run
// on two copies of one chain, one with batching and one calling the enclave one by one, give
// byte-identical results (every tx result with its events and gas, validator updates, app hash).
// The blocks mix what must end a batch or invalidate its later results: ante failures (fee,
// sequence), contract errors, out-of-gas inside the VM and right at the SDK charge after a call,
// a call the enclave refuses, a bank send and a tx of two messages between transfers, calls to
// a second contract.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, rmSync } from 'node:fs';
import { bytesToHex, sha256 } from '../../src/crypto/index.js';
import type { ResponseFinalizeBlock } from '../../src/app/index.js';
import { transferMsg } from '../helpers/token.js';
import {
  BLOCK_NS,
  GENESIS_TIME,
  executeMsg,
  genesisJson,
  initChain,
  makeUser,
  openNode,
  queryData,
  runBlock,
  proposer,
  sendMsg,
  signTx,
  tempDir,
  type Node,
  type User,
  tokenTransferTx,
  type TokenTransferOptions,
  instantiateTokens,
  storeCodes,
} from './helpers.js';

describe('contract-call batches in finalizeBlock', () => {
  const users: User[] = Array.from({ length: 24 }, (_, i) => makeUser(`cb-${i}`, BigInt(i)));
  const owner = users[0] as User;
  let batched: Node;
  let serial: Node;
  let io: Uint8Array;
  let codeHash: string;
  let tokens: string[];
  const homes: string[] = [];
  const calls = { single: 0, batch: 0, batchSizes: [] as number[] };

  before(async () => {
    const home = tempDir('contract-batch');
    homes.push(home);
    const setup = await openNode({ home, makeGenesis: (keys) => genesisJson(keys, users) });
    await initChain(setup);
    io = setup.genesis.network.ioPublicKey;
    [codeHash] = (await storeCodes(setup, owner, ['token'])) as [string];
    // Every user but the last holds tokens (the last one's transfers fail in the contract).
    tokens = await instantiateTokens(
      setup,
      owner,
      codeHash,
      ['cb-token-a', 'cb-token-b'],
      users.slice(0, -1),
    );
    const genesisText = setup.genesisText;
    await setup.close();
    // Two copies of the same chain (the sealing key and sealed seed travel with the home).
    const copy = tempDir('contract-batch-serial');
    homes.push(copy);
    cpSync(home, copy, { recursive: true });
    batched = await openNode({ home, genesisText, contractBatching: true });
    serial = await openNode({ home: copy, genesisText, contractBatching: false });
    const enclave = batched.enclave;
    const one = enclave.runContract.bind(enclave);
    const many = enclave.runContractBatch.bind(enclave);
    enclave.runContract = (request) => {
      calls.single++;
      return one(request);
    };
    enclave.runContractBatch = async (requests, chain) => {
      calls.batch++;
      const results = await many(requests, chain);
      calls.batchSizes.push(results.length);
      return results;
    };
  });

  after(async () => {
    await batched.close();
    await serial.close();
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  });

  const transfer = (from: User, to: User, options: TokenTransferOptions & { token?: number } = {}) =>
    tokenTransferTx(from, to, io, tokens[options.token ?? 0] as string, codeHash, options);

  async function both(txs: Uint8Array[]): Promise<ResponseFinalizeBlock> {
    const a = await runBlock(batched, txs, { skipPrepare: true });
    const b = await runBlock(serial, txs, { skipPrepare: true });
    assert.equal(a.txResults.length, txs.length);
    for (const [i, result] of a.txResults.entries()) {
      assert.deepEqual(result, b.txResults[i], `tx ${i}: batched result equals the one-by-one result`);
    }
    assert.deepEqual(a, b, 'whole FinalizeBlock responses equal');
    assert.equal(bytesToHex(a.appHash), bytesToHex(b.appHash), 'app hash');
    return a;
  }

  it('a block of plain transfers: identical, and batched', async () => {
    const before = calls.batch;
    const txs = users.slice(0, 20).map((u, i) => transfer(u, users[(i + 1) % 20] as User));
    const r = await both(txs);
    for (const [i, result] of r.txResults.entries()) assert.equal(result.code, 0, `tx ${i}: ${result.log}`);
    assert.ok(calls.batch > before, 'runContractBatch was used');
    assert.ok(
      Math.max(...calls.batchSizes) > 1,
      `a batch answered several calls: ${calls.batchSizes.join(',')}`,
    );
  });

  it('transfers mixed with every kind of failure and non-batchable tx: identical', async () => {
    const u = (i: number) => users[i] as User;
    // The SDK gas a transfer needs in full, to place gas limits around the post-call charge.
    const probe = await both([transfer(u(0), u(1))]);
    const need = probe.txResults[0]?.gasUsed ?? 0n;
    assert.ok(need > 0n, 'probe transfer used gas');
    const txs: Uint8Array[] = [
      transfer(u(1), u(2)),
      transfer(u(2), u(3)),
      // ante fails: fee above the balance
      transfer(u(3), u(4), { fee: 100_000_000_000n, sequence: u(3).sequence }),
      transfer(u(3), u(4)),
      // ante fails: wrong sequence
      transfer(u(4), u(5), { sequence: u(4).sequence + 5n }),
      transfer(u(4), u(5)),
      // the contract answers an error: not enough tokens
      transfer(u(23), u(5)),
      transfer(u(5), u(6), { amount: '5000' }),
      transfer(u(6), u(7)),
      // out of gas inside the VM
      transfer(u(7), u(8), { gasLimit: need - 3_000n }),
      transfer(u(8), u(9)),
      // a bank send, then a second contract, then two messages in one tx
      signTx(u(9), [sendMsg(u(9), u(10).address, 7n)]),
      transfer(u(10), u(11), { token: 1 }),
      transfer(u(11), u(12), { token: 1 }),
      transfer(u(12), u(13)),
      signTx(u(13), [
        executeMsg(u(13), io, tokens[0] as string, codeHash, transferMsg(u(14).address, '1')).message,
        executeMsg(u(13), io, tokens[0] as string, codeHash, transferMsg(u(15).address, '1')).message,
      ]),
      transfer(u(14), u(15)),
      // the enclave refuses the call: its envelope names another code hash
      signTx(
        u(18),
        [
          executeMsg(u(18), io, tokens[0] as string, 'ab'.repeat(32), transferMsg(u(19).address, '1'))
            .message,
        ],
        {
          gasLimit: 300_000n,
          fee: 60_000n,
        },
      ),
      transfer(u(19), u(20)),
    ];
    // Gas limits around what a transfer needs: some fail at the SDK charge right after a
    // successful call (its writes reverted although the batch went on from them).
    for (let delta = -4n; delta <= 3n; delta++) txs.push(transfer(u(15), u(16), { gasLimit: need + delta }));
    txs.push(transfer(u(16), u(17)), transfer(u(17), u(18)));
    const r = await both(txs);
    const codes = r.txResults.map((x) => x.code);
    const refused = r.txResults[17];
    assert.notEqual(refused?.code, 0, `the call with a wrong code hash fails: ${refused?.log}`);
    assert.ok(codes.filter((c) => c !== 0).length >= 5, `several txs failed: ${codes.join(',')}`);
    assert.ok(codes.filter((c) => c === 0).length >= 10, `most succeeded: ${codes.join(',')}`);
  });

  it('commit waits for a query ECALL in flight (its OCALLs read committed state)', async () => {
    const node = batched;
    const height = node.store.info().height + 1n;
    const txs = [transfer(users[20] as User, users[21] as User)];
    const request = {
      txs,
      hash: sha256(txs[0] as Uint8Array),
      height,
      timeNanos: GENESIS_TIME + height * BLOCK_NS,
      proposerAddress: proposer,
      misbehavior: [],
    };
    const response = await node.app.finalizeBlock(request);
    // The serial copy runs the same block (the next test compares the chains from here on).
    assert.deepEqual(await serial.app.finalizeBlock(request), response, 'same block, same response');
    await serial.app.commit();
    // Hold the query's ECALL open until the test lets it finish.
    const query = node.enclave.query.bind(node.enclave);
    let open = (): void => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    node.enclave.query = async (request) => {
      await gate;
      return query(request);
    };
    try {
      const data = queryData(owner, io, tokens[0] as string, codeHash, { token_info: {} }).data;
      const answer = node.app.query({ path: '/compute/query', data, height: 0n, prove: false });
      const committed = node.app.commit();
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(node.store.info().height, height - 1n, 'not committed while the query runs');
      open();
      assert.equal((await answer).code, 0, 'the query answered');
      await committed;
      assert.equal(node.store.info().height, height, 'committed after the query');
    } finally {
      node.enclave.query = query;
    }
  });

  it('the following blocks still agree (state after the mixed block is the same)', async () => {
    const txs = users.slice(0, 22).map((u, i) => transfer(u, users[(i + 3) % 22] as User, { token: i % 2 }));
    const r = await both(txs);
    for (const [i, result] of r.txResults.entries()) assert.equal(result.code, 0, `tx ${i}: ${result.log}`);
  });
});
