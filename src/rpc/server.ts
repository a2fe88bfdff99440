// The RPC server (issue #7): CometBFT 0.38 JSON-RPC over HTTP GET (`/<method>?k=v`), HTTP POST
// (JSON-RPC 2.0, single or batch) and WebSocket (`/websocket`, with subscribe/unsubscribe), plus
// Shroud's REST routes under `/shroud/v1`. Limits: request body bytes, requests per IP per
// minute, subscriptions per connection, batch length. Errors are JSON-RPC errors with codes.
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { decodeBech32WithPrefix } from '../crypto/index.js';
import type { SoloNode, StoredBlock } from '../node/index.js';
import { RpcServerError } from './errors.js';
import {
  METHODS,
  blockIdJson,
  blockJson,
  finalizeBlockJson,
  txEventMap,
  servedHeight,
  txJson,
  type Params,
} from './methods.js';
import { matches, parseQuery, type Condition } from './query.js';

export interface RpcServerOptions {
  host?: string;
  port: number;
  maxBodyBytes?: number;
  rateLimitPerMinute?: number;
  maxSubscriptionsPerClient?: number;
  maxBatchLength?: number;
  maxConnections?: number;
}

export interface RpcServer {
  url: string;
  close(): Promise<void>;
}

type JsonRpcId = string | number | null;
interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: JsonRpcId;
  result?: unknown;
  error?: { code: number; message: string; data: string };
}

function errorResponse(id: JsonRpcId, error: RpcServerError): JsonRpcResponse {
  return { jsonrpc: '2.0', id, error: error.toJson() };
}

async function call(node: SoloNode, method: string, params: Params): Promise<unknown> {
  if (!Object.hasOwn(METHODS, method))
    throw new RpcServerError('METHOD_NOT_FOUND', `unknown method "${method.slice(0, 64)}"`);
  const handler = METHODS[method];
  if (handler === undefined)
    throw new RpcServerError('METHOD_NOT_FOUND', `unknown method "${method.slice(0, 64)}"`);
  return await handler(node, params);
}

function asRpcError(node: SoloNode, error: unknown): RpcServerError {
  if (error instanceof RpcServerError) return error;
  node.log.error({ err: error }, 'RPC method failed');
  return new RpcServerError('INTERNAL_ERROR', 'the node failed to answer: see its log');
}

/** One JSON-RPC request object → one response (validated: STYLE.md §4). */
async function handleRequest(node: SoloNode, raw: unknown): Promise<JsonRpcResponse> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return errorResponse(null, new RpcServerError('INVALID_REQUEST', 'a request must be a JSON object'));
  const request = raw as Record<string, unknown>;
  const id = request['id'];
  const safeId: JsonRpcId = typeof id === 'string' || typeof id === 'number' ? id : null;
  if (request['jsonrpc'] !== '2.0' || typeof request['method'] !== 'string')
    return errorResponse(
      safeId,
      new RpcServerError('INVALID_REQUEST', 'need "jsonrpc": "2.0" and a string "method"'),
    );
  if (id !== undefined && safeId === null)
    return errorResponse(null, new RpcServerError('INVALID_REQUEST', '"id" must be a string or a number'));
  const params = request['params'] ?? {};
  if (typeof params !== 'object' || params === null || Array.isArray(params))
    return errorResponse(
      safeId,
      new RpcServerError('INVALID_PARAMS', 'params must be an object of named parameters'),
    );
  try {
    return { jsonrpc: '2.0', id: safeId, result: await call(node, request['method'], params as Params) };
  } catch (error) {
    return errorResponse(safeId, asRpcError(node, error));
  }
}

/** Per-IP fixed-window counter; the map is bounded (cleared when it grows past 10,000 IPs). */
class RateLimiter {
  private windowStart = 0;
  private counts = new Map<string, number>();
  constructor(private readonly perMinute: number) {}
  allow(ip: string, now: number): boolean {
    if (now - this.windowStart >= 60_000 || this.counts.size > 10_000) {
      this.windowStart = now;
      this.counts.clear();
    }
    const count = (this.counts.get(ip) ?? 0) + 1;
    this.counts.set(ip, count);
    return count <= this.perMinute;
  }
}

