// The bucket tree in memory: 2^17 - 1 node hashes (4 MiB) in one heap-ordered array, node 1
// the root and node 65,536 + b the hash of bucket b. The store persists only the bucket
// hashes (leaves), inside each block's commit transaction, and rebuilds the 65,535 inner
// nodes at open (~0.4 s CPU, bench/RESULTS.md). A block costs 16 inner hashes per touched
// bucket (fewer near the root, where paths share nodes) instead of a pass over the state,
// and writes one 32-byte leaf per touched bucket instead of every changed node (≈ 5 more
// per bucket for 2,000-write blocks, 16 for a 1-write block; ADR 005).
import { BUCKET_COUNT, EMPTY_SUBTREE, HASH_BYTES, TREE_DEPTH, bytesEqual, innerHash } from './hash.js';

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
  private readonly nodes = new Uint8Array(2 * BUCKET_COUNT * HASH_BYTES);

  /** A tree whose buckets are all empty. */
  constructor() {
    for (let index = 1; index < 2 * BUCKET_COUNT; index++) {
      this.nodes.set(emptyNode(index), index * HASH_BYTES);
    }
  }

  /** The hash of node `index` (a copy). */
  node(index: number): Uint8Array {
    return this.nodes.slice(index * HASH_BYTES, (index + 1) * HASH_BYTES);
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
   * every ancestor up to the root. Pure: the tree is not modified (apply the result with
   * setNode after the block is durably committed).
   */
  update(bucketHashes: ReadonlyMap<number, Uint8Array>): Map<number, Uint8Array> {
    const changed = new Map<number, Uint8Array>();
    let frontier = new Set<number>();
    for (const [bucket, hash] of bucketHashes) {
      changed.set(leafIndex(bucket), hash);
      frontier.add(leafIndex(bucket) >> 1);
    }
    while (frontier.size > 0) {
      const parents = new Set<number>();
      for (const index of frontier) {
        const left = changed.get(2 * index) ?? this.view(2 * index);
        const right = changed.get(2 * index + 1) ?? this.view(2 * index + 1);
        changed.set(index, innerHash(left, right));
        if (index > 1) parents.add(index >> 1);
      }
      frontier = parents;
    }
    return changed;
  }

  /** Recomputes every inner node from the leaves (after loading the leaves at open). */
  rebuild(): void {
    for (let index = BUCKET_COUNT - 1; index >= 1; index--) {
      this.setNode(index, innerHash(this.view(2 * index), this.view(2 * index + 1)));
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
