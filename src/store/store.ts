// The node's persistent state over one LMDB environment (docs/adr/005-store-and-app-hash.md).
//
// Sub-databases (all keys and values binary):
//   data   user key -> value                  ordered by key: get and range scans
//   index  u16be(bucket) || user key -> entryHash(key, value)
//                                              one LMDB range per bucket: re-hash a bucket
//                                              without reading its values
//   buckets u16be(bucket) -> bucketHash        non-empty buckets' hashes (the tree's leaves;
//                                              inner nodes are rebuilt in memory at open)
//   sys    'format' | 'height' | 'appHash'     the store's own bookkeeping
//   meta   UTF-8 name -> value                 metadata of the layers above (not hashed)
//
// Every write of a block happens inside one transactionSync (see persist): LMDB's
// copy-on-write commit makes it all-or-nothing, so a kill -9 at any instant leaves either the
// previous block or this one, never a mix.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { BatchHost, Entry, KeyRange, PreparedCommit, PreparedWrite } from './batch.js';
import { BlockBatch } from './batch.js';
import { StoreError } from './errors.js';
import {
  BUCKET_COUNT,
  bucketIndexRange,
  EMPTY_SUBTREE,
  GENESIS_APP_HASH,
  HASH_BYTES,
  TREE_DEPTH,
  appHashOf,
  bucketHash,
  bucketOf,
  bytesEqual,
  entryHash,
  entryHashRaw,
  bucketHashRaw,
  rootOfBuckets,
  type StoreProof,
} from './hash.js';
import { checkHeight, checkKey, checkMetaName, type Pending } from './limits.js';
import { BucketTree, leafIndex } from './tree.js';
import { BackgroundHasher } from './hasher.js';
import { unpackEntries, type BlockHash } from './incremental.js';

/** On-disk format version, checked at open. */
export const STORE_FORMAT_VERSION = 1;

/** Options of {@link Store.open}. */
export interface StoreOptions {
  /**
   * fsync every commit (default true). false skips the flush (LMDB `noSync`): commits stay
   * atomic against a process crash but the last ones may be lost on power failure. Tests and
   * benchmarks only.
   */
  readonly durable?: boolean;
  /**
   * Hash blocks on a worker thread while they execute (default false; docs/adr/005,
   * "Background hashing"): the same app hash, computed on the other core as transactions
   * finish, so BlockBatch.hash() has little left to do. Blocks begun before the worker is up
   * (see backgroundHashingReady) or when it fails are hashed on the calling thread.
   */
  readonly backgroundHashing?: boolean;
}

/** The last committed block. */
export interface StoreInfo {
  readonly height: bigint;
  readonly appHash: Uint8Array;
}

const SYS_FORMAT = Buffer.from('format');
const EMPTY_BUCKET = EMPTY_SUBTREE[TREE_DEPTH] as Uint8Array;
const SYS_HEIGHT = Buffer.from('height');
const SYS_APP_HASH = Buffer.from('appHash');

type BinaryDb = Database<Uint8Array, Uint8Array>;

/** Resolved directories with an open Store in this process (see ALREADY_OPEN). */
const openPaths = new Set<string>();

/**
 * Persistent, versioned key-value state with atomic per-block commit and an app hash.
 * Keys and values are opaque bytes. All methods are synchronous except close().
 *
 * @example
 * const store = Store.open('/path/to/state');
 * const batch = store.beginBlock(store.info().height + 1n);
 * batch.set(key, value);
 * const appHash = batch.commit();
 */
export class Store {
  private readonly root: RootDatabase<Uint8Array, Uint8Array>;
  private readonly data: BinaryDb;
  private readonly index: BinaryDb;
  private readonly buckets: BinaryDb;
  private readonly sys: BinaryDb;
  private readonly meta: BinaryDb;
  private readonly tree: BucketTree;
  private height: bigint;
  private appHash: Uint8Array;
  private current: BlockBatch | undefined;
  private closed = false;
  private readonly host: BatchHost;
  private readonly path: string;
  private hasher: BackgroundHasher | null = null;
  /** Height of an open first block begun with beginInitialBlock (a chain's initial_height). */
  private initialHeight: bigint | null = null;
  private backgroundHashes = 0;

