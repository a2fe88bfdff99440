// Adversarial review of pipelined contract-call batches (issue #5, ADR 006/007 "Pipelined
// batches"). App level: the same blocks through three copies of one chain (pipelined, batched
// without pipelining, one call per ECALL) must give byte-identical FinalizeBlock responses, for
// blocks shaped to make a speculation read state the host then changes: a contract instantiated
// mid-block and called at once, a speculative batch whose every tx fails its ante followed by a
// non-batched call of the same contract writing the same slots, one sender many times in a row,
// viewing-key writes between transfers, a bank send funding the next sender's fee. Also: a query
// ECALL answered while a pipelined block runs sees committed state only. Enclave level (the
// enclave's own safety against its host): what a kept overlay may be used after.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { sha256 } from '../../src/crypto/index.js';
import { contractAddressOf } from '../../src/app/index.js';
import type { ResponseFinalizeBlock } from '../../src/app/index.js';
import type { RunContractRequest, RunContractResult } from '../../src/enclave/index.js';
import { tokenInitMsg, transferMsg } from '../helpers/token.js';
import {
  computeQuery,
  contractWasm,
  executeMsg,
  genesisJson,
  initChain,
  instantiateMsg,
  makeUser,
  openNode,
  queryData,
  runBlock,
  sendMsg,
  signTx,
  storeCodeMsg,
  tempDir,
  type Node,
  type User,
  tokenTransferTx,
  openChainCopies,
  type TokenTransferOptions,
  BLOCK_NS,
  GENESIS_TIME,
  proposer,
  instantiateTokens,
  storeCodes,
} from './helpers.js';
import { makeUser as makeEnclaveUser, twoTokenValidators } from '../enclave/helpers.js';

