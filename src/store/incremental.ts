// The app hash of one block computed while the block executes (docs/adr/005, "Background
// hashing"). Same formula as Store.prepare (hash.ts); only the schedule differs: the batch
// hands over each transaction's final writes as soon as the outermost checkpoint closes
// (`apply`), and this class re-hashes their buckets and the tree below CUT_DEPTH right away,
// so that `finish` has only the top CUT_DEPTH levels left (≤ 2^CUT_DEPTH - 1 inner hashes).
// It runs in the store's hashing worker (hasher-worker.ts), on the second core, and is pure
// apart from the committed-bucket reader it is given, so tests run it in-process too.
import {
  BUCKET_COUNT,
  HASH_BYTES,
  appHashOf,
  bucketHashRaw,
  bucketOf,
  copyNode,
  entryHashRaw,
  rehashInnerNode,
} from './hash.js';
import { leafIndex, levelOf } from './tree.js';

/**
 * Nodes at depths ≥ CUT_DEPTH are re-hashed on every apply; the ones above at finish. 8
 * leaves 255 inner hashes for finish (~0.5 ms) while an apply of 9 keys costs ~72.
 */
export const CUT_DEPTH = 12;

/** Reads the committed (latin1 key → entry hash) pairs of a bucket into `into`. */
export type CommittedBucketReader = (bucket: number, into: Map<string, Uint8Array>) => void;

/** One write handed over: `value` null = deleted, undefined = no longer written by this block. */
export interface AppliedWrite {
  readonly key: Buffer;
  readonly value: Uint8Array | null | undefined;
}

/** What finish returns: the app hash, the changed tree nodes and every written key's entry hash. */
export interface BlockHash {
  readonly appHash: Uint8Array;
  /** Changed node indexes (heap order, node 1 = root) and their hashes, 32 bytes each. */
  readonly indexes: Int32Array;
  readonly hashes: Buffer;
  /** Number of keys this block writes (set or deleted). */
  readonly entryCount: number;
  /**
   * Every written key with its bucket and entry hash, packed (one transfer instead of a
   * structured clone per key): u16be key length ‖ key ‖ u16be bucket ‖ u8 1 (set) + 32-byte
   * entry hash | u8 0 (deleted). See unpackEntries.
   */
  readonly entries: Uint8Array;
}

/** A written key's bucket and entry hash (null: deleted), from BlockHash.entries. */
export interface WrittenEntry {
  readonly bucket: number;
  readonly entryHash: Buffer | null;
}

/** Inverse of the packing of BlockHash.entries: latin1 key → its entry. */
export function unpackEntries(packed: Uint8Array): Map<string, WrittenEntry> {
  const bytes = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  const out = new Map<string, WrittenEntry>();
  let at = 0;
  while (at < bytes.length) {
    const keyLength = bytes.readUInt16BE(at);
    const slot = bytes.toString('latin1', at + 2, at + 2 + keyLength);
    at += 2 + keyLength;
    const bucket = bytes.readUInt16BE(at);
    const set = bytes[at + 2] === 1;
    at += 3;
    out.set(slot, { bucket, entryHash: set ? bytes.subarray(at, at + HASH_BYTES) : null });
    if (set) at += HASH_BYTES;
  }
  return out;
}

