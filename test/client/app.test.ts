// The SDK against the real application (src/app with its store and enclave), through a
// test-only JSON-RPC adaptor that speaks the CometBFT 0.38 shapes the RPC issue will serve:
// status, abci_query → app.query, broadcast_tx_sync → checkTx then one block, tx → the app's
// `/tx/<hash>` index. This checks the client reads what the app really emits. The real RPC
// server and multi-node end-to-end tests come with issue 7's RPC work.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex } from '../../src/crypto/index.js';
import { decodeIndexedTx } from '../../src/app/index.js';
import { txHashHex } from '../../src/codec/index.js';
import {
  ContractError,
  InsufficientFundsError,
  OutOfGasError,
  ShroudClient,
  Wallet,
} from '../../src/client/index.js';
import { RpcFault, startFakeNode, statusResult, type FakeNode } from './fake-node.js';
import {
  CHAIN_ID,
  DENOM,
  contractWasm,
  genesisJson,
  initChain,
  makeUser,
  openNode,
  runBlock,
  tempDir,
  type Node,
} from '../app/helpers.js';
import { deployToken, transferToken } from '../helpers/token.js';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

describe('ShroudClient against the real app (test JSON-RPC adaptor)', () => {
  const aliceUser = makeUser('alice', 0n);
  const bobUser = makeUser('bob', 1n);
  const alice = Wallet.fromPrivateKey(aliceUser.privateKey);
  const bob = Wallet.fromPrivateKey(bobUser.privateKey);
  let node: Node;
  let rpc: FakeNode;
  const txBytesByHash = new Map<string, Uint8Array>();
  let blocks: Promise<unknown> = Promise.resolve();

  async function handle(method: string, params: Record<string, unknown>): Promise<unknown> {
    switch (method) {
      case 'status':
        return statusResult(CHAIN_ID, node.store.info().height);
      case 'abci_query': {
        const response = await node.app.query({
          path: String(params.path),
          data: new Uint8Array(Buffer.from(String(params.data), 'hex')),
          height: 0n,
          prove: false,
        });
        return {
          response: {
            code: response.code,
            log: response.log,
            info: '',
            index: '0',
            key: null,
            value: response.value.length === 0 ? null : b64(response.value),
            proofOps: null,
            height: response.height.toString(),
            codespace: response.codespace,
          },
        };
      }
      case 'broadcast_tx_sync': {
        const tx = new Uint8Array(Buffer.from(String(params.tx), 'base64'));
        const checked = node.app.checkTx({ tx, type: 'new' });
        const hash = txHashHex(tx);
        if (checked.code === 0) {
          txBytesByHash.set(hash, tx);
          blocks = blocks.then(() => runBlock(node, [tx])); // one block per tx, in order
        }
        return {
          code: checked.code,
          data: b64(checked.data),
          log: checked.log,
          codespace: checked.codespace,
          hash,
        };
      }
      case 'tx': {
        await blocks;
        const hash = Buffer.from(String(params.hash), 'base64').toString('hex').toUpperCase();
        const found = await node.app.query({
          path: `/tx/${hash}`,
          data: new Uint8Array(0),
          height: 0n,
          prove: false,
        });
        const tx = txBytesByHash.get(hash);
        if (found.code !== 0 || tx === undefined)
          throw new RpcFault(-32603, 'Internal error', `tx (${hash}) not found`);
        const indexed = decodeIndexedTx(found.value);
        return {
          hash,
          height: indexed.height.toString(),
          index: indexed.index,
          tx_result: {
            code: indexed.result.code,
            data: b64(indexed.result.data),
            log: indexed.result.log,
            info: '',
            gas_wanted: indexed.result.gasWanted.toString(),
            gas_used: indexed.result.gasUsed.toString(),
            events: indexed.result.events,
            codespace: indexed.result.codespace,
          },
          tx: b64(tx),
        };
      }
      default:
        throw new RpcFault(-32601, 'Method not found', method);
    }
  }

  before(async () => {
    node = await openNode({
      home: tempDir('client'),
      makeGenesis: (keys) => genesisJson(keys, [aliceUser, bobUser]),
    });
    await initChain(node);
    await runBlock(node, []);
    rpc = await startFakeNode(handle);
  });
  after(async () => {
    await rpc.close();
    await node.close();
  });

  it('store, instantiate, execute, query, send — decrypted from what the app emits', async () => {
    const options = { gasPrice: { denom: DENOM, amount: '0.1' }, pollIntervalMs: 10, waitTimeoutMs: 20_000 };
    const client = await ShroudClient.connect(rpc.url, alice, options);
    assert.equal(client.chainId, CHAIN_ID);
    assert.equal(bytesToHex(await client.networkPublicKey()), bytesToHex(node.genesis.network.ioPublicKey));
    const account = await client.getAccount(alice.address);
    assert.equal(account?.accountNumber, 0n);

    const stored = await client.storeCode(contractWasm('counter'), { gasLimit: 20_000_000n });
    const init = await client.instantiate({
      codeId: stored.codeId,
      label: 'real-counter',
      msg: { count: 3 },
    });
    const owner = init.events.flatMap((e) => e.attributes).find((a) => a.key === 'owner');
    assert.deepEqual(
      owner,
      { key: 'owner', value: alice.address, encrypted: true },
      'encrypted attribute opened',
    );
    const contract = await client.getContract(init.contractAddress);
    assert.equal(contract?.codeHash, stored.codeHash);

    const executed = await client.execute({ contract: init.contractAddress, msg: { increment: {} } });
    assert.deepEqual(await client.query(init.contractAddress, { get_count: {} }), { count: 4 });

    const bobClient = await ShroudClient.connect(rpc.url, bob, options);
    await assert.rejects(
      bobClient.execute({ contract: init.contractAddress, msg: { reset: { count: 0 } } }),
      (error: unknown) => error instanceof ContractError && error.contractMessage === 'Unauthorized',
    );
    // One unit below what the same call uses: out of gas, reverted, typed. The tx's size is
    // charged too (txSizeCostPerByte) and the gas limit's varint is part of it, so the
    // measuring call declares a limit of the same encoded length as the probe's.
    const measured = await client.execute(
      { contract: init.contractAddress, msg: { increment: {} } },
      { gasLimit: executed.gasUsed + 1_000n },
    );
    await assert.rejects(
      client.execute(
        { contract: init.contractAddress, msg: { increment: {} } },
        { gasLimit: measured.gasUsed - 1n },
      ),
      OutOfGasError,
    );
    assert.deepEqual(await client.query(init.contractAddress, { get_count: {} }), { count: 5 }, 'reverted');

    await assert.rejects(
      client.send(bob.address, [{ denom: DENOM, amount: 10n ** 15n }]),
      InsufficientFundsError,
      'more than the balance',
    );
    const before = await client.getBalance(bob.address, DENOM);
    await client.send(bob.address, [{ denom: DENOM, amount: 1234n }]);
    assert.equal(await client.getBalance(bob.address, DENOM), before + 1234n);

    // Token: data output and encrypted query answers.
    const token = await deployToken(client, {
      label: 'real-token',
      holders: [{ address: alice.address, amount: '1000' }],
      storeGasLimit: 40_000_000n,
    });
    const transfer = await transferToken(client, token.contractAddress, bob.address, '25');
    assert.match(Buffer.from(transfer.data[0] ?? new Uint8Array(0)).toString(), /success/);
    const again = await (
      await ShroudClient.connect(rpc.url, Wallet.fromPrivateKey(aliceUser.privateKey))
    ).getTx(transfer.txHash);
    assert.deepEqual(again?.data, transfer.data, 're-opened later from the wallet alone');
  });
});