  private constructor(root: RootDatabase<Uint8Array, Uint8Array>, path: string) {
    this.root = root;
    this.path = path;
    const sub = (name: string): BinaryDb =>
      root.openDB<Uint8Array, Uint8Array>({ name, keyEncoding: 'binary', encoding: 'binary', cache: false });
    this.data = sub('data');
    this.index = sub('index');
    this.buckets = sub('buckets');
    this.sys = sub('sys');
    this.meta = sub('meta');
    this.tree = new BucketTree();
    this.height = 0n;
    this.appHash = GENESIS_APP_HASH;
    this.host = {
      readCommitted: (key) => this.readData(key),
      readCommittedMeta: (name) => copyRead(this.meta.getBinaryFast(Buffer.from(name, 'utf8'))),
      committedEntries: (start, end) => this.scan(start, end),
      prepare: (height, writes, streamed) => this.prepare(height, writes, streamed),
      prepareAsync: (height, writes, streamed) => this.prepareAsync(height, writes, streamed),
      persist: (height, writes, prepared) => this.persist(height, writes, prepared),
      stream: (_height, writes) => this.hasher?.stream(writes),
      finish: (batch) => {
        if (this.current === batch) this.current = undefined;
        this.initialHeight = null;
        if (batch.isStreaming) {
          if (this.height === batch.height) this.hasher?.commit(batch.height);
          else this.hasher?.discard();
        } else {
          this.hasher?.invalidate();
        }
      },
    };
  }

  /**
   * Opens (creating if needed) the store in directory `dir`, checks its format and that the
   * stored tree matches the stored app hash.
   * @throws StoreError CORRUPT when the stored state is inconsistent; IO_ERROR when LMDB cannot open it
   */
  static open(dir: string, options: StoreOptions = {}): Store {
    const path = resolve(dir);
    if (openPaths.has(path)) {
      throw new StoreError(
        'ALREADY_OPEN',
        `a store is already open on ${path} in this process: share it or close it first`,
      );
    }
    let root: RootDatabase<Uint8Array, Uint8Array>;
    try {
      mkdirSync(dir, { recursive: true });
      root = open<Uint8Array, Uint8Array>(dir, {
        // Always a directory: lmdb-js would otherwise treat a path like `state.v1` as a file.
        noSubdir: false,
        maxDbs: 8,
        // Plain LMDB commits: mdb_txn_commit writes and fsyncs before transactionSync returns.
        // (lmdb-js's overlappingSync would return before the flush.)
        overlappingSync: false,
        noSync: options.durable === false,
        keyEncoding: 'binary',
        encoding: 'binary',
        cache: false,
      });
    } catch (cause) {
      throw new StoreError('IO_ERROR', `cannot open the store at ${dir}: check the path and permissions`, {
        cause,
      });
    }
    const store = new Store(root, path);
    try {
      store.load();
    } catch (error) {
      void root.close();
      throw error;
    }
    openPaths.add(path);
    if (options.backgroundHashing === true) store.hasher = new BackgroundHasher(path);
    return store;
  }

  /**
   * Resolves true once the background hasher runs (false without the option or if it failed
   * to start); blocks begun after that are hashed in the background.
   */
  backgroundHashingReady(): Promise<boolean> {
    return this.hasher?.ready ?? Promise.resolve(false);
  }

  /** Number of block hashes the background hasher produced (tests, benchmarks). */
  get backgroundHashCount(): number {
    return this.backgroundHashes;
  }

