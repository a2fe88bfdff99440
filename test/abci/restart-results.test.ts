// CometBFT checks more than the app hash: the next header's LastResultsHash commits to every
// tx's (code, data, gas_wanted, gas_used), so a validator restarted after a crash must compute
// the same results as one that never stopped, or CometBFT refuses the next block ("wrong
// Block.Header.LastResultsHash") and the node never catches up. This runs the same blocks on
// two nodes with the same genesis and seed: A runs without stopping, B is closed and reopened
// from disk in the middle; the results after the restart must be equal.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, sha256 } from '../../src/crypto/index.js';
import { contractAddressOf } from '../../src/app/index.js';
import {
  contractWasm,
  executeMsg,
  genesisJson,
  initChain,
  instantiateMsg,
  makeUser,
  openNode,
  runBlock,
  signTx,
  storeCodeMsg,
  tempDir,
  type Node,
} from '../app/helpers.js';
import { tokenInitMsg } from '../helpers/token.js';

type Opened = Node & { genesisText: string };

describe('tx results do not depend on the process history (CometBFT LastResultsHash)', () => {
  const homes: string[] = [];
  const nodes: Opened[] = [];
  after(async () => {
    for (const node of nodes) await node.close().catch(() => undefined);
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  });

  it('a node reopened from disk computes the same gas_used as one that never stopped', async () => {
    const alice = makeUser('alice', 0n);
    const bob = makeUser('bob', 1n);
    const homeA = tempDir('results-a');
    const homeB = tempDir('results-b');
    homes.push(homeA, homeB);
    const a = await openNode({ home: homeA, makeGenesis: (keys) => genesisJson(keys, [alice, bob]) });
    nodes.push(a);
    // B: same genesis and seed (a test may copy the software sealing key; a node never does).
    mkdirSync(homeB, { recursive: true });
    for (const file of ['sealing.key', 'sealed-seed']) copyFileSync(join(homeA, file), join(homeB, file));
    const open = () => openNode({ home: homeB, genesisText: a.genesisText });
    let b = await open();
    nodes.push(b);
    await initChain(a);
    await initChain(b);

    const wasm = contractWasm('token');
    const codeHash = bytesToHex(sha256(wasm));
    const token = contractAddressOf(1n, 'restart-token');
    const io = a.genesis.network.ioPublicKey;
    const both = async (txs: Uint8Array[]) => {
      const pair = [await runBlock(a, txs), await runBlock(b, txs)] as const;
      for (const r of pair) for (const x of r.txResults) assert.equal(x.code, 0, x.log);
      return pair;
    };
    await both([signTx(alice, [storeCodeMsg(alice, wasm)], { gasLimit: 5_000_000n })]);
    const holders = [{ address: alice.address, amount: '1000' }];
    const init = instantiateMsg(alice, io, 1n, codeHash, 'restart-token', tokenInitMsg(holders));
    await both([signTx(alice, [init.message])]);
    const transfer = (amount: string) =>
      signTx(alice, [
        executeMsg(alice, io, token, codeHash, { transfer: { recipient: bob.address, amount } }).message,
      ]);
    // The workload of test/abci/cometbft.test.ts before its SIGKILL: another caller's call
    // (bob's set_viewing_key) sits between alice's transfers.
    await both([transfer('250')]);
    await both([
      signTx(bob, [executeMsg(bob, io, token, codeHash, { set_viewing_key: { key: 'k' } }).message]),
    ]);
    const [before1, before2] = await both([transfer('50')]);
    assert.equal(before1.txResults[0]?.gasUsed, before2.txResults[0]?.gasUsed, 'equal before the restart');

    // B crashes and restarts from its store and sealed seed; A keeps running.
    await b.close();
    nodes.splice(nodes.indexOf(b), 1);
    b = await open();
    nodes.push(b);
    const tx = transfer('7');
    const afterA = await runBlock(a, [tx]);
    const afterB = await runBlock(b, [tx]);
    const result = (r: typeof afterA) =>
      r.txResults.map((x) => [x.code, bytesToHex(x.data), x.gasWanted.toString(), x.gasUsed.toString()]);
    assert.deepEqual(result(afterB), result(afterA), 'same results after the restart');
    assert.equal(bytesToHex(afterB.appHash), bytesToHex(afterA.appHash), 'same app hash');
  });
});
