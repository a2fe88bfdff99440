// First-time senders through the whole app (issue #5; ADR 006 "Read-ahead", the read predictor):
// a block whose senders the enclave has never seen runs its contract calls in batches whose
// prefetch also holds the slots each call is expected to read. A prediction, right or wrong, must
// never change a byte: the same blocks on three copies of one chain (pipelined, batched, one call
// per ECALL) give identical FinalizeBlock responses and app hashes, over new senders and new
// recipients, a contract's very first transfer, failures, self-transfers and two contracts. And
// the batched copies cross the boundary far less often for those senders than one by one.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { bytesToHex } from '../../src/crypto/index.js';
import type { ResponseFinalizeBlock } from '../../src/app/index.js';
import {
  genesisJson,
  initChain,
  instantiateTokens,
  makeUser,
  openChainCopies,
  openNode,
  runBlock,
  storeCodes,
  tempDir,
  tokenTransferTx,
  type Node,
  type User,
} from './helpers.js';

describe('first-time senders: the read predictor changes no result', () => {
  const users: User[] = Array.from({ length: 30 }, (_, i) => makeUser(`fs-${i}`, BigInt(i)));
  const u = (i: number) => users[i] as User;
  const owner = u(0);
  let nodes: { pipelined: Node; batched: Node; serial: Node };
  let io: Uint8Array;
  let tokenHash: string;
  let tokens: string[];
  const homes: string[] = [];

  before(async () => {
    const home = tempDir('first-sender');
    homes.push(home);
    const setup = await openNode({ home, makeGenesis: (keys) => genesisJson(keys, users) });
    await initChain(setup);
    io = setup.genesis.network.ioPublicKey;
    [tokenHash] = (await storeCodes(setup, owner, ['token'])) as [string];
    // Users 0-19 hold tokens; 20-29 hold none (their transfers fail in the contract).
    tokens = await instantiateTokens(
      setup,
      owner,
      tokenHash,
      ['fs-token-a', 'fs-token-b'],
      users.slice(0, 20),
    );
    const genesisText = setup.genesisText;
    await setup.close();
    // Fresh enclaves: no sender, template or read-ahead known when the blocks below start.
    nodes = await openChainCopies(home, genesisText, 'first-sender', homes);
  });

  after(async () => {
    for (const node of Object.values(nodes ?? {})) await node.close();
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  });

  const transfer = (from: number, to: number, token = 0, amount = '1') =>
    tokenTransferTx(u(from), u(to), io, tokens[token] as string, tokenHash, { amount });

  /** Runs the block on the three copies; all responses must be identical. Returns OCALLs per copy. */
  async function all(
    txs: Uint8Array[],
  ): Promise<{ response: ResponseFinalizeBlock; ocalls: Record<string, number> }> {
    const ocalls: Record<string, number> = {};
    const responses: Record<string, ResponseFinalizeBlock> = {};
    for (const [name, node] of Object.entries(nodes)) {
      const before = node.enclave.ocallsServed;
      responses[name] = await runBlock(node, txs, { skipPrepare: true });
      ocalls[name] = node.enclave.ocallsServed - before;
    }
    const { pipelined, batched, serial } = responses as Record<keyof typeof nodes, ResponseFinalizeBlock>;
    for (const [i, result] of serial.txResults.entries()) {
      assert.deepEqual(pipelined.txResults[i], result, `tx ${i}: pipelined = one by one`);
      assert.deepEqual(batched.txResults[i], result, `tx ${i}: batched = one by one`);
    }
    assert.deepEqual(pipelined, serial, 'pipelined and one-by-one FinalizeBlock responses equal');
    assert.deepEqual(batched, serial, 'batched and one-by-one FinalizeBlock responses equal');
    assert.equal(bytesToHex(pipelined.appHash), bytesToHex(serial.appHash), 'app hash');
    return { response: serial, ocalls };
  }

  it('senders and recipients never seen, a contract’s first transfer: identical, far fewer crossings', async () => {
    // Users 1-12 send for the first time, to users 13-24 (some of whom have no balance slot).
    const { response, ocalls } = await all(Array.from({ length: 12 }, (_, k) => transfer(1 + k, 13 + k)));
    for (const [i, result] of response.txResults.entries())
      assert.equal(result.code, 0, `tx ${i}: ${result.log}`);
    for (const name of ['pipelined', 'batched'])
      assert.ok(
        (ocalls[name] as number) * 2 <= (ocalls.serial as number),
        `${name}: ${ocalls[name]} OCALLs, one by one ${ocalls.serial}`,
      );
  });

  it('failures, self-transfers and a second contract’s first transfers between new senders: identical', async () => {
    const txs = [
      transfer(13, 25, 1), // token b's first transfer ever
      transfer(14, 26, 0),
      transfer(25, 3, 0), // holds nothing of token a: fails in the contract
      transfer(15, 15, 1), // pays itself
      transfer(16, 27, 1),
      transfer(17, 28, 0, '5000'), // beyond its balance: fails
      transfer(22, 4, 1), // holds nothing of token b
      transfer(18, 29, 1),
      transfer(19, 19, 0),
      transfer(2, 20, 1),
      transfer(20, 5, 0), // received one token in the first block
    ];
    const { response } = await all(txs);
    const codes = response.txResults.map((result) => result.code);
    assert.ok(
      codes.filter((code) => code !== 0).length >= 3,
      `failures are in the block (${codes.join(',')})`,
    );
    assert.ok(codes.filter((code) => code === 0).length >= 7, `successes too (${codes.join(',')})`);
  });
});
