// The @cosmjs/tendermint-rpc Comet38Client against a real solo node (issue #7 "Must show"):
// status, blocks, validators, commit (with a real ed25519 signature), broadcast, tx lookup and
// search, WebSocket subscriptions; and the ciphertext seen through `tx` and `block` holds no
// plaintext of a private token transfer.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Comet38Client } from '@cosmjs/tendermint-rpc';
import { bytesToHex, ed25519Verify, sha256 } from '../../src/crypto/index.js';
import { contractAddressOf } from '../../src/app/index.js';
import { commitSignBytes } from '../../src/node/index.js';
import {
  contractWasm,
  executeMsg,
  instantiateMsg,
  makeUser,
  sendMsg,
  signTx,
  storeCodeMsg,
} from '../app/helpers.js';
import { tokenInitMsg } from '../helpers/token.js';
import { startTestNode, type TestNode } from './helpers.js';

const CHAIN = 'shroud-rpc-test';
const CHILD = new URL('./ws-child.ts', import.meta.url).pathname;

describe('Comet38Client against a solo node', () => {
  const alice = makeUser('rpc alice', 0n);
  const bob = makeUser('rpc bob', 1n);
  let t: TestNode;
  let client: Comet38Client;

  before(async () => {
    t = await startTestNode(CHAIN, [alice, bob]);
    client = await Comet38Client.connect(t.url);
  });
  after(async () => {
    client?.disconnect();
    await t?.close();
  });

  it('reads status, a block, its results, the chain, validators, genesis and abci info', async () => {
    const status = await client.status();
    assert.equal(status.nodeInfo.network, CHAIN);
    assert.ok(status.syncInfo.latestBlockHeight >= 1, 'at least one block');
    assert.equal(status.syncInfo.catchingUp, false);
    assert.equal(status.validatorInfo.pubkey?.algorithm, 'ed25519');
    assert.deepEqual(status.validatorInfo.pubkey?.data, t.node.validator.publicKey);

    const block = await client.block(1);
    assert.equal(block.block.header.height, 1);
    assert.equal(block.block.header.chainId, CHAIN);
    assert.equal(block.block.lastCommit, null, 'block 1 has no last commit');
    assert.equal(
      bytesToHex(block.blockId.hash),
      bytesToHex(t.node.blocks.load(1n)?.hash ?? new Uint8Array()),
    );
    await t.node.waitForHeight(2n, 10_000);
    // The RPC serves a block once the app has committed it too (servedHeight), a moment after
    // the block store has it: poll its status rather than asking for block 2 at once.
    for (let deadline = Date.now() + 10_000; (await client.status()).syncInfo.latestBlockHeight < 2;) {
      assert.ok(Date.now() < deadline, 'the RPC serves height 2 within 10 s of its commit');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const block2 = await client.block(2);
    assert.deepEqual(block2.block.header.lastBlockId?.hash, block.blockId.hash, 'block 2 links to block 1');
    assert.equal(block2.block.lastCommit?.height, 1);

    const latest = await client.block();
    assert.ok(latest.block.header.height >= 2);
    const results = await client.blockResults(1);
    assert.equal(results.height, 1);
    const chain = await client.blockchain(1, 2);
    assert.deepEqual(
      chain.blockMetas.map((m) => m.header.height),
      [2, 1],
    );

    const validators = await client.validators({});
    assert.equal(validators.total, 1);
    assert.deepEqual(validators.validators[0]?.address, t.node.validator.address);
    assert.equal(validators.validators[0]?.votingPower, 10n);

    const genesis = await client.genesis();
    assert.equal(genesis.chainId, CHAIN);
    assert.equal(genesis.validators.length, 1);

    const info = await client.abciInfo();
    assert.ok((info.lastBlockHeight ?? 0) >= 1);
    const query = await client.abciQuery({ path: '/network/keys', data: new Uint8Array() });
    assert.equal(query.code, 0);
    assert.match(Buffer.from(query.value).toString('utf8'), /ioPublicKey|io_public_key/);
  });

  it('serves a commit whose signature verifies under the validator key', async () => {
    const commit = await client.commit(1);
    assert.equal(commit.canonical, true);
    const signature = commit.commit.signatures[0];
    assert.ok(signature?.signature !== undefined, 'a signature');
    const signBytes = commitSignBytes(CHAIN, 1n, commit.commit.blockId.hash);
    assert.equal(ed25519Verify(signBytes, signature.signature, t.node.validator.publicKey), true);
    const tampered = commitSignBytes(CHAIN, 2n, commit.commit.blockId.hash);
    assert.equal(ed25519Verify(tampered, signature.signature, t.node.validator.publicKey), false);
  });

  it('broadcasts a bank send (sync and commit), finds it by hash and by search', async () => {
    const tx1 = signTx(alice, [sendMsg(alice, bob.address, 1000n)], { chainId: CHAIN });
    const sync = await client.broadcastTxSync({ tx: tx1 });
    assert.equal(sync.code, 0, sync.log);
    assert.equal(bytesToHex(sync.hash), bytesToHex(sha256(tx1)));

    const tx2 = signTx(alice, [sendMsg(alice, bob.address, 7n)], { chainId: CHAIN });
    const committed = await client.broadcastTxCommit({ tx: tx2 });
    assert.equal(committed.checkTx.code, 0, committed.checkTx.log);
    assert.equal(committed.txResult?.code, 0, committed.txResult?.log);
    assert.ok(committed.height > 0);

    const found = await client.tx({ hash: sha256(tx2) });
    assert.equal(found.height, committed.height);
    assert.deepEqual(found.tx, tx2);
    const byHeight = await client.txSearchAll({ query: `tx.height=${committed.height}` });
    assert.ok(
      byHeight.txs.some((tx) => bytesToHex(tx.hash) === bytesToHex(sha256(tx2))),
      'tx.height finds the tx',
    );
    const byHash = await client.txSearchAll({ query: `tx.hash='${bytesToHex(sha256(tx2)).toUpperCase()}'` });
    assert.equal(byHash.totalCount, 1);
    const bad = signTx(alice, [sendMsg(alice, bob.address, 1n)], { chainId: CHAIN, sequence: 0n });
    const rejected = await client.broadcastTxSync({ tx: bad });
    assert.notEqual(rejected.code, 0, 'a replayed sequence is refused by checkTx');
  });

  it('subscribes to new blocks and txs over WebSocket', async () => {
    const tx = signTx(bob, [sendMsg(bob, alice.address, 5n)], { chainId: CHAIN });
    // Async spawn: the node under test runs in this process and must keep making blocks.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CHILD, t.url.replace('http', 'ws'), Buffer.from(tx).toString('base64'), t.url],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const status = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const report = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
      blocks?: number[];
      txHash?: string;
      code?: number;
      error?: string;
    };
    assert.equal(status, 0, report.error ?? stderr);
    const [a, b] = report.blocks ?? [];
    assert.equal(b, (a ?? -1) + 1, 'two consecutive NewBlock events');
    assert.equal(report.code, 0, 'the tx passed checkTx');
    assert.equal(report.txHash, bytesToHex(sha256(tx)), 'the Tx event carries our tx');
  });

  it('shows only ciphertext of a private token transfer through tx and block', async () => {
    const wasm = contractWasm('token');
    const codeHash = bytesToHex(sha256(wasm));
    const io = t.node.genesis.network.ioPublicKey;
    const store = await client.broadcastTxCommit({
      tx: signTx(alice, [storeCodeMsg(alice, wasm)], { chainId: CHAIN, gasLimit: 5_000_000n }),
    });
    assert.equal(store.txResult?.code, 0, store.txResult?.log);
    const label = 'rpc-token';
    const token = contractAddressOf(1n, label);
    const holders = [{ address: alice.address, amount: '1000' }];
    const init = instantiateMsg(alice, io, 1n, codeHash, label, tokenInitMsg(holders));
    const instantiated = await client.broadcastTxCommit({
      tx: signTx(alice, [init.message], { chainId: CHAIN }),
    });
    assert.equal(instantiated.txResult?.code, 0, instantiated.txResult?.log);

    const secretMemo = 'canary-7f3a-private-recipient-note';
    const transfer = executeMsg(alice, io, token, codeHash, {
      transfer: { recipient: bob.address, amount: '250', memo: secretMemo },
    });
    const tx = signTx(alice, [transfer.message], { chainId: CHAIN });
    const done = await client.broadcastTxCommit({ tx });
    assert.equal(done.txResult?.code, 0, done.txResult?.log);

    const rawTx = await (await fetch(`${t.url}/tx?hash=0x${bytesToHex(sha256(tx))}`)).text();
    const rawBlock = await (await fetch(`${t.url}/block?height=${done.height}`)).text();
    const rawResults = await (await fetch(`${t.url}/block_results?height=${done.height}`)).text();
    for (const [name, text] of [
      ['tx', rawTx],
      ['block', rawBlock],
      ['block_results', rawResults],
    ] as const) {
      const decoded = [
        text,
        ...[...text.matchAll(/"([A-Za-z0-9+/=]{16,})"/g)].map((m) =>
          Buffer.from(m[1] ?? '', 'base64').toString('latin1'),
        ),
      ];
      for (const plaintext of [secretMemo, '"amount":"250"', 'transfer']) {
        assert.ok(!decoded.some((d) => d.includes(plaintext)), `${name} must not reveal ${plaintext}`);
      }
    }
    assert.ok(rawTx.includes(Buffer.from(tx).toString('base64')), 'the tx is served (as ciphertext)');
    const log = readFileSync(join(t.home, 'node.log'), 'utf8');
    assert.ok(log.includes('committed block'), 'the node logs');
    assert.ok(!log.includes(secretMemo), 'node.log holds no plaintext of the message');
  });
});
