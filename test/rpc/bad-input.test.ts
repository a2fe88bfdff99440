// Hostile and malformed requests: each answered with a JSON-RPC (or HTTP) error with the right
// code, and the node keeps serving afterwards (issue #7 "Bad input").
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startTestNode, post, type TestNode } from './helpers.js';

describe('RPC bad input', () => {
  let t: TestNode;

  before(async () => {
    t = await startTestNode('shroud-bad-input', [], {
      maxBodyBytes: 64 * 1024,
      rateLimitPerMinute: 400,
      maxSubscriptionsPerClient: 2,
    });
  });
  after(async () => {
    await t?.close();
  });

  async function stillServing(): Promise<void> {
    const { status, json } = await post(t.url, JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'health' }));
    assert.equal(status, 200, 'health after bad input');
    assert.deepEqual(json['result'], {});
  }

  const rpcError = (json: Record<string, unknown>) =>
    json['error'] as { code: number; message: string; data: string };

  it('answers malformed JSON with -32700', async () => {
    for (const body of ['{', 'not json', '{"jsonrpc":"2.0","method":', '\u0000\u0001']) {
      const { json } = await post(t.url, body);
      assert.equal(rpcError(json).code, -32700, `body ${JSON.stringify(body)}`);
    }
    await stillServing();
  });

  it('answers invalid requests with -32600', async () => {
    for (const body of [
      '[]',
      '42',
      '"x"',
      '{"jsonrpc":"1.0","id":1,"method":"health"}',
      '{"jsonrpc":"2.0","id":1}',
      '{"jsonrpc":"2.0","id":{},"method":"health"}',
    ]) {
      const { json } = await post(t.url, body);
      const error = Array.isArray(json) ? (json[0] as Record<string, unknown>)['error'] : json['error'];
      assert.equal((error as { code: number }).code, -32600, `body ${body}`);
    }
    await stillServing();
  });

  it('answers an unknown method with -32601 (POST and GET)', async () => {
    for (const method of ['no_such_method', '__proto__', 'constructor', 'toString']) {
      const { json } = await post(t.url, JSON.stringify({ jsonrpc: '2.0', id: 1, method }));
      assert.equal(rpcError(json).code, -32601, `method ${method}`);
    }
    const get = (await (await fetch(`${t.url}/no_such_method`)).json()) as Record<string, unknown>;
    assert.equal(rpcError(get).code, -32601);
    await stillServing();
  });

  it('answers bad params with -32602', async () => {
    const cases: [string, unknown][] = [
      ['block', { height: 'abc' }],
      ['block', { height: '99999999' }],
      ['block', { height: -1 }],
      ['tx', { hash: 'zz' }],
      ['tx_search', { query: 'tm.event = ' }],
      ['abci_query', { path: '/account/x', data: 'xyz' }],
      ['broadcast_tx_sync', { tx: '%%%' }],
      ['broadcast_tx_sync', {}],
      ['block', []],
    ];
    for (const [method, params] of cases) {
      const { json } = await post(t.url, JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }));
      assert.equal(rpcError(json).code, -32602, `${method} ${JSON.stringify(params)}`);
    }
    await stillServing();
  });

  it('refuses invalid tx bytes through checkTx with a non-zero code', async () => {
    for (const tx of ['AAAA', Buffer.from('garbage that is not a protobuf tx').toString('base64')]) {
      const { json } = await post(
        t.url,
        JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'broadcast_tx_sync', params: { tx } }),
      );
      const result = json['result'] as { code: number; log: string };
      assert.notEqual(result.code, 0, `tx ${tx} must be refused`);
    }
    const commit = await post(
      t.url,
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'broadcast_tx_commit', params: { tx: 'AAAA' } }),
    );
    assert.notEqual((commit.json['result'] as { check_tx: { code: number } }).check_tx.code, 0);
    await stillServing();
  });

  it('refuses an oversize body with 413 and a JSON-RPC error', async () => {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'broadcast_tx_sync',
      params: { tx: 'A'.repeat(100 * 1024) },
    });
    const { status, json } = await post(t.url, body);
    assert.equal(status, 413);
    assert.equal(rpcError(json).code, -32600);
    await stillServing();
  });

  it('answers bad bech32 and bad ids in REST routes with 400', async () => {
    for (const path of [
      '/shroud/v1/account/notanaddress',
      '/shroud/v1/account/shroud1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq',
      '/shroud/v1/balances/cosmos1xyz',
      '/shroud/v1/contracts/shroud1',
      '/shroud/v1/codes/abc',
      '/shroud/v1/registration/XYZ',
    ]) {
      const response = await fetch(`${t.url}${path}`);
      assert.equal(response.status, 400, path);
      const json = (await response.json()) as { error: { code: string } };
      assert.equal(typeof json.error.code, 'string', path);
    }
    const missing = await fetch(`${t.url}/shroud/v1/codes/77`);
    assert.equal(missing.status, 404);
    const keys = (await (await fetch(`${t.url}/shroud/v1/network/keys`)).json()) as {
      result: Record<string, string>;
    };
    assert.equal(Object.values(keys.result).length, 2);
    await stillServing();
  });

  it('limits subscriptions per WebSocket connection and answers bad frames', async () => {
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/websocket`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const replies: Record<string, unknown>[] = [];
    ws.on('message', (data: Buffer) =>
      replies.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>),
    );
    const sendAndWait = async (text: string) => {
      const before = replies.length;
      ws.send(text);
      for (let i = 0; i < 100 && replies.filter((r) => r['id'] !== undefined).length <= before; i += 1)
        await new Promise((r) => setTimeout(r, 20));
      return replies[replies.length - 1] ?? {};
    };
    const query = (n: number) =>
      JSON.stringify({
        jsonrpc: '2.0',
        id: n,
        method: 'subscribe',
        params: { query: `tm.event='NewBlock' AND block.height>${n}00000` },
      });
    assert.deepEqual((await sendAndWait(query(1)))['result'], {});
    assert.deepEqual((await sendAndWait(query(2)))['result'], {});
    assert.equal(rpcError(await sendAndWait(query(3))).code, -32600, 'third subscription refused');
    assert.equal(rpcError(await sendAndWait('{oops')).code, -32700);
    const badQuery = JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'unsubscribe_all' });
    assert.deepEqual((await sendAndWait(badQuery))['result'], {});
    ws.close();
    await stillServing();
  });

  it('rate-limits a flooding client with 429', async () => {
    let limited = 0;
    for (let i = 0; i < 450 && limited === 0; i += 1) {
      const response = await fetch(`${t.url}/health`);
      if (response.status === 429) limited += 1;
      await response.arrayBuffer();
    }
    assert.ok(limited > 0, 'the limiter answers 429');
    const ws = new WebSocket(`${t.url.replace('http', 'ws')}/websocket`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const reply = new Promise<Record<string, unknown>>((resolve) =>
      ws.once('message', (data: Buffer) =>
        resolve(JSON.parse(data.toString('utf8')) as Record<string, unknown>),
      ),
    );
    ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'health' }));
    const answer = await reply;
    ws.close();
    assert.equal(rpcError(answer).code, -32600, 'WebSocket frames share the per-IP budget');
    assert.match(rpcError(answer).data, /too many requests/);
  });
});