  /** Height and app hash of the last committed block (height 0 and GENESIS_APP_HASH when empty). */
  info(): StoreInfo {
    this.assertOpen();
    return { height: this.height, appHash: this.appHash.slice() };
  }

  /**
   * The committed value of `key` (a copy), or undefined. Never sees an open batch's writes.
   * @throws StoreError INVALID_KEY, CLOSED
   */
  get(key: Uint8Array): Uint8Array | undefined {
    checkKey(key);
    this.assertOpen();
    return this.readData(key);
  }

  /**
   * Committed entries in ascending key order within `range` (start inclusive, end exclusive).
   * @throws StoreError CLOSED
   */
  entries(range: KeyRange = {}): Iterable<Entry> {
    this.assertOpen();
    return this.scan(range.start, range.end);
  }

  /**
   * Committed metadata `name` (see BlockBatch.setMeta), or undefined.
   * @throws StoreError INVALID_KEY, CLOSED
   */
  getMeta(name: string): Uint8Array | undefined {
    checkMetaName(name);
    this.assertOpen();
    return copyRead(this.meta.getBinaryFast(Buffer.from(name, 'utf8')));
  }

  /** @throws StoreError BATCH_IN_PROGRESS while a block batch is open (one batch at a time). */
  private assertNoOpenBatch(): void {
    if (this.current !== undefined) {
      throw new StoreError(
        'BATCH_IN_PROGRESS',
        `block ${this.current.height} is still open: commit or discard it first`,
      );
    }
  }

  /**
   * Starts block `height`, which must be the last committed height + 1. One batch at a time.
   * @throws StoreError HEIGHT_MISMATCH, BATCH_IN_PROGRESS, CLOSED
   */
  beginBlock(height: bigint): BlockBatch {
    this.assertOpen();
    checkHeight(height);
    this.assertNoOpenBatch();
    this.assertNextHeight(height);
    return this.openBatch(height);
  }

  /**
   * Starts the chain's first block at `height` ≥ 1 (CometBFT genesis `initial_height`): only
   * on a store with no committed block; afterwards heights continue from it (beginBlock).
   * @throws StoreError HEIGHT_MISMATCH when a block was already committed; BATCH_IN_PROGRESS, CLOSED
   */
  beginInitialBlock(height: bigint): BlockBatch {
    this.assertOpen();
    checkHeight(height);
    this.assertNoOpenBatch();
    if (this.height !== 0n) {
      throw new StoreError(
        'HEIGHT_MISMATCH',
        `the store already committed height ${this.height}: the initial block is behind it`,
      );
    }
    this.initialHeight = height;
    return this.openBatch(height);
  }

  private openBatch(height: bigint): BlockBatch {
    const streaming = this.hasher?.usable === true;
    if (streaming) this.hasher?.begin(height, this.height, () => this.tree.copyNodes());
    this.current = new BlockBatch(this.host, height, streaming);
    return this.current;
  }

  /**
   * A proof of `key`'s committed value (or absence) against info().appHash; check it with
   * verifyProof. Its size grows with the bucket (state size / 65,536 entries).
   * @throws StoreError INVALID_KEY, CLOSED
   */
  prove(key: Uint8Array): StoreProof {
    checkKey(key);
    this.assertOpen();
    const bucket = bucketOf(key);
    const entries = this.bucketEntries(bucket).map(([k, hash]) => ({ key: k, entryHash: hash }));
    return { height: this.height, bucket, entries, siblings: this.tree.siblings(bucket) };
  }

  /**
   * Recomputes the app hash from scratch over every stored (key, value), ignoring the cached
   * index and tree: O(state). For tests and `verify` tooling, never on the block path.
   * @throws StoreError CLOSED
   */
  recomputeAppHash(): Uint8Array {
    this.assertOpen();
    const perBucket = new Map<number, Uint8Array[]>();
    // data is scanned in key order, so each bucket's list comes out already sorted.
    for (const { key, value } of this.scan(undefined, undefined)) {
      const bucket = bucketOf(key);
      let list = perBucket.get(bucket);
      if (list === undefined) perBucket.set(bucket, (list = []));
      list.push(entryHash(key, value));
    }
    const hashes = new Map<number, Uint8Array>();
    for (const [bucket, list] of perBucket) hashes.set(bucket, bucketHash(list));
    return appHashOf(this.height, rootOfBuckets(hashes));
  }

