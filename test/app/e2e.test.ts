// End to end in one process (issue #5 "Must show"): genesis from a bootstrapped enclave →
// store the token contract → instantiate → encrypted transfer → encrypted balance query the
// user decrypts → close everything and reopen from disk and the sealed seed → state and tx
// results are still there; a second node with the same seed replays the blocks and reaches
// the same app hash at every height.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, sha256 } from '../../src/crypto/index.js';
import { contractAddressOf, MODULE_ADDRESSES, TxCode } from '../../src/app/index.js';
import {
  balanceOf,
  computeQuery,
  contractWasm,
  decryptData,
  executeMsg,
  genesisJson,
  indexedTx,
  initChain,
  instantiateMsg,
  makeUser,
  type Node,
  openNode,
  queryData,
  queryJson,
  runBlock,
  sendMsg,
  signTx,
  storeCodeMsg,
  tempDir,
} from './helpers.js';

describe('app end to end: token contract, restart, replay', () => {
  const alice = makeUser('alice', 0n);
  const bob = makeUser('bob', 1n);
  const homeA = tempDir('a');
  let node: Node & { genesisText: string };
  const blocks: Uint8Array[][] = [];
  const appHashes: string[] = [];
  const wasm = contractWasm('token');
  const codeHash = bytesToHex(sha256(wasm));
  const label = 'shroud-token';
  const token = contractAddressOf(1n, label);
  let transferTx: Uint8Array;
  let transferKey: Uint8Array;

  async function block(txs: Uint8Array[]) {
    const response = await runBlock(node, txs);
    blocks.push(txs);
    appHashes.push(bytesToHex(response.appHash));
    return response;
  }

  before(async () => {
    node = await openNode({ home: homeA, makeGenesis: (keys) => genesisJson(keys, [alice, bob]) });
    await initChain(node);
  });
  after(async () => {
    await node.close().catch(() => undefined);
  });

  it('stores, instantiates, transfers privately and answers an encrypted query', async () => {
    const io = node.genesis.network.ioPublicKey;
    const storeTx = signTx(alice, [storeCodeMsg(alice, wasm)], { gasLimit: 5_000_000n });
    const r1 = await block([storeTx]);
    assert.equal(r1.txResults[0]?.code, TxCode.OK, r1.txResults[0]?.log);
    const code = await queryJson<{ code_hash: string }>(node, '/code/1');
    assert.equal(code.value.code_hash, codeHash, 'code 1 has the token hash');

    const init = instantiateMsg(
      alice,
      io,
      1n,
      codeHash,
      label,
      {
        name: 'Shroud Token',
        symbol: 'SHT',
        decimals: 6,
        initial_balances: [{ address: alice.address, amount: '1000' }],
        prng_seed: Buffer.from('seed').toString('base64'),
      },
      alice.address,
    );
    const initTx = signTx(alice, [init.message]);
    const r2 = await block([initTx]);
    assert.equal(r2.txResults[0]?.code, TxCode.OK, r2.txResults[0]?.log);
    const contract = await queryJson<{ label: string; admin: string }>(node, `/contract/${token}`);
    assert.equal(contract.value.label, label);
    assert.equal(contract.value.admin, alice.address);

    const transfer = executeMsg(alice, io, token, codeHash, {
      transfer: { recipient: bob.address, amount: '250' },
    });
    transferTx = signTx(alice, [transfer.message]);
    transferKey = transfer.txKey;
    const keyMsg = executeMsg(bob, io, token, codeHash, { set_viewing_key: { key: 'bob-key' } });
    const keyTx = signTx(bob, [keyMsg.message]);
    const r3 = await block([transferTx, keyTx]);
    assert.equal(r3.txResults[0]?.code, TxCode.OK, r3.txResults[0]?.log);
    assert.equal(r3.txResults[1]?.code, TxCode.OK, r3.txResults[1]?.log);
    const data = decryptData(transferKey, transferTx, r3.txResults[0].data);
    assert.match(data, /success/, 'alice reads her encrypted transfer result');
    const wasmEvent = r3.txResults[0].events.find((e) => e.type === 'wasm');
    assert.ok(wasmEvent, 'a wasm event');
    assert.ok(
      wasmEvent.attributes.every(
        (a) =>
          ['contract_address', 'msg_index'].includes(a.key) ||
          a.key.startsWith('encrypted:') ||
          !/250|bob/.test(a.value),
      ),
      'contract attributes stay encrypted',
    );
    assert.deepEqual(wasmEvent.attributes[0], { key: 'msg_index', value: '0', index: true });
    const dataAttribute = wasmEvent.attributes.find((a) => a.key === 'encrypted:data');
    assert.ok(dataAttribute, 'the sealed data is in the wasm event too (docs/sdk.md layout)');
    assert.equal(
      decryptData(transferKey, transferTx, new Uint8Array(Buffer.from(dataAttribute.value, 'base64'))),
      data,
    );

    const query = queryData(bob, io, token, codeHash, { balance: { address: bob.address, key: 'bob-key' } });
    const answer = await computeQuery(node, query.data);
    assert.equal(answer.code, 0, answer.log);
    assert.doesNotMatch(Buffer.from(answer.value).toString('latin1'), /250/, 'the answer is encrypted');
    assert.deepEqual(JSON.parse(query.open(answer.value)), { balance: { amount: '250' } });

    const wrong = queryData(bob, io, token, codeHash, { balance: { address: bob.address, key: 'wrong' } });
    const refused = await computeQuery(node, wrong.data);
    const opened = refused.code === 0 ? wrong.open(refused.value) : wrong.open(refused.value, 'query/error');
    assert.doesNotMatch(opened, /250/, 'a wrong viewing key reveals no balance');
    assert.match(opened, /[Ww]rong viewing key/);
  });

  it('pays fees to the proposer and keeps bank balances exact', async () => {
    const r = await block([signTx(alice, [sendMsg(alice, bob.address, 1234n)])]);
    assert.equal(r.txResults[0]?.code, TxCode.OK);
    // alice: 10^10 - fees of 4 txs (gas limits 5M, 2M, 2M, 2M at 0.1) - 1234
    assert.equal(await balanceOf(node, alice.address), 10_000_000_000n - 500_000n - 200_000n * 3n - 1234n);
    assert.equal(await balanceOf(node, bob.address), 10_000_000_000n - 200_000n + 1234n);
    assert.equal(
      await balanceOf(node, MODULE_ADDRESSES.feeCollector),
      0n,
      'the collector is emptied each block',
    );
    const operator = makeUser('operator', 2n);
    assert.equal(
      await balanceOf(node, operator.address),
      500_000n + 200_000n * 4n,
      'the proposer got every fee',
    );
  });

  it('finds tx results by hash, and keeps everything across a restart', async () => {
    const before = await indexedTx(node, transferTx);
    assert.ok(before, 'indexed');
    assert.equal(before.height, 3n);
    const heightBefore = node.store.info().height;
    const hashBefore = bytesToHex(node.store.info().appHash);
    await node.close();
    node = await openNode({ home: homeA, genesisText: node.genesisText });
    assert.equal(node.store.info().height, heightBefore);
    assert.equal(bytesToHex(node.store.info().appHash), hashBefore);
    const again = await indexedTx(node, transferTx);
    assert.ok(again);
    assert.equal(decryptData(transferKey, transferTx, again.result.data).includes('success'), true);
    const io = node.genesis.network.ioPublicKey;
    const query = queryData(bob, io, token, codeHash, { balance: { address: bob.address, key: 'bob-key' } });
    const answer = await computeQuery(node, query.data);
    assert.deepEqual(JSON.parse(query.open(answer.value)), { balance: { amount: '250' } }, 'state survives');
    // The chain continues after the restart.
    const t = executeMsg(bob, io, token, codeHash, { transfer: { recipient: alice.address, amount: '50' } });
    const r = await block([signTx(bob, [t.message])]);
    assert.equal(r.txResults[0]?.code, TxCode.OK, r.txResults[0]?.log);
  });

  it('a second node with the same sealed seed replays to the same app hash at every height', async () => {
    const homeB = tempDir('b');
    // Same seed: the sealing key and sealed seed copied (a restored node; registration is the other way).
    const { writeFileSync, copyFileSync } = await import('node:fs');
    copyFileSync(join(homeA, 'sealing.key'), join(homeB, 'sealing.key'));
    writeFileSync(join(homeB, 'sealed-seed'), readFileSync(join(homeA, 'sealed-seed')));
    const second = await openNode({ home: homeB, genesisText: node.genesisText });
    try {
      await initChain(second);
      for (const [i, txs] of blocks.entries()) {
        const response = await runBlock(second, txs, { skipPrepare: true });
        assert.equal(bytesToHex(response.appHash), appHashes[i], `app hash at height ${i + 1}`);
      }
      assert.equal(bytesToHex(second.store.recomputeAppHash()), bytesToHex(second.store.info().appHash));
    } finally {
      await second.close();
    }
  });

  it('leaves no plaintext of inputs, outputs or state in the LMDB files (canary scan)', async () => {
    const io = node.genesis.network.ioPublicKey;
    const canary = 'CANARY-7f3a9c';
    const t = executeMsg(alice, io, token, codeHash, {
      transfer: { recipient: bob.address, amount: '7', memo: canary },
    });
    const k = executeMsg(alice, io, token, codeHash, { set_viewing_key: { key: `${canary}-key` } });
    const r = await block([signTx(alice, [t.message]), signTx(alice, [k.message])]);
    assert.equal(r.txResults[0]?.code, TxCode.OK, r.txResults[0]?.log);
    assert.equal(r.txResults[1]?.code, TxCode.OK, r.txResults[1]?.log);
    const home = node.home;
    await node.close();
    const { readdirSync } = await import('node:fs');
    const files = readdirSync(join(home, 'data')).map((f) => join(home, 'data', f));
    assert.ok(files.length > 0);
    for (const file of files) {
      const bytes = readFileSync(file);
      // (Words of the contract's code, like "transfer", are public: the wasm is stored in clear.)
      for (const needle of [
        canary,
        'Shroud Token',
        'bob-key',
        '{"transfer":',
        '"symbol":"SHT"',
        '"amount":"7"',
      ]) {
        assert.equal(bytes.includes(Buffer.from(needle)), false, `${needle} not in ${file}`);
      }
    }
    node = await openNode({ home, genesisText: node.genesisText });
  });
});
