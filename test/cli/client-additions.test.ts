// What the CLI added to the SDK (src/client): RpcClient.block / genesis, ShroudClient.getCode,
// getRegistration, chainParams and the staking / register helpers, against the fake CometBFT
// 0.38 server of test/client: good shapes parse, bad shapes are typed errors, and each helper
// signs the message it names.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeTx } from '../../src/codec/index.js';
import {
  ClientError,
  InsufficientFundsError,
  RpcError,
  ShroudClient,
  gasFee,
  Wallet,
} from '../../src/client/index.js';
import { RpcFault, queryResult, startFakeNode, statusResult, type FakeNode } from '../client/fake-node.js';

const MNEMONIC =
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const HASH = 'ab'.repeat(32);

function codeOf(expected: string) {
  return (error: unknown) => {
    assert.ok(error instanceof ClientError, `a ClientError, got ${String(error)}`);
    assert.equal(error.code, expected, error.message);
    return true;
  };
}

function blockResult(txs: unknown) {
  return {
    block_id: { hash: 'e'.repeat(64), parts: { total: 1, hash: 'F'.repeat(64) } },
    block: {
      header: {
        chain_id: 'c-1',
        height: '7',
        time: '2026-11-27T01:00:00Z',
        proposer_address: 'd'.repeat(40),
      },
      data: { txs },
    },
  };
}