  /** Closes the environment; an open batch is discarded. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.current?.discard();
    this.closed = true;
    openPaths.delete(this.path);
    await this.hasher?.close();
    await this.root.close();
  }

  // --- internals -------------------------------------------------------------------------

  private load(): void {
    const format = this.sys.get(SYS_FORMAT);
    if (format === undefined) {
      this.initialize();
      return;
    }
    if (format.length !== 4 || Buffer.from(format).readUInt32BE(0) !== STORE_FORMAT_VERSION) {
      throw new StoreError(
        'CORRUPT',
        `unknown store format; this build reads format ${STORE_FORMAT_VERSION}`,
      );
    }
    const height = this.sys.get(SYS_HEIGHT);
    const appHash = this.sys.get(SYS_APP_HASH);
    if (height?.length !== 8 || appHash?.length !== HASH_BYTES) {
      throw new StoreError(
        'CORRUPT',
        'stored height or app hash is missing or malformed: restore or resync the node',
      );
    }
    for (const { key, value } of this.buckets.getRange({})) {
      if (key.length !== 2 || value.length !== HASH_BYTES) {
        throw new StoreError('CORRUPT', 'malformed bucket hash in the store: restore or resync the node');
      }
      this.tree.setNode(leafIndex(Buffer.from(key).readUInt16BE(0)), value);
    }
    this.tree.rebuild();
    this.height = Buffer.from(height).readBigUInt64BE(0);
    this.appHash = new Uint8Array(appHash);
    // The root over the stored bucket hashes must give the stored app hash: a torn or edited
    // bucket hash, height or app hash is caught here. (Edited data/index entries are caught
    // only by recomputeAppHash, O(state).)
    if (!bytesEqual(appHashOf(this.height, this.tree.root()), this.appHash)) {
      throw new StoreError(
        'CORRUPT',
        `bucket hashes do not match the app hash of height ${this.height}: restore or resync the node`,
      );
    }
  }

  private initialize(): void {
    this.root.transactionSync(() => {
      const format = Buffer.alloc(4);
      format.writeUInt32BE(STORE_FORMAT_VERSION);
      this.sys.putSync(SYS_FORMAT, format);
      this.sys.putSync(SYS_HEIGHT, u64(0n));
      this.sys.putSync(SYS_APP_HASH, GENESIS_APP_HASH);
    });
  }

  /**
   * A committed value, copied once: lmdb-js's `get` of a binary value already returns a copy
   * (a Buffer over its own ArrayBuffer), which callers must not share with the store, so this
   * reads the value in place (getBinaryFast: valid until the next read on this thread) and
   * makes the one copy (~1 µs less per read, and half the ArrayBuffers for the GC).
   */
  private readData(key: Uint8Array): Uint8Array | undefined {
    return copyRead(this.data.getBinaryFast(asBuffer(key)));
  }

  private *scan(start: Uint8Array | undefined, end: Uint8Array | undefined): Generator<Entry> {
    const options: { start?: Buffer; end?: Buffer } = {};
    if (start !== undefined) options.start = asBuffer(start);
    if (end !== undefined) options.end = asBuffer(end);
    for (const { key, value } of this.data.getRange(options)) {
      yield { key: new Uint8Array(key), value: new Uint8Array(value) };
    }
  }

