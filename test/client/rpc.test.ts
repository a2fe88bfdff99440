// The JSON-RPC client against a fake CometBFT 0.38 server: good answers parse; malformed JSON,
// wrong shapes, HTTP errors, JSON-RPC errors, timeouts and refused connections are typed errors.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { RpcClient, RpcError, ShroudClient, Wallet } from '../../src/client/index.js';
import { RpcFault, queryResult, startFakeNode, statusResult, type FakeNode } from './fake-node.js';

const rpcError = (code: string) => (error: unknown) => {
  assert.ok(error instanceof RpcError, `an RpcError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return true;
};

const HASH = 'AB'.repeat(32);

describe('RpcClient', () => {
  let node: FakeNode;
  let rpc: RpcClient;
  before(async () => {
    node = await startFakeNode((method) => {
      if (method === 'status') return statusResult('shroud-rpc-1', 12n);
      throw new RpcFault(-32601, 'Method not found', '');
    });
    // Generous: on a loaded machine a fake node's answer can take longer than a short limit.
    // The timeout test below uses its own client with a short one.
    rpc = new RpcClient(node.url, { timeoutMs: 30_000 });
  });
  after(() => node.close());

  it('reads status in the CometBFT 0.38 shape', async () => {
    node.raw = undefined;
    const status = await rpc.status();
    assert.deepEqual(status, { chainId: 'shroud-rpc-1', latestBlockHeight: 12n, catchingUp: false });
    assert.equal(node.calls.at(-1)?.method, 'status');
  });

  it('sends abci_query data as hex and tx hashes as base64 (CometBFT JSON encodings)', async () => {
    node.handle = (method, params) => {
      if (method === 'abci_query') {
        assert.equal(params.data, '0aff', 'hex data');
        assert.equal(params.path, '/x');
        return queryResult({ ok: true });
      }
      if (method === 'tx') {
        assert.equal(params.hash, Buffer.from(HASH, 'hex').toString('base64'), 'base64 hash');
        throw new RpcFault(-32603, 'Internal error', `tx (${HASH}) not found`);
      }
      if (method === 'broadcast_tx_sync') {
        assert.equal(params.tx, Buffer.from([1, 2, 3]).toString('base64'));
        return { code: 0, data: '', log: '', codespace: '', hash: HASH.toLowerCase() };
      }
      throw new RpcFault(-32601, 'Method not found', '');
    };
    const answer = await rpc.abciQuery('/x', new Uint8Array([0x0a, 0xff]));
    assert.equal(answer.code, 0);
    assert.deepEqual(JSON.parse(Buffer.from(answer.value).toString()), { ok: true });
    assert.equal(await rpc.tx(HASH), null, '"not found" is null, not an error');
    assert.deepEqual(await rpc.broadcastTxSync(new Uint8Array([1, 2, 3])), {
      code: 0,
      codespace: '',
      log: '',
      hash: HASH,
    });
  });

  it('parses a tx result with events, base64 data and string gas figures', async () => {
    node.handle = () => ({
      hash: HASH,
      height: '7',
      index: 0,
      tx_result: {
        code: 0,
        data: Buffer.from('hi').toString('base64'),
        log: '',
        info: '',
        gas_wanted: '200000',
        gas_used: '51234',
        events: [{ type: 'wasm', attributes: [{ key: 'msg_index', value: '0', index: true }] }],
        codespace: '',
      },
      tx: Buffer.from([9, 9]).toString('base64'),
    });
    const found = await rpc.tx(HASH);
    assert.ok(found);
    assert.equal(found.height, 7n);
    assert.equal(found.txResult.gasUsed, 51234n);
    assert.equal(Buffer.from(found.txResult.data).toString(), 'hi');
    assert.deepEqual(found.txResult.events, [
      { type: 'wasm', attributes: [{ key: 'msg_index', value: '0', index: true }] },
    ]);
  });

  it('wrong shapes are RPC_MALFORMED_RESPONSE, each named', async () => {
    const good = statusResult('c');
    const cases: [string, unknown][] = [
      ['no node_info', { ...good, node_info: undefined }],
      ['network not a string', { ...good, node_info: { ...good.node_info, network: 5 } }],
      ['height a number', { ...good, sync_info: { ...good.sync_info, latest_block_height: 12 } }],
      ['height not decimal', { ...good, sync_info: { ...good.sync_info, latest_block_height: '1e3' } }],
      ['catching_up a string', { ...good, sync_info: { ...good.sync_info, catching_up: 'no' } }],
      ['result an array', []],
      ['result null', null],
    ];
    for (const [name, result] of cases) {
      node.handle = () => result;
      await assert.rejects(rpc.status(), rpcError('RPC_MALFORMED_RESPONSE'), name);
    }
    const txCases: [string, unknown][] = [
      ['other hash', { hash: 'CD'.repeat(32), height: '1', index: 0, tx_result: {}, tx: '' }],
      ['index negative', { hash: HASH, height: '1', index: -1, tx_result: {}, tx: '' }],
      ['data not base64', { hash: HASH, height: '1', index: 0, tx_result: { data: '%%%' }, tx: '' }],
      ['code a string', { hash: HASH, height: '1', index: 0, tx_result: { code: '0' }, tx: '' }],
      ['gas a number', { hash: HASH, height: '1', index: 0, tx_result: { gas_used: 5 }, tx: '' }],
      ['events not an array', { hash: HASH, height: '1', index: 0, tx_result: { events: {} }, tx: '' }],
      [
        'attribute key missing',
        {
          hash: HASH,
          height: '1',
          index: 0,
          tx_result: { events: [{ type: 'a', attributes: [{ value: 'v' }] }] },
          tx: '',
        },
      ],
      [
        'attribute index a string',
        {
          hash: HASH,
          height: '1',
          index: 0,
          tx_result: { events: [{ type: 'a', attributes: [{ key: 'k', value: 'v', index: 'yes' }] }] },
          tx: '',
        },
      ],
    ];
    for (const [name, result] of txCases) {
      node.handle = () => result;
      await assert.rejects(rpc.tx(HASH), rpcError('RPC_MALFORMED_RESPONSE'), name);
    }
    node.handle = () => ({ code: 0, hash: 'nothex' });
    await assert.rejects(
      rpc.broadcastTxSync(new Uint8Array([1])),
      rpcError('RPC_MALFORMED_RESPONSE'),
      'broadcast hash',
    );
    node.handle = () => ({ response: { code: 0, value: 'not base64!' } });
    await assert.rejects(rpc.abciQuery('/x'), rpcError('RPC_MALFORMED_RESPONSE'), 'query value');
  });

  it('malformed JSON, a wrong id or version, HTTP errors and JSON-RPC errors are typed', async () => {
    node.handle = () => statusResult('c');
    const answers: [string, string, (id: unknown) => string, number][] = [
      ['not JSON', 'RPC_MALFORMED_RESPONSE', () => '{"jsonrpc":"2.0", id: 1', 200],
      ['empty body', 'RPC_MALFORMED_RESPONSE', () => '', 200],
      [
        'wrong id',
        'RPC_MALFORMED_RESPONSE',
        (id) => JSON.stringify({ jsonrpc: '2.0', id: Number(id) + 1, result: {} }),
        200,
      ],
      [
        'no jsonrpc',
        'RPC_MALFORMED_RESPONSE',
        (id) => JSON.stringify({ id, result: statusResult('c') }),
        200,
      ],
      ['no result', 'RPC_MALFORMED_RESPONSE', (id) => JSON.stringify({ jsonrpc: '2.0', id }), 200],
      ['HTML 502', 'RPC_HTTP', () => '<html>Bad Gateway</html>', 502],
      ['JSON 404 without error', 'RPC_HTTP', (id) => JSON.stringify({ jsonrpc: '2.0', id, result: {} }), 404],
      [
        'error.code a string',
        'RPC_MALFORMED_RESPONSE',
        (id) => JSON.stringify({ jsonrpc: '2.0', id, error: { code: 'x' } }),
        500,
      ],
    ];
    for (const [name, code, body, status] of answers) {
      node.raw = (request, response) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(body(request.id));
        return true;
      };
      await assert.rejects(rpc.status(), rpcError(code), name);
    }
    node.raw = (request, response) => {
      response.writeHead(502);
      response.end('bad gateway');
      return true;
    };
    await assert.rejects(
      rpc.status(),
      (error: unknown) => error instanceof RpcError && error.httpStatus === 502,
      'status kept',
    );
    node.raw = undefined;
    node.handle = () => {
      throw new RpcFault(-32602, 'Invalid params', 'error converting json params');
    };
    await assert.rejects(rpc.status(), (error: unknown) => {
      assert.ok(error instanceof RpcError && error.code === 'RPC_ERROR');
      assert.equal(error.rpcCode, -32602);
      assert.equal(error.rpcData, 'error converting json params');
      return true;
    });
  });

  it('a server that never answers is RPC_TIMEOUT; one that is not there is RPC_NETWORK', async () => {
    const short = new RpcClient(node.url, { timeoutMs: 300 });
    node.raw = () => true; // hold the request open
    const started = process.hrtime.bigint();
    await assert.rejects(short.status(), rpcError('RPC_TIMEOUT'));
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    // The upper bound shows the 300 ms limit ended the wait, not the 10 s default; it leaves a
    // loaded machine room to run the timer late.
    assert.ok(elapsedMs >= 250 && elapsedMs < 8_000, `timed out after ${elapsedMs} ms (limit 300)`);
    node.raw = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"jsonrpc":"2.0",'); // headers and part of the body, then silence
      return true;
    };
    await assert.rejects(short.status(), rpcError('RPC_TIMEOUT'), 'stalled body');
    node.raw = undefined;
    // A port that was free a moment ago: connection refused.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    await assert.rejects(new RpcClient(`http://127.0.0.1:${port}`).status(), rpcError('RPC_NETWORK'));
    await assert.rejects(
      ShroudClient.connect(`http://127.0.0.1:${port}`, Wallet.generate()),
      rpcError('RPC_NETWORK'),
    );
  });
});