export class IncrementalHasher {
  private readonly readCommitted: CommittedBucketReader;
  /** The committed tree (2^17 nodes × 32 B, heap order), kept in step with commits. */
  private readonly committed: Buffer;
  /** The tree with this block's changes so far. */
  private readonly pending: Buffer;
  /**
   * Node indexes that differ between pending and committed (this block's): a flag per node and
   * the list of flagged ones (a Set of ~15,000 numbers per block cost ~10 % of this thread).
   */
  private readonly changedFlags = new Uint8Array(2 * BUCKET_COUNT);
  private readonly changed: number[] = [];
  /** This block's writes: latin1 key → entry hash (null: deleted). */
  private readonly writes = new Map<string, Buffer | null>();
  /** Written key → its bucket, computed once in apply (bucketOf is a sha256) and reused by finish. */
  private readonly bucketOfWrite = new Map<string, number>();
  /** Bucket → this block's written keys in it. */
  private readonly writtenIn = new Map<number, Set<string>>();
  /** Bucket → committed entries (read once per block: committed state does not change). */
  private readonly committedBuckets = new Map<number, Map<string, Uint8Array>>();
  /** Nodes at CUT_DEPTH whose subtree changed since the last finish. */
  private readonly topDirty = new Set<number>();
  private height: bigint | null = null;

  /** `committedTree`: the committed tree's nodes (BucketTree.copyNodes), copied. */
  constructor(committedTree: Buffer, readCommitted: CommittedBucketReader) {
    if (committedTree.length !== 2 * BUCKET_COUNT * HASH_BYTES) throw new RangeError('tree size');
    this.committed = Buffer.from(committedTree);
    this.pending = Buffer.from(committedTree);
    this.readCommitted = readCommitted;
  }

  /** Starts block `height` (drops any uncommitted block). */
  begin(height: bigint): void {
    this.discard();
    this.height = height;
  }

  /** Hands over final writes of the block so far and re-hashes their buckets up to CUT_DEPTH. */
  apply(writes: Iterable<AppliedWrite>): void {
    if (this.height === null) throw new Error('apply outside a block');
    const dirty = new Set<number>();
    for (const write of writes) {
      const slot = write.key.toString('latin1');
      const bucket = bucketOf(write.key);
      let inBucket = this.writtenIn.get(bucket);
      if (write.value === undefined) {
        this.writes.delete(slot);
        inBucket?.delete(slot);
      } else {
        this.writes.set(slot, write.value === null ? null : entryHashRaw(write.key, write.value));
        this.bucketOfWrite.set(slot, bucket);
        if (inBucket === undefined) this.writtenIn.set(bucket, (inBucket = new Set()));
        inBucket.add(slot);
      }
      dirty.add(bucket);
    }
    const parents = new Int32Array(dirty.size);
    let count = 0;
    for (const bucket of dirty) {
      const leaf = leafIndex(bucket);
      // TypedArray#set of a whole fresh hash: Buffer#copy's argument checks and view cost more
      // than the 32-byte copy itself (~14 % of the hashing thread, bench/RESULTS.md "app").
      this.pending.set(this.bucketHash(bucket), leaf * HASH_BYTES);
      this.markChanged(leaf);
      parents[count++] = leaf >> 1;
    }
    this.rehash(parents.sort(), CUT_DEPTH, this.topDirty);
  }

  /** The app hash of the block so far, the changed nodes and the written keys' entry hashes. */
  finish(): BlockHash {
    if (this.height === null) throw new Error('finish outside a block');
    const parents = Int32Array.from(this.topDirty, (index) => index >> 1).sort();
    this.topDirty.clear();
    if (parents.length > 0) this.rehash(parents, 0, null);
    const indexes = Int32Array.from(this.changed).sort();
    const hashes = Buffer.allocUnsafe(indexes.length * HASH_BYTES);
    for (let i = 0; i < indexes.length; i++) copyNode(this.pending, indexes[i] as number, hashes, i);
    const root = this.pending.subarray(HASH_BYTES, 2 * HASH_BYTES);
    let size = 0;
    for (const [slot, hash] of this.writes) size += 2 + slot.length + 3 + (hash === null ? 0 : HASH_BYTES);
    const entries = Buffer.allocUnsafeSlow(size);
    let at = 0;
    for (const [slot, hash] of this.writes) {
      at = entries.writeUInt16BE(slot.length, at);
      at += entries.write(slot, at, 'latin1');
      at = entries.writeUInt16BE(this.bucketOfWrite.get(slot) ?? bucketOfSlot(slot), at);
      entries[at++] = hash === null ? 0 : 1;
      if (hash !== null) at += hash.copy(entries, at);
    }
    return {
      appHash: appHashOf(this.height, root),
      indexes,
      hashes,
      entryCount: this.writes.size,
      entries,
    };
  }