  /** Committed (key, entryHash) pairs of one bucket, in key order: one LMDB range read. */
  private bucketEntries(bucket: number): Array<[Uint8Array, Uint8Array]> {
    const out: Array<[Uint8Array, Uint8Array]> = [];
    for (const { key, value } of this.index.getRange(bucketIndexRange(bucket))) {
      out.push([new Uint8Array(key.subarray(2)), new Uint8Array(value)]);
    }
    return out;
  }

  /** Committed (latin1 key -> entryHash) of one bucket into `into`: one LMDB range read. */
  private readBucket(bucket: number, into: Map<string, Uint8Array>): void {
    for (const { key, value } of this.index.getRange(bucketIndexRange(bucket))) {
      // lmdb-js reuses its read buffers: keep copies.
      into.set((key as Buffer).toString('latin1', 2), Buffer.from(value));
    }
  }

  /** As prepare, waiting for the background hasher asynchronously (BlockBatch.hashAsync). */
  private async prepareAsync(
    height: bigint,
    writes: readonly Pending[],
    streamed: boolean,
  ): Promise<PreparedCommit> {
    this.assertOpen();
    this.assertNextHeight(height);
    if (streamed && this.hasher !== null) {
      const prepared = fromBackground(await this.hasher.finishAsync(), writes);
      if (prepared !== null) {
        this.backgroundHashes++;
        return prepared;
      }
      this.hasher.invalidate();
    }
    return this.prepare(height, writes, false);
  }

  /** Hashes a block: re-hash only the touched buckets, then their paths to the root. */
  private prepare(height: bigint, writes: readonly Pending[], streamed: boolean): PreparedCommit {
    this.assertOpen();
    this.assertNextHeight(height);
    if (streamed && this.hasher !== null) {
      const prepared = fromBackground(this.hasher.finish(), writes);
      if (prepared !== null) {
        this.backgroundHashes++;
        return prepared;
      }
      this.hasher.invalidate();
    }
    const byBucket = new Map<number, Pending[]>();
    const dataWrites: PreparedWrite[] = [];
    for (const write of writes) {
      const bucket = bucketOf(write.key);
      let list = byBucket.get(bucket);
      if (list === undefined) byBucket.set(bucket, (list = []));
      list.push(write);
    }
    const leaves = new Map<number, Uint8Array>();
    for (const [bucket, bucketWrites] of byBucket) {
      // latin1 slot strings sort in byte order, so a string sort orders keys like LMDB.
      const entries = new Map<string, Uint8Array>();
      // An empty leaf means an empty bucket: skip the range read (most new keys in a young
      // chain, ~22% of buckets at 100k keys).
      if (!this.tree.isEmptyBucket(bucket)) this.readBucket(bucket, entries);
      for (const write of bucketWrites) {
        const key = asBuffer(write.key);
        const slot = key.toString('latin1');
        const hash = write.value === null ? null : entryHashRaw(key, write.value);
        if (hash === null) entries.delete(slot);
        else entries.set(slot, hash);
        const indexKey = Buffer.allocUnsafe(2 + key.length);
        indexKey.writeUInt16BE(bucket);
        key.copy(indexKey, 2);
        dataWrites.push({ key, indexKey, value: write.value, entryHash: hash });
      }
      const hashes: Uint8Array[] = [];
      if (entries.size === 1) hashes.push(entries.values().next().value as Uint8Array);
      else for (const slot of [...entries.keys()].sort()) hashes.push(entries.get(slot) as Uint8Array);
      leaves.set(bucket, bucketHashRaw(hashes));
    }
    const nodes = this.tree.prepareUpdate(leaves);
    const last = nodes.indexes.length - 1;
    const root =
      last >= 0 && nodes.indexes[last] === 1
        ? nodes.hashes.subarray(last * HASH_BYTES, (last + 1) * HASH_BYTES)
        : this.tree.root();
    return { appHash: appHashOf(height, root), nodes, dataWrites };
  }

