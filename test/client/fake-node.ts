// A tiny JSON-RPC 2.0 server on loopback (node:http) answering with CometBFT 0.38-shaped JSON,
// for the client's tests until the real RPC exists (issue 7). `handle` returns a result object
// or throws an RpcFault; `raw` replaces the whole HTTP answer for malformed-response tests.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export class RpcFault extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data: string,
  ) {
    super(message);
  }
}

export type Handler = (method: string, params: Record<string, unknown>) => unknown; // a value or a Promise of one
export type RawAnswer = (request: { method: string; id: unknown }, response: ServerResponse) => boolean;

export interface FakeNode {
  url: string;
  calls: { method: string; params: Record<string, unknown> }[];
  handle: Handler;
  raw: RawAnswer | undefined;
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

export async function startFakeNode(handle: Handler): Promise<FakeNode> {
  const node: FakeNode = {
    url: '',
    calls: [],
    handle,
    raw: undefined,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((request, response) => {
    void (async () => {
      const body = JSON.parse(await readBody(request)) as {
        id: unknown;
        method: string;
        params: Record<string, unknown>;
      };
      node.calls.push({ method: body.method, params: body.params });
      if (node.raw?.({ method: body.method, id: body.id }, response) === true) return;
      const send = (status: number, payload: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(payload));
      };
      try {
        const result = await node.handle(body.method, body.params);
        send(200, { jsonrpc: '2.0', id: body.id, result });
      } catch (error) {
        if (!(error instanceof RpcFault)) throw error;
        // CometBFT answers JSON-RPC errors with HTTP 500.
        send(500, {
          jsonrpc: '2.0',
          id: body.id,
          error: { code: error.code, message: error.message, data: error.data },
        });
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  node.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return node;
}

/** The `status` result of a CometBFT 0.38 node (trimmed to the fields read, plus a few others). */
export function statusResult(chainId: string, height = 5n) {
  return {
    node_info: {
      protocol_version: { p2p: '8', block: '11', app: '1' },
      id: 'a'.repeat(40),
      listen_addr: 'tcp://0.0.0.0:26656',
      network: chainId,
      version: '0.38.17',
      channels: '40202122233038606100',
      moniker: 'fake',
      other: { tx_index: 'on', rpc_address: 'tcp://127.0.0.1:26657' },
    },
    sync_info: {
      latest_block_hash: 'B'.repeat(64),
      latest_app_hash: 'C'.repeat(64),
      latest_block_height: height.toString(),
      latest_block_time: '2026-11-27T01:00:00.000000000Z',
      earliest_block_height: '1',
      catching_up: false,
    },
    validator_info: {
      address: 'D'.repeat(40),
      pub_key: { type: 'tendermint/PubKeyEd25519', value: 'AA==' },
      voting_power: '10',
    },
  };
}

/** An `abci_query` result with a JSON value. */
export function queryResult(value: unknown, code = 0, log = '') {
  const bytes =
    value instanceof Uint8Array
      ? value
      : value === null
        ? new Uint8Array(0)
        : Buffer.from(JSON.stringify(value));
  return {
    response: {
      code,
      log,
      info: '',
      index: '0',
      key: null,
      value: bytes.length === 0 ? null : Buffer.from(bytes).toString('base64'),
      proofOps: null,
      height: '5',
      codespace: code === 0 ? '' : code >= 100 ? 'compute' : 'sdk', // src/app codespaceOf
    },
  };
}