describe('pipelined batches under review: three copies agree', () => {
  const users: User[] = Array.from({ length: 24 }, (_, i) => makeUser(`plr-${i}`, BigInt(i)));
  const u = (i: number) => users[i] as User;
  const owner = u(0);
  let pipelined: Node;
  let batched: Node;
  let serial: Node;
  let io: Uint8Array;
  let tokenHash: string;
  let token: string;
  const homes: string[] = [];

  before(async () => {
    const home = tempDir('pipeline-review');
    homes.push(home);
    const setup = await openNode({ home, makeGenesis: (keys) => genesisJson(keys, users) });
    await initChain(setup);
    io = setup.genesis.network.ioPublicKey;
    [tokenHash] = (await storeCodes(setup, owner, ['token'])) as [string];
    [token] = (await instantiateTokens(setup, owner, tokenHash, ['plr-token'], users)) as [string];
    const genesisText = setup.genesisText;
    await setup.close();
    ({ pipelined, batched, serial } = await openChainCopies(home, genesisText, 'pipeline-review', homes));
  });

  after(async () => {
    await pipelined?.close();
    await batched?.close();
    await serial?.close();
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  });

  const transfer = (from: User, to: User, options: TokenTransferOptions & { contract?: string } = {}) =>
    tokenTransferTx(from, to, io, options.contract ?? token, tokenHash, options);

  const ring = (start: number, count: number, contract?: string) =>
    Array.from({ length: count }, (_, k) =>
      transfer(u((start + k) % 23), u((start + k + 1) % 23), contract === undefined ? {} : { contract }),
    );

  async function all(txs: Uint8Array[]): Promise<ResponseFinalizeBlock> {
    const a = await runBlock(pipelined, txs, { skipPrepare: true });
    const b = await runBlock(batched, txs, { skipPrepare: true });
    const c = await runBlock(serial, txs, { skipPrepare: true });
    assert.equal(a.txResults.length, txs.length, 'one result per tx');
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
    return a;
  }

  it('a contract instantiated mid-block and called at once, interleaved with a running chain', async () => {
    const before = { ...pipelined.app.pipelineStats };
    const init = instantiateMsg(
      owner,
      io,
      1n,
      tokenHash,
      'plr-token-new',
      tokenInitMsg(users.map((x) => ({ address: x.address, amount: '50' }))),
    );
    const fresh = contractAddressOf(1n, 'plr-token-new');
    const r = await all([
      ...ring(1, 9),
      signTx(owner, [init.message], { gasLimit: 200_000_000n }),
      ...ring(10, 9, fresh),
      ...ring(19, 9),
    ]);
    for (const [i, result] of r.txResults.entries()) assert.equal(result.code, 0, `tx ${i}: ${result.log}`);
    assert.ok(pipelined.app.pipelineStats.used > before.used, 'speculative batches were used');
  });

  it('a speculation whose every tx fails its ante, then a non-batched call writing the same slots', async () => {
    const before = { ...pipelined.app.pipelineStats };
    // The ring before predicts the fee-failing txs; their speculative ECALL may still run when
    // the two-message tx (never batched) writes the balances the speculation read.
    const tooRich = (i: number) =>
      transfer(u(i), u(i + 1), { fee: 100_000_000_000n, sequence: u(i).sequence });
    const r = await all([
      ...ring(1, 8),
      tooRich(9),
      tooRich(10),
      tooRich(11),
      signTx(u(9), [
        executeMsg(u(9), io, token, tokenHash, transferMsg(u(10).address, '5')).message,
        executeMsg(u(9), io, token, tokenHash, transferMsg(u(11).address, '5')).message,
      ]),
      ...ring(9, 8),
    ]);
    const codes = r.txResults.map((x) => x.code);
    assert.deepEqual(
      codes.map((c) => c === 0),
      [...Array<boolean>(8).fill(true), false, false, false, true, ...Array<boolean>(8).fill(true)],
      `codes: ${codes.join(',')}`,
    );
    assert.ok(pipelined.app.pipelineStats.started > before.started, 'a speculation started');
  });

  it('one sender many times in a row, and viewing-key writes between transfers', async () => {
    const before = pipelined.app.pipelineStats.used;
    const setKey = (user: User, key: string) =>
      signTx(user, [executeMsg(user, io, token, tokenHash, { set_viewing_key: { key } }).message], {
        gasLimit: 300_000n,
      });
    const r = await all([
      ...Array.from({ length: 10 }, () => transfer(u(3), u(4))),
      ...ring(4, 5),
      setKey(u(9), 'k9'),
      setKey(u(10), 'k10'),
      ...ring(9, 6),
      ...Array.from({ length: 6 }, (_, k) => transfer(u(4 + (k % 2)), u(3))),
    ]);
    for (const [i, result] of r.txResults.entries()) assert.equal(result.code, 0, `tx ${i}: ${result.log}`);
    assert.ok(pipelined.app.pipelineStats.used > before, 'speculative batches were used');
  });

  it('a bank send funds the next sender whose fee would otherwise fail', async () => {
    // u(22) has too little for this fee until u(20) and u(21) send it coins mid-block: the
    // funded sender's tx must run in the block's real state on every copy.
    const fee = 15_000_000_000n;
    const r = await all([
      ...ring(1, 6),
      transfer(u(22), u(1), { fee, gasLimit: 300_000n, sequence: u(22).sequence }),
      signTx(u(20), [sendMsg(u(20), u(22).address, 6_000_000_000n)]),
      signTx(u(21), [sendMsg(u(21), u(22).address, 6_000_000_000n)]),
      ...ring(7, 3),
      transfer(u(22), u(1), { fee, gasLimit: 300_000n }),
      ...ring(10, 6),
    ]);
    const codes = r.txResults.map((x) => x.code);
    assert.notEqual(codes[6], 0, `the unfunded tx fails: ${codes.join(',')}`);
    assert.equal(codes.filter((c) => c !== 0).length, 1, `only it: ${codes.join(',')}`);
  });

  it('a duplicate tx, a code upload mid-run, gas failures before the call, a contract error first in a speculation', async () => {
    const before = { ...pipelined.app.pipelineStats };
    const probe = await all([transfer(u(1), u(2))]);
    const need = probe.txResults[0]?.gasUsed ?? 0n;
    assert.ok(need > 0n, 'probe transfer used gas');
    const dup = transfer(u(3), u(4));
    const r = await all([
      ...ring(4, 3),
      dup,
      dup,
      ...ring(7, 4),
      signTx(owner, [storeCodeMsg(owner, contractWasm('counter'))], { gasLimit: 5_000_000n }),
      ...ring(11, 4),
      ...[60_000n, 40_000n, 20_000n].map((less) =>
        transfer(u(15), u(16), { gasLimit: need - less, sequence: u(15).sequence }),
      ),
      ...ring(15, 5),
    ]);
    const failed = r.txResults.filter((x) => x.code !== 0).length;
    assert.ok(
      failed >= 4,
      `the duplicate and the short-gas txs fail: ${r.txResults.map((x) => x.code).join(',')}`,
    );
    // A contract error (more than the sender holds) at each position, so that some blocks put
    // it first in a speculative batch.
    for (let position = 2; position <= 9; position++) {
      const txs = [
        ...ring(1, position),
        transfer(u(1 + position), u(2 + position), { amount: '1000000' }),
        ...ring(2 + position, 6),
      ];
      const b = await all(txs);
      assert.notEqual(
        b.txResults[position]?.code,
        0,
        `position ${position}: the contract refused the transfer`,
      );
    }
    const started = pipelined.app.pipelineStats.started - before.started;
    const used = pipelined.app.pipelineStats.used - before.used;
    assert.ok(used > 0 && started > used, `speculations used ${used}, some dropped (${started} started)`);
  });

  /** Wraps the pipelined node's speculative batches in `wrap` for the duration of `run`. */
  async function withSpeculation(
    wrap: (
      send: () => Promise<RunContractResult[]>,
      requests: readonly RunContractRequest[],
    ) => Promise<RunContractResult[]>,
    run: () => Promise<void>,
  ): Promise<number> {
    const enclave = pipelined.enclave;
    const original = enclave.runContractBatch.bind(enclave);
    let speculative = 0;
    enclave.runContractBatch = (requests, chain) => {
      const send = () => original(requests, chain);
      if (chain === undefined || chain.after === 0) return send();
      speculative++;
      return wrap(send, requests);
    };
    try {
      await run();
    } finally {
      // Back to the prototype's method (the patch is an own property).
      Reflect.deleteProperty(enclave, 'runContractBatch');
    }
    return speculative;
  }

  it('speculative ECALLs that fail, answer nothing or answer late: identical', async () => {
    const turns = async (n: number) => {
      for (let k = 0; k < n; k++) await new Promise<void>((resolve) => setImmediate(resolve));
    };
    const cases: [string, Parameters<typeof withSpeculation>[0]][] = [
      ['rejected', () => Promise.reject(new Error('enclave refused the speculation'))],
      ['empty', async (send) => (await send(), [])],
      ['first result only', async (send) => (await send()).slice(0, 1)],
      [
        'late',
        async (send) => {
          const results = await send();
          await turns(20); // the host has applied the batch before and waits for this one
          return results;
        },
      ],
    ];
    for (const [name, wrap] of cases) {
      const count = await withSpeculation(wrap, async () => {
        const r = await all([
          ...ring(2, 13),
          transfer(u(15), u(16), { sequence: u(15).sequence + 3n }),
          ...ring(16, 6),
        ]);
        assert.equal(r.txResults.filter((x) => x.code !== 0).length, 1, `${name}: one tx fails`);
      });
      assert.ok(count > 0, `${name}: speculative batches were sent`);
    }
  });

  it('a query ECALL during a pipelined block answers from committed state', async () => {
    const setKey = signTx(
      u(5),
      [executeMsg(u(5), io, token, tokenHash, { set_viewing_key: { key: 'q5' } }).message],
      {
        gasLimit: 300_000n,
      },
    );
    await all([setKey]);
    const ask = async (node: Node) => {
      const q = queryData(u(5), io, token, tokenHash, { balance: { address: u(5).address, key: 'q5' } });
      const answer = await computeQuery(node, q.data);
      assert.equal(answer.code, 0, answer.log);
      return q.open(answer.value);
    };
    const committed = await ask(serial);
    const txs = [...Array.from({ length: 12 }, () => transfer(u(5), u(6))), ...ring(6, 8)];
    // finalizeBlock alone (no commit yet): every answer, during it and after it, must be the
    // committed balance.
    const height = pipelined.store.info().height + 1n;
    const request = {
      txs,
      hash: sha256(new Uint8Array(0)),
      height,
      timeNanos: GENESIS_TIME + height * BLOCK_NS,
      proposerAddress: proposer,
      misbehavior: [],
    };
    let done = false;
    const block = pipelined.app.finalizeBlock(request).finally(() => (done = true));
    // Ask while the block runs (its tx loop yields to the event loop while a speculation starts).
    const answers: { answer: string; during: boolean }[] = [];
    for (let k = 0; k < 6; k++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const during = !done;
      answers.push({ answer: await ask(pipelined), during });
    }
    const a = await block;
    answers.push({ answer: await ask(pipelined), during: false });
    await pipelined.app.commit();
    const c = await runBlock(serial, txs, { skipPrepare: true });
    await runBlock(batched, txs, { skipPrepare: true });
    assert.deepEqual(a, c, 'the block itself agrees');
    assert.ok(
      answers.some((x) => x.during),
      'at least one query was asked while finalizeBlock ran',
    );
    for (const [k, { answer, during }] of answers.entries())
      assert.equal(answer, committed, `query ${k} (during finalizeBlock: ${during}) saw committed state`);
  });
});