describe('SDK additions used by the CLI', () => {
  let node: FakeNode;
  let client: ShroudClient;
  const wallet = Wallet.fromMnemonic(MNEMONIC);
  let queries: Record<string, unknown> = {};
  let broadcasts: Uint8Array[] = [];

  before(async () => {
    node = await startFakeNode((method, params) => {
      if (method === 'status') return statusResult('c-1');
      if (method === 'abci_query') {
        const path = String(params.path);
        if (path in queries) return queryResult(queries[path]);
        return queryResult(null, 38, `${path} not found`);
      }
      if (method === 'broadcast_tx_sync') {
        broadcasts.push(Buffer.from(String(params.tx), 'base64'));
        return { code: 5, data: '', log: 'balance too low', codespace: 'sdk', hash: HASH };
      }
      throw new RpcFault(-32601, 'Method not found', '');
    });
    client = await ShroudClient.connect(node.url, wallet, { timeoutMs: 2000 });
  });
  after(() => node.close());

  it('block: hash, height, time, txs; bad heights and shapes are typed errors', async () => {
    node.handle = (method, params) => {
      assert.equal(method, 'block');
      if (params.height !== undefined) assert.equal(params.height, '7', 'height as a decimal string');
      return blockResult([Buffer.from([1, 2]).toString('base64')]);
    };
    const block = await client.rpc.block(7n);
    assert.equal(block.hash, 'E'.repeat(64));
    assert.equal(block.height, 7n);
    assert.equal(block.chainId, 'c-1');
    assert.deepEqual(block.txs, [new Uint8Array([1, 2])]);
    assert.equal((await client.rpc.block()).height, 7n, 'latest');
    await assert.rejects(client.rpc.block(0n), codeOf('INVALID_ARGUMENT'));
    node.handle = () => blockResult(['not base64!']);
    await assert.rejects(client.rpc.block(), codeOf('RPC_MALFORMED_RESPONSE'));
    node.handle = () => ({ block_id: {}, block: { header: {}, data: {} } });
    await assert.rejects(client.rpc.block(), codeOf('RPC_MALFORMED_RESPONSE'));
    node.handle = () => {
      throw new RpcFault(-32603, 'Internal error', 'height 9 must be less than or equal to 7');
    };
    await assert.rejects(
      client.rpc.block(9n),
      (error: unknown) => error instanceof RpcError && error.code === 'RPC_ERROR',
    );
  });

  it('chainParams: fee denom, bond denom and the minimum gas price from genesis', async () => {
    const appState = {
      params: {
        fee_denom: 'ushd',
        bond_denom: 'ushd',
        min_gas_prices: [
          { denom: 'uatom', amount: '3' },
          { denom: 'ushd', amount: '0.1' },
        ],
      },
    };
    node.handle = () => ({ genesis: { chain_id: 'c-1', app_state: appState } });
    assert.deepEqual(await client.chainParams(), {
      feeDenom: 'ushd',
      bondDenom: 'ushd',
      minGasPrice: { denom: 'ushd', amount: '0.1' },
    });
    node.handle = () => ({
      genesis: { chain_id: 'c-1', app_state: { params: { ...appState.params, min_gas_prices: [] } } },
    });
    assert.equal((await client.chainParams()).minGasPrice, null, 'no price for the fee denom');
    node.handle = () => ({ genesis: { chain_id: 'c-1', app_state: null } });
    await assert.rejects(client.chainParams(), codeOf('RESULT_MALFORMED'));
    node.handle = () => ({ genesis: { app_state: appState } });
    await assert.rejects(client.chainParams(), codeOf('RPC_MALFORMED_RESPONSE'));
  });

  it('gasFee: ceil(gas × price), as checkTx; a bad price is refused', () => {
    assert.deepEqual(gasFee(200_000n, { denom: 'ushd', amount: '0.1' }), { denom: 'ushd', amount: 20_000n });
    assert.deepEqual(
      gasFee(3n, { denom: 'ushd', amount: '0.25' }),
      { denom: 'ushd', amount: 1n },
      'rounds up',
    );
    assert.deepEqual(gasFee(7n, { denom: 'ushd', amount: '2' }), { denom: 'ushd', amount: 14n });
    for (const bad of ['-1', '0.1234567890123456789', '1e3', '']) {
      assert.throws(
        () => gasFee(1n, { denom: 'ushd', amount: bad }),
        codeOf('INVALID_ARGUMENT'),
        `price ${bad}`,
      );
    }
  });

  it('getCode and getRegistration: found, absent (null), malformed', async () => {
    node.handle = (method, params) => {
      if (method !== 'abci_query') throw new RpcFault(-32601, 'Method not found', '');
      const path = String(params.path);
      return path in queries ? queryResult(queries[path]) : queryResult(null, 38, `${path} not found`);
    };
    queries = { '/code/3': { code_id: '3', code_hash: 'A'.repeat(64), creator: wallet.address } };
    assert.deepEqual(await client.getCode(3n), {
      codeId: 3n,
      codeHash: 'a'.repeat(64),
      creator: wallet.address,
    });
    assert.equal(await client.getCode(4n), null);
    queries = { '/code/3': { code_id: '3', code_hash: 'xyz', creator: wallet.address } };
    await assert.rejects(client.getCode(3n), codeOf('RESULT_MALFORMED'));

    const key = new Uint8Array(32).fill(9);
    queries = { [`/registration/${'09'.repeat(32)}`]: { encrypted_seed: '0102ff' } };
    assert.deepEqual(await client.getRegistration(key), new Uint8Array([1, 2, 255]));
    assert.equal(await client.getRegistration(new Uint8Array(32)), null);
    await assert.rejects(client.getRegistration(new Uint8Array(31)), codeOf('INVALID_ARGUMENT'));
    queries = { [`/registration/${'09'.repeat(32)}`]: { encrypted_seed: 'zz' } };
    await assert.rejects(client.getRegistration(key), codeOf('RESULT_MALFORMED'));
  });

  it('delegate, undelegate, createValidator, registerNode sign the message they name', async () => {
    queries = {
      [`/account/${wallet.address}`]: {
        address: wallet.address,
        account_number: '0',
        sequence: '0',
        public_key: null,
      },
    };
    node.handle = (method, params) => {
      if (method === 'abci_query') return queryResult(queries[String(params.path)] ?? null);
      if (method === 'broadcast_tx_sync') {
        broadcasts.push(Buffer.from(String(params.tx), 'base64'));
        return { code: 5, data: '', log: 'balance too low', codespace: 'sdk', hash: HASH };
      }
      throw new RpcFault(-32601, 'Method not found', '');
    };
    broadcasts = [];
    const validator = wallet.address;
    const calls: [string, () => Promise<unknown>][] = [
      ['delegate', () => client.delegate(validator, { denom: 'ushd', amount: 5n })],
      ['undelegate', () => client.undelegate(validator, { denom: 'ushd', amount: '5' })],
      [
        'createValidator',
        () =>
          client.createValidator({
            consensusPublicKey: new Uint8Array(32).fill(1),
            selfBond: { denom: 'ushd', amount: '1000000' },
            moniker: 'm',
          }),
      ],
      ['registerNode', () => client.registerNode(new Uint8Array(201).fill(2))],
    ];
    for (const [name, call] of calls) {
      await assert.rejects(
        call(),
        (e: unknown) => e instanceof InsufficientFundsError,
        `${name}: the node's code 5`,
      );
    }
    assert.deepEqual(
      broadcasts.map((tx) => decodeTx(tx).body.messages[0]?.sum.case),
      calls.map(([name]) => name),
      'one signed message of each kind',
    );
    await assert.rejects(
      client.delegate('shroud1bad', { denom: 'ushd', amount: '1' }),
      codeOf('INVALID_ARGUMENT'),
    );
  });
});
