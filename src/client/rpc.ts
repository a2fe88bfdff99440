// A small CometBFT 0.38 JSON-RPC client over HTTP POST (JSON-RPC 2.0), with fetch so it runs in
// browsers and Node 20. Every response is checked at runtime against the 0.38 shape before it
// is used (STYLE.md, cosmjs): a type annotation is not a proof. Numbers that CometBFT encodes
// as strings (int64) stay strings on the wire and become bigint here.
import { hexToBytes } from '../crypto/index.js';
import { ClientError, RpcError } from './errors.js';
import { bytesToHex, fromBase64OrNull, toBase64 } from './encoding.js';
import type { AbciEvent, TxResultInfo } from './result.js';

export interface RpcClientOptions {
  /** Per-request timeout, default 10 s. */
  timeoutMs?: number;
  /** Injected fetch (tests, custom transports); default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Largest accepted response body in bytes, default 16 MiB. */
  maxResponseBytes?: number;
}

/** `status` → the fields the SDK needs. */
export interface NodeStatus {
  chainId: string;
  latestBlockHeight: bigint;
  catchingUp: boolean;
}

/** `abci_query` → `response`. */
export interface AbciQueryResponse {
  code: number;
  codespace: string;
  log: string;
  value: Uint8Array;
  height: bigint;
}

/** `broadcast_tx_sync` → CheckTx outcome and hash. */
export interface BroadcastSyncResult {
  code: number;
  codespace: string;
  log: string;
  hash: string;
}

/** `block` → the fields the SDK reads; `raw` is the checked CometBFT 0.38 result as sent. */
export interface BlockResponse {
  /** Uppercase hex block hash (`block_id.hash`). */
  hash: string;
  height: bigint;
  /** RFC 3339 block time, as the node wrote it. */
  time: string;
  chainId: string;
  /** Uppercase hex proposer address. */
  proposerAddress: string;
  txs: Uint8Array[];
  raw: { [key: string]: unknown };
}

/** `genesis` → chain id and the app state (Shroud's genesis document), unchecked beyond being an object. */
export interface GenesisResponse {
  chainId: string;
  appState: { [key: string]: unknown } | null;
}

/** `tx` → the included transaction and its result. */
export interface TxResponse {
  hash: string;
  height: bigint;
  index: number;
  txResult: TxResultInfo;
  tx: Uint8Array;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function bad(method: string, what: string): never {
  throw new RpcError(
    'RPC_MALFORMED_RESPONSE',
    `${method}: ${what} (is this a CometBFT 0.38-compatible node?)`,
  );
}

function object(method: string, value: Json | undefined, path: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    bad(method, `${path} is not an object`);
  return value;
}

function string(method: string, value: Json | undefined, path: string): string {
  if (typeof value !== 'string') bad(method, `${path} is not a string`);
  return value;
}

function optionalString(method: string, value: Json | undefined, path: string): string {
  return value === undefined || value === null ? '' : string(method, value, path);
}

/** A uint32 result code: a JSON number (CometBFT writes uint32 as a number). */
function code(method: string, value: Json | undefined, path: string): number {
  if (value === undefined) return 0; // omitempty: absent means 0
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    bad(method, `${path} is not a uint32`);
  }
  return value;
}

/** An int64 CometBFT writes as a decimal string. */
function int64(method: string, value: Json | undefined, path: string): bigint {
  if (value === undefined) return 0n;
  if (typeof value !== 'string' || !/^-?(0|[1-9][0-9]{0,18})$/.test(value)) {
    bad(method, `${path} is not an int64 decimal string`);
  }
  return BigInt(value);
}

function bytes(method: string, value: Json | undefined, path: string): Uint8Array {
  if (value === undefined || value === null) return new Uint8Array(0);
  const decoded = fromBase64OrNull(string(method, value, path));
  if (decoded === null) bad(method, `${path} is not base64`);
  return decoded;
}

function events(method: string, value: Json | undefined, path: string): AbciEvent[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) bad(method, `${path} is not an array`);
  return value.map((entry, i) => {
    const event = object(method, entry, `${path}[${i}]`);
    const attributes = event.attributes ?? [];
    if (!Array.isArray(attributes)) bad(method, `${path}[${i}].attributes is not an array`);
    return {
      type: string(method, event.type, `${path}[${i}].type`),
      attributes: attributes.map((raw, j) => {
        const attribute = object(method, raw, `${path}[${i}].attributes[${j}]`);
        const where = `${path}[${i}].attributes[${j}]`;
        const index = attribute.index;
        if (index !== undefined && typeof index !== 'boolean') bad(method, `${where}.index is not a boolean`);
        return {
          key: string(method, attribute.key, `${where}.key`),
          value: optionalString(method, attribute.value, `${where}.value`),
          ...(index === undefined ? {} : { index }),
        };
      }),
    };
  });
}