const B64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/**
 * Events a committed block produces for subscribers: one NewBlock, one Tx per tx; only the
 * kinds some subscription can match (a 1,000-tx block's Tx events cost more than the block's
 * execution glue, and the usual subscriber wants NewBlock only).
 */
function blockEvents(
  node: SoloNode,
  block: StoredBlock,
  wanted: { newBlock: boolean; tx: boolean },
): { events: Map<string, string[]>; data: unknown }[] {
  const out: { events: Map<string, string[]>; data: unknown }[] = [];
  if (wanted.newBlock) out.push(newBlockEvent(node, block));
  if (wanted.tx) {
    block.txs.forEach((tx, index) => {
      const t = txJson(block, index);
      out.push({
        events: txEventMap(block, index),
        data: {
          type: 'tendermint/event/Tx',
          value: { TxResult: { height: t.height, index, tx: B64(tx), result: t.tx_result } },
        },
      });
    });
  }
  return out;
}

/** True when some subscription's `tm.event` conditions (if any) accept events of `kind`. */
export function wantsKind(subscriptions: Iterable<Subscription[]>, kind: 'NewBlock' | 'Tx'): boolean {
  const candidate = new Map([['tm.event', [kind]]]);
  for (const list of subscriptions)
    for (const s of list)
      if (
        matches(
          s.conditions.filter((c) => c.key === 'tm.event'),
          candidate,
        )
      )
        return true;
  return false;
}

function newBlockEvent(node: SoloNode, block: StoredBlock): { events: Map<string, string[]>; data: unknown } {
  const blockEventsMap = new Map<string, string[]>([
    ['tm.event', ['NewBlock']],
    ['block.height', [block.header.height.toString()]],
  ]);
  for (const event of block.finalizeEvents)
    for (const attribute of event.attributes)
      blockEventsMap.set(`${event.type}.${attribute.key}`, [
        ...(blockEventsMap.get(`${event.type}.${attribute.key}`) ?? []),
        attribute.value,
      ]);
  return {
    events: blockEventsMap,
    data: {
      type: 'tendermint/event/NewBlock',
      value: {
        block: blockJson(node, block),
        block_id: blockIdJson(block),
        result_finalize_block: finalizeBlockJson(block),
      },
    },
  };
}

export interface Subscription {
  id: JsonRpcId;
  query: string;
  conditions: Condition[];
}

/**
 * Serves `node` over HTTP and WebSocket on host:port (port 0 picks a free one).
 * @throws if the port cannot be bound.
 */
