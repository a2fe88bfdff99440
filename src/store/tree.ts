// The bucket tree in memory: 2^17 - 1 node hashes (4 MiB) in one heap-ordered array, node 1
// the root and node 65,536 + b the hash of bucket b. The store persists only the bucket
// hashes (leaves), inside each block's commit transaction, and rebuilds the 65,535 inner
// nodes at open (~0.4 s CPU, bench/RESULTS.md). A block costs 16 inner hashes per touched
// bucket (fewer near the root, where paths share nodes) instead of a pass over the state,
// and writes one 32-byte leaf per touched bucket instead of every changed node (≈ 5 more
// per bucket for 2,000-write blocks, 16 for a 1-write block; ADR 005).
import {
  BUCKET_COUNT,
  EMPTY_SUBTREE,
  HASH_BYTES,
  TREE_DEPTH,
  bytesEqual,
  copyNode,
  innerHash,
  rehashInnerNode,
} from './hash.js';

/**
 * The nodes a block changes (see BucketTree.prepareUpdate): `indexes[i]`'s new hash is
 * `hashes[32 i .. 32 i + 32]`. Leaves first, then each level up to the root (index 1, last).
 */
export interface TreeUpdate {
  readonly indexes: Int32Array;
  readonly hashes: Buffer;
}

/** Node index of bucket `bucket`'s leaf. */
export function leafIndex(bucket: number): number {
  return BUCKET_COUNT + bucket;
}

/** Depth of node `index` (root = 0, buckets = 16). */
export function levelOf(index: number): number {
  return 31 - Math.clz32(index);
}

/** The default hash of node `index`: the hash of its subtree when all its buckets are empty. */
export function emptyNode(index: number): Uint8Array {
  return EMPTY_SUBTREE[levelOf(index)] as Uint8Array;
}

export class BucketTree {
  private readonly nodes = Buffer.alloc(2 * BUCKET_COUNT * HASH_BYTES);
  /** Scratch copy of `nodes` that prepareUpdate computes in (allocated on first use). */
  private work: Buffer | undefined;

  /** A tree whose buckets are all empty. */
  constructor() {
    for (let index = 1; index < 2 * BUCKET_COUNT; index++) {
      this.nodes.set(emptyNode(index), index * HASH_BYTES);
    }
  }

  /** The hash of node `index` (a copy). */
  node(index: number): Uint8Array {
    return new Uint8Array(this.nodes.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES));
  }

  /** A copy of every node (2^17 × 32 bytes, heap order) in its own ArrayBuffer. */
  copyNodes(): Uint8Array {
    return new Uint8Array(this.nodes);
  }

  /** A view of node `index` without copying; only for hashing it right away. */
  private view(index: number): Uint8Array {
    return this.nodes.subarray(index * HASH_BYTES, (index + 1) * HASH_BYTES);
  }

  root(): Uint8Array {
    return this.node(1);
  }

  /** True when bucket `bucket` currently hashes as empty. */
  isEmptyBucket(bucket: number): boolean {
    return bytesEqual(this.view(leafIndex(bucket)), EMPTY_SUBTREE[TREE_DEPTH] as Uint8Array);
  }

  /** Overwrites node `index` (loading from disk, applying a committed block). */
  setNode(index: number, hash: Uint8Array): void {
    this.nodes.set(hash, index * HASH_BYTES);
  }

  /**
   * The nodes that change when the given buckets get new hashes: the leaves themselves and
   * every ancestor up to the root, as a Map (tests and tools; the store uses prepareUpdate).
   * Pure: the tree is not modified.
   */
  update(bucketHashes: ReadonlyMap<number, Uint8Array>): Map<number, Uint8Array> {
    const { indexes, hashes } = this.prepareUpdate(bucketHashes);
    const changed = new Map<number, Uint8Array>();
    indexes.forEach((index, i) => {
      changed.set(index, new Uint8Array(hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES)));
    });
    return changed;
  }

  /**
   * Like update, in one pass over a scratch copy of the tree: per level, the sorted distinct
   * parents of the previous level's changed nodes are re-hashed from their (adjacent)
   * children. ~23,000 inner hashes for a 4,000-key block, with no per-node allocation but the
   * digest. Pure: apply the result with applyUpdate after the block is durably committed.
   */
  prepareUpdate(bucketHashes: ReadonlyMap<number, Uint8Array>): TreeUpdate {
    const work = (this.work ??= Buffer.alloc(this.nodes.length));
    this.nodes.copy(work);
    let level = new Int32Array(bucketHashes.size);
    let count = 0;
    for (const [bucket, hash] of bucketHashes) {
      const index = leafIndex(bucket);
      work.set(hash, index * HASH_BYTES);
      level[count++] = index;
    }
    const all: Int32Array[] = [level];
    let total = count;
    while (count > 0 && (level[0] as number) > 1) {
      const parents = new Int32Array(count);
      let distinct = 0;
      // Parents of a sorted level are sorted; the leaves arrive in map order, so sort them.
      if (all.length === 1) level.sort();
      for (let i = 0; i < count; i++) {
        const parent = (level[i] as number) >> 1;
        if (distinct > 0 && parents[distinct - 1] === parent) continue;
        parents[distinct++] = parent;
        rehashInnerNode(work, parent);
      }
      level = parents.subarray(0, distinct);
      count = distinct;
      all.push(level);
      total += distinct;
    }
    const indexes = new Int32Array(total);
    const hashes = Buffer.allocUnsafe(total * HASH_BYTES);
    let at = 0;
    for (const part of all) {
      for (const index of part) {
        indexes[at] = index;
        copyNode(work, index, hashes, at);
        at++;
      }
    }
    return { indexes, hashes };
  }

  /** Writes a prepared update into the tree (after its block is durably committed). */
  applyUpdate(update: TreeUpdate): void {
    const { indexes, hashes } = update;
    for (let i = 0; i < indexes.length; i++) copyNode(hashes, i, this.nodes, indexes[i] as number);
  }

  /** Recomputes every inner node from the leaves (after loading the leaves at open). */
  rebuild(): void {
    for (let index = BUCKET_COUNT - 1; index >= 1; index--) {
      rehashInnerNode(this.nodes, index);
    }
  }

  /** Sibling hashes on the path from bucket `bucket` to the root, leaf level first. */
  siblings(bucket: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let index = leafIndex(bucket); index > 1; index >>= 1) out.push(this.node(index ^ 1));
    return out;
  }

  /** Node indexes whose stored hash is not innerHash of their children (empty when consistent). */
  inconsistentNodes(): number[] {
    const bad: number[] = [];
    for (let index = BUCKET_COUNT - 1; index >= 1; index--) {
      if (!bytesEqual(this.view(index), innerHash(this.view(2 * index), this.view(2 * index + 1)))) {
        bad.push(index);
      }
    }
    return bad;
  }
}
