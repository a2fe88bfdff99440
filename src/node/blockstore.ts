// The node's block store: one record per committed height (header, txs, tx results, the
// validator's commit signature) and a tx-hash index, in an LMDB environment of its own under
// `<home>/blocks`, apart from the app's state store (a block record is not consensus state).
// Encoding: JSON built with a fixed field order (so equal blocks are equal bytes), bytes as
// lowercase hex, integers as decimal strings. The block hash is sha256 over the header record.
import { open, type RootDatabase } from 'lmdb';
import { bytesToHex, concatBytes, sha256, utf8Encode } from '../crypto/index.js';
import type { AbciEvent, ExecTxResult } from '../app/index.js';
import { NodeError } from './errors.js';
import { commitJson, decodeCommit, decodeConsensusBlock, type Commit } from './block.js';
import { evidenceKey } from './evidence-pool.js';

/** What the Tendermint engine adds to a stored block (absent for solo blocks). */
export interface ConsensusRecord {
  /** The agreed block's bytes (block.ts); sha256 of them is the block hash. Block sync sends them. */
  block: Uint8Array;
  /** The +2/3 precommits that committed it (the next block carries them as its last commit). */
  commit: Commit;
  /** The app's validator updates from this block (applied at height + 2). */
  validatorUpdates: { pubKey: Uint8Array; power: bigint }[];
}

export interface BlockHeader {
  chainId: string;
  height: bigint;
  timeNanos: bigint;
  /** Consensus address (20 bytes) of the proposer. */
  proposerAddress: Uint8Array;
  /** Hash of block height-1 (empty at height 1). */
  lastBlockHash: Uint8Array;
  /** App hash after executing this block (CometBFT would put it in the header of height+1). */
  appHash: Uint8Array;
  /** sha256 over the encoded tx results of this block. */
  resultsHash: Uint8Array;
  /** sha256 over the concatenated tx hashes (not CometBFT's merkle root: see src/node/README.md). */
  dataHash: Uint8Array;
  /** sha256 of each tx, in block order. */
  txHashes: Uint8Array[];
}

export interface StoredBlock {
  header: BlockHeader;
  hash: Uint8Array;
  txs: Uint8Array[];
  results: ExecTxResult[];
  finalizeEvents: AbciEvent[];
  /** ed25519 signature of the single validator over commitSignBytes(chainId, height, hash). */
  commitSignature: Uint8Array;
  commitTimeNanos: bigint;
  /** Encoded size, for block metas. */
  sizeBytes: number;
  /** Blocks of the Tendermint engine: the agreed bytes, the commit, the validator updates. */
  consensus?: ConsensusRecord;
}

/**
 * Lower-case hex, as bytesToHex; arrays from 64 bytes (txs, results' data) through Node's
 * native codec: bytesToHex's per-byte string concatenation was ~0.4 s of a validator's main
 * thread per 3,000 txs (bench/RESULTS.md "consensus", session 3). Same text either way.
 */
const hex = (bytes: Uint8Array): string =>
  bytes.length < 64
    ? bytesToHex(bytes)
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
const unhex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'hex'));

function encodeHeader(h: BlockHeader): string {
  return JSON.stringify({
    chain_id: h.chainId,
    height: h.height.toString(),
    time: h.timeNanos.toString(),
    proposer: hex(h.proposerAddress),
    last_block_hash: hex(h.lastBlockHash),
    app_hash: hex(h.appHash),
    results_hash: hex(h.resultsHash),
    data_hash: hex(h.dataHash),
    tx_hashes: h.txHashes.map(hex),
  });
}

function encodeResult(r: ExecTxResult): unknown {
  return {
    code: r.code,
    data: hex(r.data),
    log: r.log,
    gas_wanted: r.gasWanted.toString(),
    gas_used: r.gasUsed.toString(),
    events: r.events.map((e) => ({
      type: e.type,
      attributes: e.attributes.map((a) => ({ key: a.key, value: a.value, index: a.index })),
    })),
    codespace: r.codespace,
  };
}

/** The block hash: sha256 over the encoded header. */
export function blockHash(header: BlockHeader): Uint8Array {
  return sha256(utf8Encode(encodeHeader(header)));
}

/** sha256 over the encoded results (the header's resultsHash). */
export function resultsHash(results: ExecTxResult[]): Uint8Array {
  return sha256(utf8Encode(JSON.stringify(results.map(encodeResult))));
}