export async function startRpcServer(node: SoloNode, options: RpcServerOptions): Promise<RpcServer> {
  const maxBodyBytes = options.maxBodyBytes ?? 2 * 1024 * 1024;
  const limiter = new RateLimiter(options.rateLimitPerMinute ?? 6000);
  const maxSubscriptions = options.maxSubscriptionsPerClient ?? 10;
  const maxBatch = options.maxBatchLength ?? 20;
  const app = Fastify({ bodyLimit: maxBodyBytes, logger: false });
  // Parse JSON ourselves so a malformed body is a JSON-RPC parse error, not a fastify 400.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!limiter.allow(request.ip, Date.now())) {
      await reply
        .code(429)
        .send(
          errorResponse(
            null,
            new RpcServerError('INVALID_REQUEST', 'too many requests from this address: slow down'),
          ),
        );
    }
  });
  app.setErrorHandler(async (error: { statusCode?: number; code?: string }, _request, reply) => {
    if (error.statusCode === 413 || error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply
        .code(413)
        .send(
          errorResponse(
            null,
            new RpcServerError('INVALID_REQUEST', `the request body is larger than ${maxBodyBytes} bytes`),
          ),
        );
    }
    node.log.error({ err: error }, 'RPC server error');
    return reply
      .code(500)
      .send(errorResponse(null, new RpcServerError('INTERNAL_ERROR', 'the node failed to answer')));
  });

  const send = (reply: FastifyReply, response: JsonRpcResponse | JsonRpcResponse[]) =>
    reply
      .code(!Array.isArray(response) && response.error !== undefined ? 500 : 200) // CometBFT: errors with 500
      .header('content-type', 'application/json')
      .send(JSON.stringify(response));

  app.post('/', async (request, reply) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(typeof request.body === 'string' ? request.body : '');
    } catch {
      return send(
        reply,
        errorResponse(null, new RpcServerError('PARSE_ERROR', 'the body is not valid JSON')),
      );
    }
    if (Array.isArray(parsed)) {
      if (parsed.length === 0 || parsed.length > maxBatch)
        return send(
          reply,
          errorResponse(null, new RpcServerError('INVALID_REQUEST', `a batch holds 1-${maxBatch} requests`)),
        );
      // Items start in order (each reaches the mempool before the next starts: submit calls
      // mempool.add before its first await) and then run together, so a batch of broadcasts
      // shares one checkTxBatch instead of waiting for each check in turn (session 3).
      const responses = await Promise.all(parsed.map((item) => handleRequest(node, item)));
      return send(reply, responses);
    }
    return send(reply, await handleRequest(node, parsed));
  });

  // GET /<method>?name=value (CometBFT URI handlers); `/` lists the methods.
  app.get('/', async (_request, reply) =>
    reply.header('content-type', 'application/json').send({ methods: Object.keys(METHODS).sort() }),
  );
  app.get('/:method', async (request, reply) => {
    const { method } = request.params as { method: string };
    const query = request.query as Record<string, unknown>;
    const params: Params = {};
    for (const [key, value] of Object.entries(query)) {
      if (typeof value !== 'string') continue;
      params[key] = value.replace(/^"(.*)"$/, '$1');
    }
    try {
      return send(reply, { jsonrpc: '2.0', id: -1, result: await call(node, method, params) });
    } catch (error) {
      return send(reply, errorResponse(-1, asRpcError(node, error)));
    }
  });

  // --- REST routes for what Shroud adds ------------------------------------------------
  const restError = (reply: FastifyReply, status: number, code: string, message: string) =>
    reply.code(status).send({ error: { code, message } });
  const addressOk = (text: string) => {
    try {
      decodeBech32WithPrefix(text, 'shroud');
      return true;
    } catch {
      return false;
    }
  };
  const appQuery = async (reply: FastifyReply, path: string) => {
    const response = await node.app.query({ path, data: new Uint8Array(0), height: 0n, prove: false });
    if (response.code !== 0)
      return restError(reply, response.code === 38 ? 404 : 400, 'NOT_FOUND', response.log);
    return reply.header('content-type', 'application/json').send(
      JSON.stringify({
        height: response.height.toString(),
        result: JSON.parse(Buffer.from(response.value).toString('utf8')) as unknown,
      }),
    );
  };
  app.get('/shroud/v1/account/:addr', async (request, reply) => {
    const { addr } = request.params as { addr: string };
    if (!addressOk(addr))
      return restError(reply, 400, 'INVALID_ADDRESS', 'not a bech32 address with prefix "shroud"');
    return appQuery(reply, `/account/${addr}`);
  });
  app.get('/shroud/v1/balances/:addr', async (request, reply) => {
    const { addr } = request.params as { addr: string };
    if (!addressOk(addr))
      return restError(reply, 400, 'INVALID_ADDRESS', 'not a bech32 address with prefix "shroud"');
    const denoms = [...new Set([node.genesis.params.feeDenom, node.genesis.params.bondDenom])];
    const balances = [];
    for (const denom of denoms) {
      const response = await node.app.query({
        path: `/balance/${addr}/${denom}`,
        data: new Uint8Array(0),
        height: 0n,
        prove: false,
      });
      balances.push(JSON.parse(Buffer.from(response.value).toString('utf8')) as unknown);
    }
    return reply.send({ height: servedHeight(node).toString(), balances });
  });
  app.get('/shroud/v1/codes/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!/^[1-9][0-9]{0,18}$/.test(id))
      return restError(reply, 400, 'INVALID_CODE_ID', 'a code id is a positive integer');
    return appQuery(reply, `/code/${id}`);
  });
  app.get('/shroud/v1/contracts/:addr', async (request, reply) => {
    const { addr } = request.params as { addr: string };
    if (!addressOk(addr))
      return restError(reply, 400, 'INVALID_ADDRESS', 'not a bech32 address with prefix "shroud"');
    return appQuery(reply, `/contract/${addr}`);
  });
  app.get('/shroud/v1/network/keys', async (_request, reply) => appQuery(reply, '/network/keys'));
  app.get('/shroud/v1/registration/:pubkey', async (request, reply) => {
    const { pubkey } = request.params as { pubkey: string };
    if (!/^[0-9a-f]{64}$/.test(pubkey))
      return restError(reply, 400, 'INVALID_PUBKEY', 'a registration key is 64 lowercase hex characters');
    return appQuery(reply, `/registration/${pubkey}`);
  });

  // --- WebSocket -------------------------------------------------------------------------
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxBodyBytes });
  const clients = new Map<WebSocket, Subscription[]>();
  app.server.on('upgrade', (request, socket, head) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/websocket' || clients.size >= (options.maxConnections ?? 200)) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) =>
      wss.emit('connection', ws, request.socket.remoteAddress ?? ''),
    );
  });
  wss.on('connection', (ws: WebSocket, ip: string) => {
    const subscriptions: Subscription[] = [];
    clients.set(ws, subscriptions);
    const reply = (response: JsonRpcResponse) => ws.send(JSON.stringify(response));
    ws.on('message', (data) => {
      // WebSocket frames count against the same per-IP budget as HTTP requests.
      if (!limiter.allow(ip, Date.now())) {
        reply(
          errorResponse(
            null,
            new RpcServerError('INVALID_REQUEST', 'too many requests from this address: slow down'),
          ),
        );
        return;
      }
      void (async () => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(
            (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)).toString('utf8'),
          );
        } catch {
          return reply(
            errorResponse(null, new RpcServerError('PARSE_ERROR', 'the message is not valid JSON')),
          );
        }
        const request = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<
          string,
          unknown
        >;
        const id =
          typeof request['id'] === 'string' || typeof request['id'] === 'number' ? request['id'] : null;
        const params = (
          typeof request['params'] === 'object' && request['params'] !== null ? request['params'] : {}
        ) as Params;
        try {
          switch (request['method']) {
            case 'subscribe': {
              if (subscriptions.length >= maxSubscriptions)
                throw new RpcServerError(
                  'INVALID_REQUEST',
                  `at most ${maxSubscriptions} subscriptions per connection`,
                );
              const query = typeof params['query'] === 'string' ? params['query'] : '';
              subscriptions.push({ id, query, conditions: parseQuery(query) });
              return reply({ jsonrpc: '2.0', id, result: {} });
            }
            case 'unsubscribe': {
              const query = typeof params['query'] === 'string' ? params['query'] : '';
              const at = subscriptions.findIndex((s) => s.query === query);
              if (at < 0) throw new RpcServerError('INVALID_PARAMS', 'subscription not found');
              subscriptions.splice(at, 1);
              return reply({ jsonrpc: '2.0', id, result: {} });
            }
            case 'unsubscribe_all':
              subscriptions.length = 0;
              return reply({ jsonrpc: '2.0', id, result: {} });
            default:
              return reply(await handleRequest(node, parsed));
          }
        } catch (error) {
          return reply(errorResponse(id, asRpcError(node, error)));
        }
      })();
    });
    ws.on('close', () => clients.delete(ws));
    ws.on('error', () => clients.delete(ws));
  });
  const offBlock = node.onBlock((block) => {
    if (clients.size === 0) return;
    const events = blockEvents(node, block, {
      newBlock: wantsKind(clients.values(), 'NewBlock'),
      tx: wantsKind(clients.values(), 'Tx'),
    });
    for (const [ws, subscriptions] of clients) {
      for (const subscription of subscriptions) {
        for (const event of events) {
          if (!matches(subscription.conditions, event.events)) continue;
          ws.send(
            JSON.stringify({
              jsonrpc: '2.0',
              id: subscription.id,
              result: {
                query: subscription.query,
                data: event.data,
                events: Object.fromEntries(event.events),
              },
            }),
          );
        }
      }
    }
  });

  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port });
  const address = app.server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${address.port}`,
    close: async () => {
      offBlock();
      for (const ws of clients.keys()) ws.terminate();
      wss.close();
      await app.close();
    },
  };
}
