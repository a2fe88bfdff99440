// Submessages with reply_on (CONTRACT_ABI §0, §3.5) through the app: a caller contract sends
// the counter a wasm submessage with reply_on "always"; on success the counter's change stays
// and the reply runs; on the counter's error the counter's writes revert, the caller's reply
// entry receives the error, and the tx succeeds (the caller handled it). Fee charged each time.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex, sha256 } from '../../src/crypto/index.js';
import { contractAddressOf, TxCode } from '../../src/app/index.js';
import { replyCallerWasm } from '../helpers/reply-caller.js';
import {
  balanceOf,
  computeQuery,
  contractWasm,
  encryptMsg,
  executeMsg,
  genesisJson,
  initChain,
  instantiateMsg,
  makeUser,
  type Node,
  openNode,
  queryData,
  queryJson,
  runBlock,
  signTx,
  storeCodeMsg,
  tempDir,
} from './helpers.js';

describe('app: submessage replies', () => {
  const alice = makeUser('r-alice', 0n);
  let node: Node;
  let io: Uint8Array;
  const counterHash = bytesToHex(sha256(contractWasm('counter')));
  const counter = contractAddressOf(1n, 'counter');
  const caller = contractAddressOf(2n, 'caller');
  let callerHash: string;

  async function count(): Promise<number> {
    const q = queryData(alice, io, counter, counterHash, { get_count: {} });
    const r = await computeQuery(node, q.data);
    assert.equal(r.code, 0, r.log);
    return (JSON.parse(q.open(r.value)) as { count: number }).count;
  }

  /** Alice executes the caller in a block (`{ a: … }` → increment, else reset); the contracts of its wasm events. */
  async function callCaller(msg: unknown): Promise<(string | undefined)[]> {
    const call = executeMsg(alice, io, caller, callerHash, msg);
    const r = await runBlock(node, [signTx(alice, [call.message])]);
    assert.equal(r.txResults[0]?.code, TxCode.OK, r.txResults[0]?.log);
    const wasmEvents = r.txResults[0]?.events.filter((e) => e.type === 'wasm') ?? [];
    return wasmEvents.map((e) => e.attributes.find((a) => a.key === 'contract_address')?.value);
  }

  before(async () => {
    node = await openNode({ home: tempDir('reply'), makeGenesis: (keys) => genesisJson(keys, [alice]) });
    io = node.genesis.network.ioPublicKey;
    await initChain(node);
    const callerCode = await replyCallerWasm(counter, counterHash);
    callerHash = bytesToHex(sha256(callerCode));
    const r1 = await runBlock(node, [
      signTx(alice, [storeCodeMsg(alice, contractWasm('counter'))], { gasLimit: 5_000_000n }),
      signTx(alice, [storeCodeMsg(alice, callerCode)], { gasLimit: 5_000_000n }),
    ]);
    assert.deepEqual(
      r1.txResults.map((r) => r.code),
      [0, 0],
      r1.txResults.map((r) => r.log).join(' | '),
    );
    const r2 = await runBlock(node, [
      signTx(alice, [instantiateMsg(alice, io, 1n, counterHash, 'counter', { count: 1 }).message]),
      signTx(alice, [instantiateMsg(alice, io, 2n, callerHash, 'caller', {}).message]),
    ]);
    assert.deepEqual(
      r2.txResults.map((r) => r.code),
      [0, 0],
      r2.txResults.map((r) => r.log).join(' | '),
    );
  });
  after(() => node.close());

  it('migrate: only the admin, and the contract then runs the new code', async () => {
    const r1 = await runBlock(node, [
      signTx(alice, [
        instantiateMsg(alice, io, 1n, counterHash, 'counter2', { count: 5 }, alice.address).message,
      ]),
    ]);
    assert.equal(r1.txResults[0]?.code, TxCode.OK, r1.txResults[0]?.log);
    const migrate = (contract: string) => {
      const e = encryptMsg(alice, io, { kind: 'migrate', target: contract, codeHash: callerHash, msg: {} });
      return signTx(alice, [
        {
          sum: {
            case: 'migrateContract',
            value: { sender: alice.address, contract, codeId: 2n, msg: e.envelope },
          },
        },
      ]);
    };
    const refused = await runBlock(node, [migrate(counter)]);
    assert.equal(refused.txResults[0]?.code, TxCode.NOT_ADMIN, 'counter has no admin');
    const counter2 = contractAddressOf(1n, 'counter2');
    const done = await runBlock(node, [migrate(counter2)]);
    assert.equal(done.txResults[0]?.code, TxCode.OK, done.txResults[0]?.log);
    const info = await queryJson<{ code_id: string; code_hash: string }>(node, `/contract/${counter2}`);
    assert.equal(info.value.code_id, '2');
    assert.equal(info.value.code_hash, callerHash);
    const before = await queryJson<{ code_id: string }>(node, `/contract/${counter}`);
    assert.equal(before.value.code_id, '1', 'the refused migration changed nothing');
  });

  it('success: the callee change stays and the caller gets the reply', async () => {
    const before = await balanceOf(node, alice.address);
    const contracts = await callCaller({ a: 1 });
    assert.equal(await count(), 2, 'incremented through the submessage');
    assert.deepEqual(contracts, [caller, counter, caller], 'caller, callee, then the reply');
    assert.equal(await balanceOf(node, alice.address), before - 200_000n);
  });

  it("error: the callee's writes revert, the caller's reply handles it, the tx succeeds", async () => {
    const contracts = await callCaller({ b: 1 });
    assert.equal(await count(), 2, 'the refused reset changed nothing');
    assert.deepEqual(contracts, [caller, caller], 'caller, then its reply (the failed callee left no event)');
  });
});