// --- the enclave against its own host ------------------------------------------------------

const alice = makeEnclaveUser(71);
const bob = makeEnclaveUser(72);

const twoValidators = () => twoTokenValidators({ label: 'pipeline-review', alice, bob });

describe('pipelined batches under review: the kept overlay and the host', () => {
  it('a kept overlay is not followed into the next block', async () => {
    const { b, transfer, stop } = await twoValidators();
    try {
      const kept = await b.enclave.runContractBatch([transfer(alice, bob, '1')], { id: 1, after: 0 });
      assert.ok(kept[0]?.ok, 'a full batch, kept');
      // The block ends; the next one starts (its random derived). The overlay belongs to the
      // block before: a speculative batch of the new block must not start from it.
      await b.enclave.blockRandom({ height: 2n, previousAppHash: new Uint8Array(32).fill(1) });
      await assert.rejects(
        b.enclave.runContractBatch([transfer(bob, alice, '1')], { id: 2, after: 1 }),
        "a speculative batch after the previous block's kept overlay is refused",
      );
    } finally {
      await stop();
    }
  });

  it('a kept overlay is not followed after any other ECALL (nothing may come between)', async () => {
    const { b, transfer, stop } = await twoValidators();
    try {
      await b.enclave.runContractBatch([transfer(alice, bob, '1')], { id: 1, after: 0 });
      // Any other ECALL between the kept batch and its follower means the host did something
      // in between; refusing keeps "follows immediately" an enclave-checked property.
      await b.enclave.blockRandom({ height: 1n, previousAppHash: new Uint8Array(32) });
      await assert.rejects(
        b.enclave.runContractBatch([transfer(bob, alice, '1')], { id: 2, after: 1 }),
        'refused after another ECALL',
      );
    } finally {
      await stop();
    }
  });

  it('a kept overlay is not followed after another ECALL wrote the same slots (single runContract)', async () => {
    const { a, b, transfer, stop } = await twoValidators();
    try {
      // Validator a, sequentially: batch [t1] applied, then t2 (single call) applied, then t3.
      const t1 = transfer(alice, bob, '100');
      const t2 = transfer(alice, bob, '200');
      const t3 = transfer(alice, bob, '1');
      const seq: RunContractResult[] = [];
      for (const request of [t1, t2, t3]) {
        const result = await a.enclave.runContract(request);
        a.host.apply(request.contract, result);
        seq.push(result);
      }
      // Validator b: t1 as a kept batch (id 1), then t2 by runContract (which should end the
      // chain: its writes are newer than the kept overlay), then t3 "after 1".
      const first = await b.enclave.runContractBatch([t1], { id: 1, after: 0 });
      b.host.apply(t1.contract, first[0] as RunContractResult);
      const second = await b.enclave.runContract(t2);
      b.host.apply(t2.contract, second);
      let third: RunContractResult[] | null;
      try {
        third = await b.enclave.runContractBatch([t3], { id: 2, after: 1 });
      } catch {
        third = null; // refused: the sound answer
      }
      // Either refused, or the same result as sequential execution.
      if (third !== null && third.length > 0)
        assert.deepEqual(third[0], seq[2], 'a batch after a stale overlay computes on the state before t2');
    } finally {
      await stop();
    }
  });
});