/** sha256 over the concatenated tx hashes. */
export function dataHash(txHashes: Uint8Array[]): Uint8Array {
  return sha256(concatBytes(...txHashes));
}

/** What the validator signs to commit a block: a domain label, chain id, height and block hash. */
export function commitSignBytes(chainId: string, height: bigint, hash: Uint8Array): Uint8Array {
  const heightBytes = new Uint8Array(8);
  new DataView(heightBytes.buffer).setBigUint64(0, height);
  return concatBytes(
    utf8Encode('shroud/commit/v1\0'),
    utf8Encode(chainId),
    new Uint8Array([0]),
    heightBytes,
    hash,
  );
}

export function encodeBlock(block: Omit<StoredBlock, 'sizeBytes'>): Uint8Array {
  return utf8Encode(
    JSON.stringify({
      header: JSON.parse(encodeHeader(block.header)) as unknown,
      hash: hex(block.hash),
      txs: block.txs.map(hex),
      results: block.results.map(encodeResult),
      finalize_events: block.finalizeEvents,
      commit_signature: hex(block.commitSignature),
      commit_time: block.commitTimeNanos.toString(),
      ...(block.consensus === undefined
        ? {}
        : {
            consensus: {
              block: Buffer.from(block.consensus.block).toString('base64'),
              commit: commitJson(block.consensus.commit),
              validator_updates: block.consensus.validatorUpdates.map((u) => ({
                pub_key: hex(u.pubKey),
                power: u.power.toString(),
              })),
            },
          }),
    }),
  );
}

function decodeConsensusRecord(json: Json | undefined): ConsensusRecord | undefined {
  if (json === undefined) return undefined;
  const commit = decodeCommit(utf8Encode(JSON.stringify(json['commit'])));
  if (commit === null) throw new Error('bad commit');
  return {
    block: Uint8Array.from(Buffer.from(json['block'] as string, 'base64')),
    commit,
    validatorUpdates: (json['validator_updates'] as Json[]).map((u) => ({
      pubKey: unhex(u['pub_key'] as string),
      power: BigInt(u['power'] as string),
    })),
  };
}

type Json = Record<string, unknown>;

function decodeResult(r: Json): ExecTxResult {
  return {
    code: r['code'] as number,
    data: unhex(r['data'] as string),
    log: r['log'] as string,
    gasWanted: BigInt(r['gas_wanted'] as string),
    gasUsed: BigInt(r['gas_used'] as string),
    events: r['events'] as AbciEvent[],
    codespace: r['codespace'] as string,
  };
}

/** @throws {NodeError} BLOCK_STORE_CORRUPT. */
export function decodeBlock(bytes: Uint8Array): StoredBlock {
  try {
    const json = JSON.parse(Buffer.from(bytes).toString('utf8')) as Json;
    const h = json['header'] as Json;
    return {
      header: {
        chainId: h['chain_id'] as string,
        height: BigInt(h['height'] as string),
        timeNanos: BigInt(h['time'] as string),
        proposerAddress: unhex(h['proposer'] as string),
        lastBlockHash: unhex(h['last_block_hash'] as string),
        appHash: unhex(h['app_hash'] as string),
        resultsHash: unhex(h['results_hash'] as string),
        dataHash: unhex(h['data_hash'] as string),
        txHashes: (h['tx_hashes'] as string[]).map(unhex),
      },
      hash: unhex(json['hash'] as string),
      txs: (json['txs'] as string[]).map(unhex),
      results: (json['results'] as Json[]).map(decodeResult),
      finalizeEvents: json['finalize_events'] as AbciEvent[],
      commitSignature: unhex(json['commit_signature'] as string),
      commitTimeNanos: BigInt(json['commit_time'] as string),
      sizeBytes: bytes.length,
      ...(json['consensus'] === undefined
        ? {}
        : { consensus: decodeConsensusRecord(json['consensus'] as Json) }),
    };
  } catch {
    throw new NodeError('BLOCK_STORE_CORRUPT', 'a block record does not decode: the block store is damaged');
  }
}

const blockKey = (height: bigint) => `b/${height.toString().padStart(20, '0')}`;
const txKey = (hash: Uint8Array) => `t/${hex(hash)}`;
/** Evidence index: evidence-pool.ts evidenceKey → height of the block that committed it. */
const evidenceIndexKey = (key: string) => `e/${key}`;

/** Keys of the evidence a Tendermint block carries (none for solo blocks). */
function evidenceKeysOf(block: Omit<StoredBlock, 'sizeBytes'>): string[] {
  if (block.consensus === undefined) return [];
  return (decodeConsensusBlock(block.consensus.block)?.evidence ?? []).map(evidenceKey);
}