  /** The block is durably committed: its tree becomes the committed one. */
  commit(): void {
    for (const index of this.changed) copyNode(this.pending, index, this.committed, index);
    this.reset();
  }

  private markChanged(index: number): void {
    if (this.changedFlags[index] === 1) return;
    this.changedFlags[index] = 1;
    this.changed.push(index);
  }

  /** Drops the block's changes. */
  discard(): void {
    for (const index of this.changed) copyNode(this.committed, index, this.pending, index);
    this.reset();
  }

  private reset(): void {
    for (const index of this.changed) this.changedFlags[index] = 0;
    this.changed.length = 0;
    this.writes.clear();
    this.bucketOfWrite.clear();
    this.writtenIn.clear();
    this.committedBuckets.clear();
    this.topDirty.clear();
    this.height = null;
  }

  /** Hash of `bucket` now: its committed entries overlaid with this block's writes, key order. */
  private bucketHash(bucket: number): Buffer {
    let committed = this.committedBuckets.get(bucket);
    if (committed === undefined) {
      committed = new Map();
      // An empty committed leaf is an empty bucket: no read (as Store.prepare).
      if (!isEmptyLeaf(this.committed, leafIndex(bucket))) this.readCommitted(bucket, committed);
      this.committedBuckets.set(bucket, committed);
    }
    const written = this.writtenIn.get(bucket);
    // The bucket's entries now: committed ones this block does not write, then the written
    // ones still set (no merged Map per hash: most buckets hold one or two entries).
    const slots: string[] = [];
    const hashes = new Map<string, Uint8Array>();
    for (const [slot, hash] of committed) {
      if (written !== undefined && written.has(slot)) continue;
      slots.push(slot);
      hashes.set(slot, hash);
    }
    if (written !== undefined) {
      for (const slot of written) {
        const hash = this.writes.get(slot);
        if (hash === null || hash === undefined) continue;
        slots.push(slot);
        hashes.set(slot, hash);
      }
    }
    // latin1 strings sort in byte order: the key order of the formula.
    if (slots.length > 1) slots.sort();
    return bucketHashRaw(slots.map((slot) => hashes.get(slot) as Uint8Array));
  }

  /**
   * Re-hashes the given inner nodes and their ancestors, level by level, up to depth
   * `minDepth` inclusive; the nodes hashed at minDepth are added to `reached` when given.
   */
  private rehash(start: Int32Array, minDepth: number, reached: Set<number> | null): void {
    // `start` is sorted and on one level; so is each level of parents, so a parent repeats
    // only right after itself (no Set to make them unique).
    let level = start;
    let count = start.length;
    while (count > 0) {
      const next = new Int32Array(count);
      let distinct = 0;
      let previous = -1;
      for (let i = 0; i < count; i++) {
        const index = level[i] as number;
        if (index === previous) continue;
        previous = index;
        rehashInnerNode(this.pending, index);
        this.markChanged(index);
        next[distinct++] = index >> 1;
      }
      if (levelOf(level[0] as number) <= minDepth) {
        if (reached !== null) for (let i = 0; i < count; i++) reached.add(level[i] as number);
        return;
      }
      if ((level[0] as number) <= 1) return;
      level = next;
      count = distinct;
    }
  }
}

function bucketOfSlot(slot: string): number {
  return bucketOf(Buffer.from(slot, 'latin1'));
}

function isEmptyLeaf(tree: Buffer, index: number): boolean {
  return tree.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES).equals(EMPTY_LEAF);
}

const EMPTY_LEAF = bucketHashRaw([]);