  /** The block's single write transaction. Nothing of a block is written anywhere else. */
  private persist(height: bigint, metaWrites: readonly Pending[], prepared: PreparedCommit): void {
    this.assertOpen();
    this.assertNextHeight(height);
    try {
      this.root.transactionSync(() => {
        for (const write of metaWrites) {
          const key = asBuffer(write.key);
          if (write.value === null) this.meta.removeSync(key);
          else this.meta.putSync(key, write.value);
        }
        for (const write of prepared.dataWrites) {
          if (write.value === null || write.entryHash === null) {
            this.data.removeSync(write.key);
            this.index.removeSync(write.indexKey);
          } else {
            this.data.putSync(write.key, write.value);
            this.index.putSync(write.indexKey, write.entryHash);
          }
        }
        const { indexes, hashes } = prepared.nodes;
        for (let i = 0; i < indexes.length; i++) {
          const index = indexes[i] as number;
          if (index < BUCKET_COUNT) continue; // inner nodes live in memory only
          const bucketKey = Buffer.alloc(2);
          bucketKey.writeUInt16BE(index - BUCKET_COUNT);
          const hash = hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
          if (bytesEqual(hash, EMPTY_BUCKET)) this.buckets.removeSync(bucketKey);
          else this.buckets.putSync(bucketKey, hash);
        }
        this.sys.putSync(SYS_HEIGHT, u64(height));
        this.sys.putSync(SYS_APP_HASH, prepared.appHash);
      });
    } catch (cause) {
      throw new StoreError(
        'IO_ERROR',
        `committing block ${height} failed; nothing was written, retry or stop the node`,
        {
          cause,
        },
      );
    }
    // Visible only after the transaction is durable: the in-memory tree follows the disk.
    this.tree.applyUpdate(prepared.nodes);
    this.height = height;
    this.appHash = prepared.appHash.slice();
  }

  private assertNextHeight(height: bigint): void {
    if (height === this.initialHeight && this.height === 0n) return;
    if (height !== this.height + 1n) {
      throw new StoreError(
        'HEIGHT_MISMATCH',
        `block ${height} cannot follow committed height ${this.height}: the next block is ${this.height + 1n}`,
      );
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('CLOSED', 'the store is closed: open it again');
  }
}

/**
 * A PreparedCommit from the background hasher's answer, or null when there is none or it
 * does not cover exactly the batch's data writes (then the store hashes the block itself).
 */
function fromBackground(answer: BlockHash | null, writes: readonly Pending[]): PreparedCommit | null {
  if (answer === null || answer.entryCount !== writes.length) return null;
  const entries = unpackEntries(answer.entries);
  const dataWrites: PreparedWrite[] = [];
  for (const write of writes) {
    const key = asBuffer(write.key);
    const entry = entries.get(key.toString('latin1'));
    const hash = entry?.entryHash;
    if (entry === undefined || hash === undefined || (hash === null) !== (write.value === null)) return null;
    const indexKey = Buffer.allocUnsafe(2 + key.length);
    indexKey.writeUInt16BE(entry.bucket);
    key.copy(indexKey, 2);
    dataWrites.push({ key, indexKey, value: write.value, entryHash: hash });
  }
  return {
    appHash: new Uint8Array(answer.appHash),
    nodes: {
      indexes: answer.indexes,
      hashes: Buffer.from(answer.hashes.buffer, answer.hashes.byteOffset, answer.hashes.byteLength),
    },
    dataWrites,
  };
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * A plain Uint8Array copy of a value getBinaryFast returned. lmdb-js reads most values into one
 * reusable buffer per thread and gives that buffer an own `length` property equal to the value's
 * size (the typed array itself spans the whole buffer), so the size is `bytes.length`, not the
 * view's byteLength (test/store/read-copy.test.ts).
 */
function copyRead(bytes: Buffer | undefined): Uint8Array | undefined {
  if (bytes === undefined) return undefined;
  const out = new Uint8Array(bytes.length);
  out.set(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
  return out;
}

function u64(value: bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(value);
  return out;
}