/** Where a tx sits: its block height and index in the block. */
export interface TxLocation {
  height: bigint;
  index: number;
}

/** Decoded blocks a BlockStore keeps (the current and previous heights, with room for RPC reads). */
const RECENT_BLOCKS = 4;

/** Committed blocks by height and tx locations by hash, in LMDB. */
export class BlockStore {
  /**
   * The last few blocks loaded, decoded. Around each height the same recent blocks are loaded
   * many times (the driver after saving, the next proposal and its validation, the validator
   * set, the RPC's NewBlock event and its previous block's commit): each load of a 500-tx
   * block decoded ~1 MB of JSON (bench/RESULTS.md "consensus", session 3). Callers share the
   * returned objects and must not mutate them.
   */
  private readonly recent = new Map<bigint, StoredBlock>();

  private constructor(private readonly db: RootDatabase<Buffer, string>) {}

  /** Opens (or creates) the block store at `dir`. */
  static open(dir: string): BlockStore {
    return new BlockStore(open<Buffer, string>({ path: dir, encoding: 'binary', compression: false }));
  }

  /** Height of the last stored block (0 when empty). */
  height(): bigint {
    const value = this.db.get('latest');
    return value === undefined ? 0n : BigInt(value.toString('utf8'));
  }

  /** Saves a block and indexes its txs and evidence; durable when it returns. */
  async save(block: Omit<StoredBlock, 'sizeBytes'>): Promise<void> {
    this.recent.delete(block.header.height);
    const bytes = encodeBlock(block);
    const evidence = evidenceKeysOf(block);
    await this.db.transaction(() => {
      for (const key of evidence)
        void this.db.put(evidenceIndexKey(key), Buffer.from(block.header.height.toString()));
      void this.db.put(blockKey(block.header.height), Buffer.from(bytes));
      block.header.txHashes.forEach((hash, index) => {
        void this.db.put(txKey(hash), Buffer.from(`${block.header.height}:${index}`));
      });
      void this.db.put('latest', Buffer.from(block.header.height.toString()));
    });
    // The block just saved is loaded right away (the driver's NewBlock feed, the next proposal
    // and its validation): keep the saved record rather than decode the ~2 MB just encoded.
    this.remember(block.header.height, { ...block, sizeBytes: bytes.length });
  }

  private remember(height: bigint, block: StoredBlock): void {
    this.recent.delete(height);
    this.recent.set(height, block);
    // Oldest first in a Map's order: keep the last RECENT_BLOCKS.
    if (this.recent.size > RECENT_BLOCKS) this.recent.delete(this.recent.keys().next().value as bigint);
  }

  /** Drops blocks above `height` (records the app never committed, after a crash). */
  async truncateAbove(height: bigint): Promise<void> {
    const top = this.height();
    if (top <= height) return;
    await this.db.transaction(() => {
      for (let h = height + 1n; h <= top; h += 1n) {
        const bytes = this.db.get(blockKey(h));
        if (bytes !== undefined) {
          const block = decodeBlock(bytes);
          for (const hash of block.header.txHashes) void this.db.remove(txKey(hash));
          for (const key of evidenceKeysOf(block)) void this.db.remove(evidenceIndexKey(key));
        }
        void this.db.remove(blockKey(h));
      }
      void this.db.put('latest', Buffer.from(height.toString()));
    });
    this.recent.clear();
  }

  /** The block at `height`, or undefined. */
  load(height: bigint): StoredBlock | undefined {
    const cached = this.recent.get(height);
    if (cached !== undefined) return cached;
    const bytes = this.db.get(blockKey(height));
    if (bytes === undefined) return undefined;
    const block = decodeBlock(bytes);
    this.remember(height, block);
    return block;
  }

  /** Height of the block that committed the evidence with this key (evidence-pool.ts), or undefined. */
  evidenceHeight(key: string): bigint | undefined {
    const value = this.db.get(evidenceIndexKey(key));
    return value === undefined ? undefined : BigInt(value.toString('utf8'));
  }

  /** Where the tx with this hash was committed, or undefined. */
  findTx(hash: Uint8Array): TxLocation | undefined {
    const value = this.db.get(txKey(hash));
    if (value === undefined) return undefined;
    const [height, index] = value.toString('utf8').split(':');
    return { height: BigInt(height ?? '0'), index: Number(index) };
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
