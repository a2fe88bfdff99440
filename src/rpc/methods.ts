// CometBFT 0.38 JSON-RPC routes (rpc/core/routes.go) over a Shroud solo node, answering with
// the JSON shapes of rpc/core/types/responses.go: hashes uppercase hex, int64 as decimal
// strings, bytes base64, times RFC 3339 with nanoseconds, public keys as
// {"type":"tendermint/PubKeyEd25519","value":base64}. Subscriptions are in server.ts.
import { bytesToHex, sha256, utf8Encode } from '../crypto/index.js';
import {
  consensusAddress,
  POWER_REDUCTION,
  type AbciEvent,
  type ExecTxResult,
  type ResponseCheckTx,
} from '../app/index.js';
import { decodeConsensusBlock, type SoloNode, type StoredBlock } from '../node/index.js';
import { RpcServerError, invalidParams } from './errors.js';
import { matches, parseQuery } from './query.js';

export type Params = Record<string, unknown>;

const HEX = (bytes: Uint8Array): string => bytesToHex(bytes).toUpperCase();
const B64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** RFC 3339 with nanoseconds, as Go's time.Time marshals (trailing zeros trimmed). */
export function rfc3339Nanos(nanos: bigint): string {
  const ms = Number(nanos / 1_000_000n);
  const base = new Date(ms).toISOString().slice(0, 19);
  const fraction = (nanos % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${base}${fraction.length > 0 ? `.${fraction}` : ''}Z`;
}

// --- parameter readers (GET passes strings, POST JSON values) ---------------------------

function optionalHeight(params: Params, name = 'height'): bigint | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '' || value === 0) return undefined;
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== 'string' || !/^[0-9]{1,19}$/.test(text))
    throw invalidParams(`${name} must be a positive integer (a decimal string)`);
  const n = BigInt(text);
  return n === 0n ? undefined : n;
}

function optionalInt(params: Params, name: string, fallback: number, max: number): number {
  const value = params[name];
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw invalidParams(`${name} must be a positive integer`);
  return Math.min(n, max);
}

function stringParam(params: Params, name: string): string {
  const value = params[name];
  if (typeof value !== 'string') throw invalidParams(`${name} must be a string`);
  return value;
}

/** `tx` bytes: base64 in JSON bodies; `0x`-hex or a quoted base64 string in GET query strings. */
function txParam(params: Params): Uint8Array {
  const raw = params['tx'];
  if (typeof raw !== 'string' || raw.length === 0)
    throw invalidParams('tx must be the transaction bytes in base64');
  const text = raw.replace(/^"(.*)"$/, '$1');
  if (/^0x([0-9a-fA-F]{2})*$/.test(text)) return Uint8Array.from(Buffer.from(text.slice(2), 'hex'));
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0)
    throw invalidParams('tx must be base64 (or 0x-prefixed hex)');
  const bytes = Uint8Array.from(Buffer.from(text, 'base64'));
  if (bytes.length === 0) throw invalidParams('tx is empty');
  return bytes;
}

/** A 32-byte hash: hex (optionally 0x) or base64 (what CometBFT's JSON []byte takes). */
function hashParam(params: Params): Uint8Array {
  const raw = params['hash'];
  if (typeof raw !== 'string') throw invalidParams('hash must be a 32-byte hash (hex or base64)');
  const text = raw.replace(/^"(.*)"$/, '$1');
  if (/^(0x)?[0-9a-fA-F]{64}$/.test(text))
    return Uint8Array.from(Buffer.from(text.replace(/^0x/, ''), 'hex'));
  const bytes = /^[A-Za-z0-9+/]{43}=$/.test(text) ? Buffer.from(text, 'base64') : null;
  if (bytes === null || bytes.length !== 32)
    throw invalidParams('hash must be a 32-byte hash (hex or base64)');
  return Uint8Array.from(bytes);
}

// --- JSON shapes -----------------------------------------------------------------------

export function pubKeyJson(publicKey: Uint8Array) {
  return { type: 'tendermint/PubKeyEd25519', value: B64(publicKey) };
}

function eventsJson(events: AbciEvent[]) {
  return events.map((e) => ({
    type: e.type,
    attributes: e.attributes.map((a) => ({ key: a.key, value: a.value, index: a.index })),
  }));
}

export function execTxResultJson(result: ExecTxResult) {
  return {
    code: result.code,
    data: result.data.length > 0 ? B64(result.data) : null,
    log: result.log,
    info: '',
    gas_wanted: result.gasWanted.toString(),
    gas_used: result.gasUsed.toString(),
    events: eventsJson(result.events),
    codespace: result.codespace,
  };
}

function checkTxJson(check: ResponseCheckTx) {
  return {
    code: check.code,
    data: check.data.length > 0 ? B64(check.data) : null,
    log: check.log,
    info: '',
    gas_wanted: check.gasWanted.toString(),
    gas_used: check.gasUsed.toString(),
    events: eventsJson(check.events),
    codespace: check.codespace,
  };
}

function partSetHash(block: StoredBlock): Uint8Array {
  return sha256(block.hash); // one part; not CometBFT's part-set merkle root (src/node/README.md)
}

export function blockIdJson(block: StoredBlock | undefined) {
  if (block === undefined) return { hash: '', parts: { total: 0, hash: '' } };
  return { hash: HEX(block.hash), parts: { total: 1, hash: HEX(partSetHash(block)) } };
}

function validatorsHash(node: SoloNode): Uint8Array {
  const power = new Uint8Array(8);
  new DataView(power.buffer).setBigUint64(0, node.validator.votingPower);
  return sha256(Buffer.concat([node.validator.publicKey, power]));
}

/** The validators of `height`: the Tendermint node's set, or the solo node's one validator. */
function validatorsAt(node: SoloNode, height: bigint) {
  return (
    node.validatorsAt?.(height) ?? [
      {
        address: node.validator.address,
        publicKey: node.validator.publicKey,
        votingPower: node.validator.votingPower,
        proposerPriority: 0n,
      },
    ]
  );
}

export function headerJson(node: SoloNode, block: StoredBlock) {
  const h = block.header;
  const previous = h.height > 1n ? node.blocks.load(h.height - 1n) : undefined;
  const agreed = block.consensus === undefined ? null : decodeConsensusBlock(block.consensus.block);
  if (agreed !== null) {
    // A Tendermint block: its own header fields, with CometBFT's placement (app and results
    // hash after the previous block).
    const a = agreed.header;
    const next = node.validatorsHashAt?.(h.height + 1n);
    return {
      version: { block: '11', app: '1' },
      chain_id: a.chainId,
      height: a.height.toString(),
      time: rfc3339Nanos(a.timeNanos),
      last_block_id: blockIdJson(previous),
      last_commit_hash: HEX(a.lastCommitHash),
      data_hash: HEX(a.dataHash),
      validators_hash: HEX(a.validatorsHash),
      next_validators_hash: next === undefined ? '' : HEX(next),
      consensus_hash: HEX(sha256(utf8Encode(`${a.chainId}/consensus-params/v1`))),
      app_hash: HEX(a.appHash),
      last_results_hash: HEX(a.lastResultsHash),
      evidence_hash: HEX(a.evidenceHash),
      proposer_address: HEX(a.proposerAddress),
    };
  }
  const vhash = HEX(validatorsHash(node));
  return {
    version: { block: '11', app: '1' },
    chain_id: h.chainId,
    height: h.height.toString(),
    time: rfc3339Nanos(h.timeNanos),
    last_block_id: blockIdJson(previous),
    last_commit_hash: previous === undefined ? '' : HEX(sha256(previous.commitSignature)),
    data_hash: HEX(h.dataHash),
    validators_hash: vhash,
    next_validators_hash: vhash,
    consensus_hash: HEX(sha256(utf8Encode(`${h.chainId}/consensus-params/v1`))),
    // CometBFT placement, as the Tendermint engine's headers: the state after the previous
    // block (the record stores the state after this one; block 1 shows the empty genesis hash).
    app_hash: previous === undefined ? '' : HEX(previous.header.appHash),
    last_results_hash: previous === undefined ? '' : HEX(previous.header.resultsHash),
    evidence_hash: '',
    proposer_address: HEX(h.proposerAddress),
  };
}

export function commitJson(node: SoloNode, block: StoredBlock) {
  const consensus = block.consensus;
  if (consensus !== undefined) {
    // One entry per validator of the height, in set order (CometBFT's CommitSig list):
    // BlockIDFlagCommit (2) with the precommit, or BlockIDFlagAbsent (1).
    const byAddress = new Map(consensus.commit.votes.map((v) => [v.validatorAddress, v]));
    return {
      height: block.header.height.toString(),
      round: consensus.commit.round,
      block_id: blockIdJson(block),
      signatures: validatorsAt(node, block.header.height).map((v) => {
        const vote = byAddress.get(bytesToHex(v.address));
        return vote === undefined
          ? { block_id_flag: 1, validator_address: '', timestamp: '0001-01-01T00:00:00Z', signature: null }
          : {
              block_id_flag: 2,
              validator_address: HEX(v.address),
              timestamp: rfc3339Nanos(block.commitTimeNanos),
              signature: B64(vote.signature),
            };
      }),
    };
  }
  return {
    height: block.header.height.toString(),
    round: 0,
    block_id: blockIdJson(block),
    signatures: [
      {
        block_id_flag: 2, // BlockIDFlagCommit
        validator_address: HEX(node.validator.address),
        timestamp: rfc3339Nanos(block.commitTimeNanos),
        signature: B64(block.commitSignature),
      },
    ],
  };
}

export function blockJson(node: SoloNode, block: StoredBlock) {
  const previous = block.header.height > 1n ? node.blocks.load(block.header.height - 1n) : undefined;
  return {
    header: headerJson(node, block),
    data: { txs: block.txs.map(B64) },
    evidence: { evidence: evidenceJson(block) },
    last_commit:
      previous === undefined
        ? { height: '0', round: 0, block_id: blockIdJson(undefined), signatures: [] }
        : commitJson(node, previous),
  };
}

/** Duplicate-vote evidence recorded in a Tendermint block (CometBFT's DuplicateVoteEvidence, abridged). */
function evidenceJson(block: StoredBlock) {
  const agreed = block.consensus === undefined ? null : decodeConsensusBlock(block.consensus.block);
  const vote = (v: {
    type: string;
    height: number;
    round: number;
    valueId: Uint8Array | null;
    validatorAddress: string;
    signature: Uint8Array;
  }) => ({
    type: v.type === 'prevote' ? 1 : 2,
    height: String(v.height),
    round: v.round,
    block_id: { hash: v.valueId === null ? '' : HEX(v.valueId), parts: { total: 0, hash: '' } },
    validator_address: v.validatorAddress.toUpperCase(),
    signature: B64(v.signature),
  });
  return (agreed?.evidence ?? []).map((ev) => ({
    type: 'tendermint/DuplicateVoteEvidence',
    value: { vote_a: vote(ev.first), vote_b: vote(ev.second) },
  }));
}

export function finalizeBlockJson(block: StoredBlock) {
  return {
    events: eventsJson(block.finalizeEvents),
    tx_results: block.results.map(execTxResultJson),
    validator_updates: [],
    consensus_param_updates: null,
    app_hash: B64(block.header.appHash),
  };
}

export function txJson(block: StoredBlock, index: number) {
  const tx = block.txs[index] ?? new Uint8Array(0);
  const result = block.results[index];
  if (result === undefined) throw new RpcServerError('INTERNAL_ERROR', 'a stored block lacks a tx result');
  return {
    hash: HEX(block.header.txHashes[index] ?? sha256(tx)),
    height: block.header.height.toString(),
    index,
    tx_result: execTxResultJson(result),
    tx: B64(tx),
  };
}

/** Composite event keys of a tx (for tx_search and Tx subscriptions): tm.event, tx.hash, tx.height, type.key. */
export function txEventMap(block: StoredBlock, index: number): Map<string, string[]> {
  const map = new Map<string, string[]>();
  const add = (key: string, value: string) => map.set(key, [...(map.get(key) ?? []), value]);
  add('tm.event', 'Tx');
  add('tx.hash', HEX(block.header.txHashes[index] ?? new Uint8Array(0)));
  add('tx.height', block.header.height.toString());
  for (const event of block.results[index]?.events ?? []) {
    for (const attribute of event.attributes) add(`${event.type}.${attribute.key}`, attribute.value);
  }
  return map;
}

/**
 * The highest block the RPC serves: the block store saves a block before the app commits it
 * (so the store never lags the app), but a client told "included at H" must be able to query
 * H's state at once (e.g. instantiate right after store code), so nothing above the app's
 * committed height is served.
 */
export function servedHeight(node: SoloNode): bigint {
  const stored = node.blocks.height();
  const committed = node.app.store.info().height;
  return stored < committed ? stored : committed;
}

function latest(node: SoloNode): StoredBlock | undefined {
  const height = servedHeight(node);
  return height === 0n ? undefined : node.blocks.load(height);
}

function blockAt(node: SoloNode, params: Params): StoredBlock {
  const height = optionalHeight(params) ?? servedHeight(node);
  const top = servedHeight(node);
  if (height > top || height < 1n)
    throw invalidParams(
      `height ${height} must be less than or equal to the current blockchain height ${top}`,
    );
  const block = node.blocks.load(height);
  if (block === undefined) throw invalidParams(`block ${height} is not in the block store`);
  return block;
}

function nodeId(node: SoloNode): string {
  return bytesToHex(sha256(node.validator.publicKey).subarray(0, 20));
}

// --- methods ---------------------------------------------------------------------------

function checkedTx(node: SoloNode, params: Params): Uint8Array {
  const tx = txParam(params);
  if (tx.length > node.genesis.params.maxTxBytes)
    throw invalidParams(`tx is ${tx.length} bytes, more than the limit ${node.genesis.params.maxTxBytes}`);
  return tx;
}

async function broadcast(node: SoloNode, params: Params) {
  const tx = checkedTx(node, params);
  const check = await node.submit(tx);
  return { tx, check, hash: sha256(tx) };
}

const TX_COMMIT_TIMEOUT_MS = 10_000; // CometBFT's timeout_broadcast_tx_commit default

export type Method = (node: SoloNode, params: Params) => unknown;

export const METHODS: Record<string, Method> = {
  health: () => ({}),

  status: (node) => {
    const top = latest(node);
    const first = node.blocks.load(1n);
    return {
      node_info: {
        protocol_version: { p2p: '8', block: '11', app: '1' },
        id: nodeId(node),
        listen_addr: 'tcp://127.0.0.1:26656',
        network: node.genesis.chainId,
        version: '0.38.0',
        channels: '40202122233038606100',
        moniker: node.config.moniker,
        other: { tx_index: 'on', rpc_address: node.rpcUrl.replace(/^http/, 'tcp') },
      },
      sync_info: {
        latest_block_hash: top === undefined ? '' : HEX(top.hash),
        latest_app_hash: top === undefined ? '' : HEX(top.header.appHash),
        latest_block_height: (top?.header.height ?? 0n).toString(),
        latest_block_time: rfc3339Nanos(top?.header.timeNanos ?? node.genesis.genesisTimeNanos),
        earliest_block_hash: first === undefined ? '' : HEX(first.hash),
        earliest_app_hash: first === undefined ? '' : HEX(first.header.appHash),
        earliest_block_height: first === undefined ? '0' : '1',
        earliest_block_time: rfc3339Nanos(first?.header.timeNanos ?? node.genesis.genesisTimeNanos),
        catching_up: false,
      },
      validator_info: {
        address: HEX(node.validator.address),
        pub_key: pubKeyJson(node.validator.publicKey),
        voting_power: node.validator.votingPower.toString(),
      },
    };
  },

  net_info: (node) => {
    const peers = node.peers?.() ?? [];
    return {
      listening: true,
      listeners: node.p2p === undefined ? [node.rpcUrl] : [`tcp://${node.p2p.listenAddress}`],
      n_peers: String(peers.length),
      peers: peers.map((peer) => ({
        node_info: { id: peer.id, listen_addr: peer.remoteAddress, network: node.genesis.chainId },
        is_outbound: peer.direction === 'outbound',
        remote_ip: peer.remoteAddress.replace(/:\d+$/, ''),
      })),
    };
  },

  abci_info: async (node) => {
    const info = await node.app.info({
      version: '0.38.0',
      blockVersion: 11n,
      p2pVersion: 8n,
      abciVersion: '2.0.0',
    });
    return {
      response: {
        data: info.data,
        version: info.version,
        app_version: info.appVersion.toString(),
        last_block_height: info.lastBlockHeight.toString(),
        last_block_app_hash: B64(info.lastBlockAppHash),
      },
    };
  },

  abci_query: async (node, params) => {
    const path = stringParam(params, 'path').replace(/^"(.*)"$/, '$1');
    if (path.length === 0 || path.length > 512) throw invalidParams('path must be 1-512 characters');
    const dataText =
      params['data'] === undefined ? '' : stringParam(params, 'data').replace(/^"(.*)"$/, '$1');
    const hex = dataText.replace(/^0x/, '');
    if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw invalidParams('data must be hex');
    const height = optionalHeight(params);
    if (height !== undefined && height !== servedHeight(node))
      throw invalidParams('only the latest height can be queried (this node keeps no historical state)');
    const response = await node.app.query({
      path,
      data: Uint8Array.from(Buffer.from(hex, 'hex')),
      height: 0n,
      prove: false,
    });
    return {
      response: {
        code: response.code,
        log: response.log,
        info: '',
        index: '0',
        key: response.key.length > 0 ? B64(response.key) : null,
        value: response.value.length > 0 ? B64(response.value) : null,
        proofOps: null,
        height: response.height.toString(),
        codespace: response.codespace,
      },
    };
  },

  block: (node, params) => {
    const block = blockAt(node, params);
    return { block_id: blockIdJson(block), block: blockJson(node, block) };
  },

  block_by_hash: (node, params) => {
    const hash = HEX(hashParam(params));
    for (let h = servedHeight(node); h >= 1n && h > servedHeight(node) - 10_000n; h -= 1n) {
      const block = node.blocks.load(h);
      if (block !== undefined && HEX(block.hash) === hash)
        return { block_id: blockIdJson(block), block: blockJson(node, block) };
    }
    return { block_id: blockIdJson(undefined), block: null };
  },

  block_results: (node, params) => {
    const block = blockAt(node, params);
    const f = finalizeBlockJson(block);
    return {
      height: block.header.height.toString(),
      txs_results: f.tx_results.length > 0 ? f.tx_results : null,
      finalize_block_events: f.events,
      validator_updates: [],
      consensus_param_updates: null,
      app_hash: f.app_hash,
    };
  },

  blockchain: (node, params) => {
    const top = servedHeight(node);
    let max = optionalHeight(params, 'maxHeight') ?? top;
    if (max > top) max = top;
    let min = optionalHeight(params, 'minHeight') ?? 1n;
    if (min > max) throw invalidParams(`min height ${min} can't be greater than max height ${max}`);
    if (max - min >= 20n) min = max - 19n; // CometBFT returns at most 20 metas
    const metas = [];
    for (let h = max; h >= min && h >= 1n; h -= 1n) {
      const block = node.blocks.load(h);
      if (block === undefined) continue;
      metas.push({
        block_id: blockIdJson(block),
        block_size: String(block.sizeBytes),
        header: headerJson(node, block),
        num_txs: String(block.txs.length),
      });
    }
    return { last_height: top.toString(), block_metas: metas };
  },

  commit: (node, params) => {
    const block = blockAt(node, params);
    return {
      signed_header: { header: headerJson(node, block), commit: commitJson(node, block) },
      canonical: true,
    };
  },

  validators: (node, params) => {
    const height = optionalHeight(params) ?? servedHeight(node);
    const validators = validatorsAt(node, height);
    return {
      block_height: height.toString(),
      validators: validators.map((v) => ({
        address: HEX(v.address),
        pub_key: pubKeyJson(v.publicKey),
        voting_power: v.votingPower.toString(),
        proposer_priority: v.proposerPriority.toString(),
      })),
      count: String(validators.length),
      total: String(validators.length),
    };
  },

  genesis: (node) => ({
    genesis: {
      genesis_time: rfc3339Nanos(node.genesis.genesisTimeNanos),
      chain_id: node.genesis.chainId,
      initial_height: node.genesis.initialHeight.toString(),
      consensus_params: {
        block: { max_bytes: node.genesis.params.maxBlockBytes.toString(), max_gas: '-1' },
        evidence: { max_age_num_blocks: '100000', max_age_duration: '172800000000000', max_bytes: '1048576' },
        validator: { pub_key_types: ['ed25519'] },
        version: { app: '1' },
      },
      // Every genesis validator (one on a solo devnet, N on a Tendermint network).
      validators: node.genesis.validators.map((v) => ({
        address: HEX(consensusAddress(v.consensusPublicKey)),
        pub_key: pubKeyJson(v.consensusPublicKey),
        power: (v.selfBond / POWER_REDUCTION).toString(),
        name: v.moniker,
      })),
      app_hash: '',
      app_state: node.genesisDocument,
    },
  }),

  // CometBFT 0.38 (rpc/core/mempool.go BroadcastTxAsync) hands the tx to CheckTx and answers at
  // once with code 0 and the hash, without waiting for the check: a client pushing load is then
  // not held behind block execution (checkTx waits for it on the node's thread). The tx enters checkTx before this answer is sent, so a client's txs sent one after another
  // reach checkTx in that order. A refusal is only logged; the client learns the outcome from
  // `tx` / `Tx` events (use broadcast_tx_sync to see checkTx's answer).
  broadcast_tx_async: (node, params) => {
    const tx = checkedTx(node, params);
    const hash = sha256(tx);
    // submit() is called before this returns (its checkTx is queued in order); its outcome is
    // only logged. A synchronous throw is treated as a refusal too.
    const check = (async () => node.submit(tx))();
    check.then(
      (answer) => {
        if (answer.code !== 0)
          node.log.debug(
            { hash: HEX(hash), code: answer.code, log: answer.log },
            'async tx refused by checkTx',
          );
      },
      (error: unknown) => node.log.warn({ err: error, hash: HEX(hash) }, 'async tx could not be checked'),
    );
    return Promise.resolve({ code: 0, data: null, log: '', codespace: '', hash: HEX(hash) });
  },

  broadcast_tx_sync: async (node, params) => {
    const { check, hash } = await broadcast(node, params);
    return {
      code: check.code,
      data: check.data.length > 0 ? B64(check.data) : null,
      log: check.log,
      codespace: check.codespace,
      hash: HEX(hash),
    };
  },

  broadcast_tx_commit: async (node, params) => {
    const tx = checkedTx(node, params);
    const hash = sha256(tx);
    // Listen before submitting: a consensus node's submit is asynchronous, so the block holding
    // the tx must not be able to pass between the check and the subscription.
    let off: () => void = () => undefined;
    let timer: NodeJS.Timeout | undefined;
    const committed = new Promise<StoredBlock>((resolve, reject) => {
      timer = setTimeout(() => {
        off();
        reject(
          new RpcServerError('INTERNAL_ERROR', 'timed out waiting for the tx to be committed in a block'),
        );
      }, TX_COMMIT_TIMEOUT_MS);
      off = node.onBlock((candidate) => {
        if (candidate.header.txHashes.some((h) => HEX(h) === HEX(hash))) {
          clearTimeout(timer);
          off();
          resolve(candidate);
        }
      });
    });
    let check: ResponseCheckTx;
    try {
      check = await node.submit(tx);
    } catch (error) {
      clearTimeout(timer);
      off();
      throw error;
    }
    if (check.code !== 0) {
      clearTimeout(timer);
      off();
      return { check_tx: checkTxJson(check), tx_result: null, hash: HEX(hash), height: '0' };
    }
    const block = await committed;
    const index = block.header.txHashes.findIndex((h) => HEX(h) === HEX(hash));
    const result = block.results[index];
    return {
      check_tx: checkTxJson(check),
      tx_result: result === undefined ? null : execTxResultJson(result),
      hash: HEX(hash),
      height: block.header.height.toString(),
    };
  },

  tx: (node, params) => {
    const hash = hashParam(params);
    const location = node.blocks.findTx(hash);
    const served = location !== undefined && location.height <= servedHeight(node);
    const block = served ? node.blocks.load(location.height) : undefined;
    if (location === undefined || block === undefined)
      throw new RpcServerError('INTERNAL_ERROR', `tx (${HEX(hash)}) not found`);
    return txJson(block, location.index);
  },

  tx_search: (node, params) => {
    const query = stringParam(params, 'query').replace(/^"(.*)"$/, '$1');
    const conditions = parseQuery(query);
    const page = optionalInt(params, 'page', 1, 1_000_000);
    const perPage = optionalInt(params, 'per_page', 30, 100);
    const order = params['order_by'] === 'desc' ? 'desc' : 'asc';
    const found: { block: StoredBlock; index: number }[] = [];
    const byHash = conditions.find((c) => c.key === 'tx.hash' && c.op === '=');
    const byHeight = conditions.find((c) => c.key === 'tx.height' && c.op === '=');
    const consider = (block: StoredBlock) => {
      block.txs.forEach((_tx, index) => {
        if (matches(conditions, txEventMap(block, index))) found.push({ block, index });
      });
    };
    if (byHash !== undefined) {
      if (!/^[0-9A-Fa-f]{64}$/.test(byHash.value)) throw invalidParams('tx.hash must be 64 hex characters');
      const location = node.blocks.findTx(Uint8Array.from(Buffer.from(byHash.value, 'hex')));
      const served = location !== undefined && location.height <= servedHeight(node);
      const block = served ? node.blocks.load(location.height) : undefined;
      if (block !== undefined) consider(block);
    } else if (byHeight !== undefined) {
      const height = /^\d{1,19}$/.test(byHeight.value) ? BigInt(byHeight.value) : 0n;
      const block = height >= 1n && height <= servedHeight(node) ? node.blocks.load(height) : undefined;
      if (block !== undefined) consider(block);
    } else {
      // A scan, bounded to the last 10,000 blocks (no secondary index for arbitrary events yet).
      const top = servedHeight(node);
      for (let h = top > 10_000n ? top - 9_999n : 1n; h <= top; h += 1n) {
        const block = node.blocks.load(h);
        if (block !== undefined) consider(block);
      }
    }
    if (order === 'desc') found.reverse();
    const start = (page - 1) * perPage;
    if (start > 0 && start >= found.length)
      throw invalidParams(
        `page should be within [1, ${Math.max(1, Math.ceil(found.length / perPage))}] range, given ${page}`,
      );
    return {
      txs: found.slice(start, start + perPage).map(({ block, index }) => txJson(block, index)),
      total_count: String(found.length),
    };
  },

  unconfirmed_txs: (node, params) => {
    const limit = optionalInt(params, 'limit', 30, 100);
    return {
      n_txs: String(Math.min(limit, node.pending.size)),
      total: String(node.pending.size),
      total_bytes: String(node.pending.totalBytes),
      txs: node.pending.list(limit).map(B64),
    };
  },

  num_unconfirmed_txs: (node) => ({
    n_txs: String(node.pending.size),
    total: String(node.pending.size),
    total_bytes: String(node.pending.totalBytes),
    txs: null,
  }),
};