function txResultOf(method: string, value: Json | undefined, path: string): TxResultInfo {
  const result = object(method, value, path);
  return {
    code: code(method, result.code, `${path}.code`),
    codespace: optionalString(method, result.codespace, `${path}.codespace`),
    log: optionalString(method, result.log, `${path}.log`),
    data: bytes(method, result.data, `${path}.data`),
    gasWanted: int64(method, result.gas_wanted, `${path}.gas_wanted`),
    gasUsed: int64(method, result.gas_used, `${path}.gas_used`),
    events: events(method, result.events, `${path}.events`),
  };
}

const HASH_HEX = /^[0-9A-Fa-f]{64}$/;

/**
 * JSON-RPC 2.0 over HTTP POST to a CometBFT 0.38-compatible endpoint.
 * @example const rpc = new RpcClient('http://127.0.0.1:26657'); const { chainId } = await rpc.status();
 */
export class RpcClient {
  readonly url: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #maxResponseBytes: number;
  #nextId = 1;

  /** @throws {RpcError} never; a bad URL fails on the first call with RPC_NETWORK. */
  constructor(url: string, options: RpcClientOptions = {}) {
    this.url = url;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#maxResponseBytes = options.maxResponseBytes ?? 16 * 1024 * 1024;
  }

  /**
   * Calls one method and returns its checked `result` object.
   * @throws {RpcError} RPC_TIMEOUT, RPC_NETWORK, RPC_HTTP, RPC_MALFORMED_RESPONSE (not JSON, not
   *   JSON-RPC 2.0, wrong id, no result), RPC_ERROR (the server's error object).
   */
  async call(method: string, params: Record<string, Json>): Promise<JsonObject> {
    const id = this.#nextId++;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#timeoutMs);
    let text: string;
    let status: number;
    try {
      let response: Response;
      try {
        response = await this.#fetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
          signal: controller.signal,
        });
      } catch (error) {
        if (controller.signal.aborted) {
          throw new RpcError('RPC_TIMEOUT', `${method}: no answer within ${this.#timeoutMs} ms`, {
            cause: error,
          });
        }
        throw new RpcError('RPC_NETWORK', `${method}: cannot reach ${this.url}; is the node running?`, {
          cause: error,
        });
      }
      status = response.status;
      try {
        text = await response.text();
      } catch (error) {
        if (controller.signal.aborted) {
          throw new RpcError('RPC_TIMEOUT', `${method}: no answer within ${this.#timeoutMs} ms`, {
            cause: error,
          });
        }
        throw new RpcError('RPC_NETWORK', `${method}: the connection broke while reading the answer`, {
          cause: error,
        });
      }
    } finally {
      clearTimeout(timer);
    }
    if (text.length > this.#maxResponseBytes)
      bad(method, `answer larger than ${this.#maxResponseBytes} bytes`);
    let body: Json;
    try {
      body = JSON.parse(text) as Json;
    } catch {
      if (status < 200 || status > 299) {
        throw new RpcError('RPC_HTTP', `${method}: HTTP ${status} from ${this.url}`, { httpStatus: status });
      }
      bad(method, 'the answer is not JSON');
    }
    // CometBFT answers JSON-RPC errors with HTTP 500 and a JSON body: read the body first.
    if (typeof body === 'object' && body !== null && !Array.isArray(body) && body.error !== undefined) {
      const error = object(method, body.error, 'error');
      const rpcCode = error.code;
      if (typeof rpcCode !== 'number') bad(method, 'error.code is not a number');
      const message = optionalString(method, error.message, 'error.message');
      const data = optionalString(method, error.data, 'error.data');
      throw new RpcError('RPC_ERROR', `${method}: ${message} ${data}`.trim().slice(0, 500), {
        rpcCode,
        rpcData: data,
        httpStatus: status,
      });
    }
    if (status < 200 || status > 299) {
      throw new RpcError('RPC_HTTP', `${method}: HTTP ${status} from ${this.url}`, { httpStatus: status });
    }
    const envelope = object(method, body, 'answer');
    if (envelope.jsonrpc !== '2.0') bad(method, 'jsonrpc is not "2.0"');
    if (envelope.id !== id) bad(method, `id ${JSON.stringify(envelope.id)} does not match request id ${id}`);
    return object(method, envelope.result, 'result');
  }

  /** `status`: chain id and latest height. @throws {RpcError} as {@link call}. */
  async status(): Promise<NodeStatus> {
    const result = await this.call('status', {});
    const nodeInfo = object('status', result.node_info, 'result.node_info');
    const syncInfo = object('status', result.sync_info, 'result.sync_info');
    const catchingUp = syncInfo.catching_up;
    if (typeof catchingUp !== 'boolean') bad('status', 'result.sync_info.catching_up is not a boolean');
    return {
      chainId: string('status', nodeInfo.network, 'result.node_info.network'),
      latestBlockHeight: int64(
        'status',
        syncInfo.latest_block_height,
        'result.sync_info.latest_block_height',
      ),
      catchingUp,
    };
  }

  /**
   * `abci_query` with a path and data (sent as hex, as CometBFT's HexBytes).
   * @throws {RpcError} as {@link call}.
   */
  async abciQuery(path: string, data: Uint8Array = new Uint8Array(0)): Promise<AbciQueryResponse> {
    const result = await this.call('abci_query', { path, data: bytesToHex(data), height: '0', prove: false });
    const response = object('abci_query', result.response, 'result.response');
    return {
      code: code('abci_query', response.code, 'response.code'),
      codespace: optionalString('abci_query', response.codespace, 'response.codespace'),
      log: optionalString('abci_query', response.log, 'response.log'),
      value: bytes('abci_query', response.value, 'response.value'),
      height: int64('abci_query', response.height, 'response.height'),
    };
  }

  /** `broadcast_tx_sync`: CheckTx only. @throws {RpcError} as {@link call}. */
  async broadcastTxSync(tx: Uint8Array): Promise<BroadcastSyncResult> {
    const result = await this.call('broadcast_tx_sync', { tx: toBase64(tx) });
    const hash = string('broadcast_tx_sync', result.hash, 'result.hash');
    if (!HASH_HEX.test(hash)) bad('broadcast_tx_sync', 'result.hash is not 64 hex characters');
    return {
      code: code('broadcast_tx_sync', result.code, 'result.code'),
      codespace: optionalString('broadcast_tx_sync', result.codespace, 'result.codespace'),
      log: optionalString('broadcast_tx_sync', result.log, 'result.log'),
      hash: hash.toUpperCase(),
    };
  }

  /**
   * `block` at a height, or the latest block when none is given.
   * @throws {ClientError} INVALID_ARGUMENT for a height below 1.
   * @throws {RpcError} as {@link call}; RPC_ERROR when the node does not have that height.
   */
  async block(height?: bigint): Promise<BlockResponse> {
    if (height !== undefined && (typeof height !== 'bigint' || height < 1n)) {
      throw new ClientError('INVALID_ARGUMENT', 'block: height must be a bigint of at least 1');
    }
    const result = await this.call('block', height === undefined ? {} : { height: height.toString() });
    const blockId = object('block', result.block_id, 'result.block_id');
    const block = object('block', result.block, 'result.block');
    const header = object('block', block.header, 'result.block.header');
    const data = object('block', block.data, 'result.block.data');
    const txs = data.txs ?? [];
    if (!Array.isArray(txs)) bad('block', 'result.block.data.txs is not an array');
    return {
      hash: string('block', blockId.hash, 'result.block_id.hash').toUpperCase(),
      height: int64('block', header.height, 'result.block.header.height'),
      time: string('block', header.time, 'result.block.header.time'),
      chainId: string('block', header.chain_id, 'result.block.header.chain_id'),
      proposerAddress: optionalString(
        'block',
        header.proposer_address,
        'header.proposer_address',
      ).toUpperCase(),
      txs: txs.map((tx, i) => bytes('block', tx, `result.block.data.txs[${i}]`)),
      raw: result,
    };
  }

  /** `genesis`: chain id and app state. @throws {RpcError} as {@link call}. */
  async genesis(): Promise<GenesisResponse> {
    const result = await this.call('genesis', {});
    const genesis = object('genesis', result.genesis, 'result.genesis');
    const appState = genesis.app_state;
    return {
      chainId: string('genesis', genesis.chain_id, 'result.genesis.chain_id'),
      appState:
        typeof appState === 'object' && appState !== null && !Array.isArray(appState) ? appState : null,
    };
  }

  /**
   * `tx` by hash (hex). Returns null when the node answers "tx (…) not found".
   * @throws {ClientError} INVALID_ARGUMENT for a hash that is not 64 hex characters.
   * @throws {RpcError} as {@link call} for anything else.
   */
  async tx(hashHex: string): Promise<TxResponse | null> {
    if (typeof hashHex !== 'string' || !HASH_HEX.test(hashHex)) {
      throw new ClientError('INVALID_ARGUMENT', 'tx: hash must be 64 hex characters');
    }
    let result: JsonObject;
    try {
      // JSON-RPC params of type []byte are base64 (CometBFT's JSON encoding); URI GET uses 0x-hex.
      result = await this.call('tx', { hash: toBase64(hexToBytes(hashHex.toLowerCase())), prove: false });
    } catch (error) {
      if (
        error instanceof RpcError &&
        error.code === 'RPC_ERROR' &&
        /not found/i.test(error.rpcData ?? error.message)
      ) {
        return null;
      }
      throw error;
    }
    const hash = string('tx', result.hash, 'result.hash');
    if (hash.toUpperCase() !== hashHex.toUpperCase()) bad('tx', 'result.hash is not the hash asked for');
    const index = result.index;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0)
      bad('tx', 'result.index is not a uint32');
    return {
      hash: hash.toUpperCase(),
      height: int64('tx', result.height, 'result.height'),
      index,
      txResult: txResultOf('tx', result.tx_result, 'result.tx_result'),
      tx: bytes('tx', result.tx, 'result.tx'),
    };
  }
}
