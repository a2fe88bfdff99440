// broadcast_tx_async answers at once, as CometBFT 0.38's BroadcastTxAsync does: code 0 and the
// tx hash, without waiting for checkTx; a client's txs sent one after another still reach
// checkTx in order (consecutive sequences of one sender both commit), and a tx checkTx refuses
// is answered the same way but never enters a block.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex, sha256 } from '../../src/crypto/index.js';
import { makeUser, sendMsg, signTx } from '../app/helpers.js';
import { post, startTestNode, type TestNode } from './helpers.js';

const CHAIN = 'shroud-rpc-async';

async function rpc(url: string, method: string, params: Record<string, unknown>) {
  const { json } = await post(url, JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }));
  return json as { result?: Record<string, unknown>; error?: { code: number; message: string } };
}

const b64 = (tx: Uint8Array) => Buffer.from(tx).toString('base64');

/** Polls `tx` by hash until found or the timeout; returns the result or undefined. */
async function waitForTx(url: string, hash: Uint8Array, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const answer = await rpc(url, 'tx', { hash: bytesToHex(hash).toUpperCase() });
    if (answer.result !== undefined) return answer.result;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return undefined;
}

describe('broadcast_tx_async', () => {
  const alice = makeUser('rpc async alice', 0n);
  const bob = makeUser('rpc async bob', 1n);
  let t: TestNode;

  before(async () => {
    t = await startTestNode(CHAIN, [alice, bob]);
  });
  after(async () => {
    await t?.close();
  });

  it('answers code 0 with the hash, and a sender’s consecutive sequences both commit', async () => {
    const txs = [0n, 1n, 2n].map((sequence) =>
      signTx(alice, [sendMsg(alice, bob.address, 10n + sequence)], { chainId: CHAIN, sequence }),
    );
    for (const tx of txs) {
      const answer = await rpc(t.url, 'broadcast_tx_async', { tx: b64(tx) });
      assert.equal(answer.error, undefined, `no error for sequence ${txs.indexOf(tx)}`);
      assert.equal(answer.result?.['code'], 0, `code 0 for sequence ${txs.indexOf(tx)}`);
      assert.equal(answer.result?.['hash'], bytesToHex(sha256(tx)).toUpperCase(), 'the tx hash');
    }
    for (const [i, tx] of txs.entries()) {
      const found = await waitForTx(t.url, sha256(tx), 20_000);
      assert.ok(found !== undefined, `sequence ${i} committed`);
      const result = found['tx_result'] as { code: number; log: string };
      assert.equal(result.code, 0, `sequence ${i} executed: ${result.log}`);
    }
  });

  it('does not wait for checkTx: a refused tx is answered code 0 and never commits', async () => {
    // Sequence 0 of alice was spent by the test above: checkTx refuses this replay.
    const replay = signTx(alice, [sendMsg(alice, bob.address, 99n)], { chainId: CHAIN, sequence: 0n });
    const sync = await rpc(t.url, 'broadcast_tx_sync', { tx: b64(replay) });
    assert.notEqual(sync.result?.['code'], 0, 'broadcast_tx_sync shows the refusal');
    const answer = await rpc(t.url, 'broadcast_tx_async', { tx: b64(replay) });
    assert.equal(answer.result?.['code'], 0, 'async answers before the check (CometBFT)');
    assert.equal(answer.result?.['log'], '', 'no check log in an async answer');
    // A later tx of bob commits; the refused replay is not in any block up to then.
    const later = signTx(bob, [sendMsg(bob, alice.address, 1n)], { chainId: CHAIN, sequence: 0n });
    assert.equal((await rpc(t.url, 'broadcast_tx_async', { tx: b64(later) })).result?.['code'], 0);
    assert.ok((await waitForTx(t.url, sha256(later), 20_000)) !== undefined, 'the later tx committed');
    const pending = await rpc(t.url, 'num_unconfirmed_txs', {});
    assert.equal(pending.result?.['n_txs'], '0', 'the refused tx is not pending');
    assert.equal(await waitForTx(t.url, sha256(replay), 300), undefined, 'the refused tx never committed');
  });

  it('a JSON-RPC batch of broadcasts: answers in order, one sender’s sequences all accepted', async () => {
    // Items run together (server.ts) but reach the mempool in order: bob's sequences 1..4 in
    // one batch are all accepted, the bad item in the middle is refused alone.
    const txs = [1n, 2n, 3n, 4n].map((sequence) =>
      signTx(bob, [sendMsg(bob, alice.address, 1n)], { chainId: CHAIN, sequence }),
    );
    const items: { jsonrpc: string; id: number | string; method: string; params: { tx: string } }[] = txs.map(
      (tx, i) => ({
        jsonrpc: '2.0',
        id: i,
        method: 'broadcast_tx_sync',
        params: { tx: b64(tx) },
      }),
    );
    items.splice(2, 0, { jsonrpc: '2.0', id: 'bad', method: 'broadcast_tx_sync', params: { tx: '%%%' } });
    const { json } = await post(t.url, JSON.stringify(items));
    const answers = json as unknown as {
      id: unknown;
      result?: { code: number; log: string };
      error?: unknown;
    }[];
    assert.deepEqual(
      answers.map((a) => a.id),
      [0, 1, 'bad', 2, 3],
      'answers in request order',
    );
    for (const answer of answers) {
      if (answer.id === 'bad') assert.ok(answer.error !== undefined, 'the malformed item is an error');
      else assert.equal(answer.result?.code, 0, `item ${String(answer.id)} accepted: ${answer.result?.log}`);
    }
    for (const [i, tx] of txs.entries()) {
      const found = await waitForTx(t.url, sha256(tx), 20_000);
      assert.ok(found !== undefined, `bob's sequence ${i + 1} committed`);
    }
  });

  it('still refuses malformed params at once', async () => {
    for (const params of [{ tx: '%%%' }, {}]) {
      const answer = await rpc(t.url, 'broadcast_tx_async', params);
      assert.equal(answer.error?.code, -32602, `invalid params for ${JSON.stringify(params)}`);
    }
  });
});
