// The app-hash commitment (docs/adr/005-store-and-app-hash.md). Pure functions only: the
// store, the proof verifier and the tests compute every hash through this file, and any two
// honest nodes must get identical bytes from it.
//
//   bucket(key)      = first 2 bytes of sha256(key), big-endian (0..65535)
//   entryHash(k, v)  = sha256(0x00 || u32be(len k) || k || u32be(len v) || v)
//   bucketHash(B)    = sha256(0x01 || entryHash_1 || ... || entryHash_n), entries of bucket B
//                      in ascending byte order of their keys (an empty bucket: sha256(0x01))
//   innerHash(l, r)  = sha256(0x02 || l || r)
//   root             = 16-level binary tree over the 65,536 bucket hashes (bucket b is leaf b)
//   appHash(h, root) = sha256(0x03 || u64be(h) || root)
//
// The one-byte tags keep the four kinds of preimage apart (an entry can never be read as an
// inner node, RFC 6962 §2.1 uses the same idea with 0x00/0x01).
import { createHash, hash as nodeOneShotHash } from 'node:crypto';
import sodium from 'sodium-native';

/**
 * Up to this many bytes libsodium's one-shot SHA-256 is the cheaper call, above it OpenSSL's:
 * libsodium hashes in portable C (~5 ns/byte) after a ~0.35 µs call, OpenSSL uses the CPU's SHA
 * extensions after a ~0.9 µs call (the `crypto.hash` wrapper and its Buffer). Measured on this
 * machine with a pooled 32-byte result each: 97 B 1,002 vs 684 ns, 160 B 897 vs 851, 192 B 988
 * vs 1,066 (bench/RESULTS.md "app", session 5 helper "cpu"). Every preimage the store hashes per
 * write (a key, an entry of a short value, a one- or two-entry bucket, an inner node) is shorter.
 */
const SODIUM_MAX_BYTES = 160;

/** OpenSSL's one-shot SHA-256 (`crypto.hash`, Node ≥ 20.12; createHash where it is absent). */
const opensslSha256: (data: Uint8Array) => Buffer =
  typeof nodeOneShotHash === 'function'
    ? (data) => nodeOneShotHash('sha256', data, 'buffer')
    : (data) => createHash('sha256').update(data).digest();

/**
 * SHA-256 (FIPS 180-4) of `data` written into `out` (exactly 32 bytes), with no allocation for
 * short inputs: the store hashes ~50 small preimages per transfer (bench/RESULTS.md "app"), all
 * built here from checked bytes, so the per-call overhead is most of the cost. Both libraries
 * compute the same function; only the speed differs.
 */
function sha256Into(out: Uint8Array, data: Uint8Array): void {
  // sodium-native's typings say Buffer; at run time it takes any typed array (no copy).
  if (data.length <= SODIUM_MAX_BYTES) sodium.crypto_hash_sha256(out as Buffer, data as Buffer);
  else out.set(opensslSha256(data));
}

/**
 * SHA-256 as a Buffer of its own: a 32-byte slice of Node's Buffer pool (a fresh Uint8Array
 * would cost its own ArrayBuffer, ~0.4 µs more per hash in V8).
 */
function rawSha256(data: Uint8Array): Buffer {
  if (data.length > SODIUM_MAX_BYTES) return opensslSha256(data);
  const out = Buffer.allocUnsafe(HASH_BYTES);
  sodium.crypto_hash_sha256(out, data as Buffer);
  return out;
}

/** Scratch digest for hashes that are read or copied right away (one per thread: module state). */
const scratchDigest = Buffer.alloc(32);

/** SHA-256 as a plain Uint8Array (public results compare equal to other layers' bytes). */
function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(rawSha256(data));
}

/** Depth of the bucket tree: 2^16 leaves. */
export const TREE_DEPTH = 16;
/** Number of buckets (leaves). */
export const BUCKET_COUNT = 1 << TREE_DEPTH;

/**
 * The LMDB key range of one bucket's entries in the `index` sub-database (keys are the bucket
 * as u16 BE followed by the entry key); the last bucket's range is open-ended.
 */
export function bucketIndexRange(bucket: number): { start: Buffer; end?: Buffer } {
  const start = Buffer.allocUnsafe(2);
  start.writeUInt16BE(bucket);
  if (bucket + 1 >= BUCKET_COUNT) return { start };
  const end = Buffer.allocUnsafe(2);
  end.writeUInt16BE(bucket + 1);
  return { start, end };
}
/** Bytes of every hash in the commitment. */
export const HASH_BYTES = 32;

const TAG_ENTRY = 0x00;
const TAG_BUCKET = 0x01;
const TAG_INNER = 0x02;
const TAG_APP = 0x03;

/** Largest height the app hash can encode (u64). */
export const MAX_HEIGHT = (1n << 64n) - 1n;

/** The bucket (0..65535) of `key`: the first two bytes of sha256(key), big-endian. */
export function bucketOf(key: Uint8Array): number {
  sha256Into(scratchDigest, key);
  return ((scratchDigest[0] as number) << 8) | (scratchDigest[1] as number);
}

/** sha256(0x00 || u32be(len key) || key || u32be(len value) || value): one (key, value) entry. */
export function entryHash(key: Uint8Array, value: Uint8Array): Uint8Array {
  return new Uint8Array(entryHashRaw(key, value));
}

/** entryHash as a Buffer (no copy), for the store's own use. */
export function entryHashRaw(key: Uint8Array, value: Uint8Array): Buffer {
  const length = 1 + 4 + key.length + 4 + value.length;
  // Short preimages are built in a scratch buffer (hashed before returning); long ones (code)
  // get their own.
  const buffer = length <= SODIUM_MAX_BYTES ? scratchPreimage : Buffer.allocUnsafe(length);
  buffer[0] = TAG_ENTRY;
  buffer.writeUInt32BE(key.length, 1);
  buffer.set(key, 5);
  buffer.writeUInt32BE(value.length, 5 + key.length);
  buffer.set(value, 9 + key.length);
  return rawSha256(length <= SODIUM_MAX_BYTES ? scratchPreimageView(length) : buffer);
}

/**
 * sha256(0x01 || entry hashes...) over one bucket's entry hashes, which the caller must give
 * in ascending byte order of their keys (the order fixes the hash; see compareBytes).
 */
export function bucketHash(entryHashes: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(bucketHashRaw(entryHashes));
}

/** bucketHash as a Buffer (no copy), for the store's own use. */
export function bucketHashRaw(entryHashes: readonly Uint8Array[]): Buffer {
  const length = 1 + HASH_BYTES * entryHashes.length;
  const buffer = length <= SODIUM_MAX_BYTES ? scratchPreimage : Buffer.allocUnsafe(length);
  buffer[0] = TAG_BUCKET;
  for (let index = 0; index < entryHashes.length; index++) {
    buffer.set(entryHashes[index] as Uint8Array, 1 + index * HASH_BYTES);
  }
  return rawSha256(length <= SODIUM_MAX_BYTES ? scratchPreimageView(length) : buffer);
}

// One scratch preimage for inner nodes: sha256 is synchronous and reads it before returning,
// and the tree hashes 65,535 of them at every open.
const innerPreimage = Buffer.alloc(1 + 2 * HASH_BYTES);

// One scratch preimage for short entries and buckets (≤ SODIUM_MAX_BYTES), with a view per
// length made once: hashed before the building function returns, like innerPreimage.
const scratchPreimage = Buffer.alloc(SODIUM_MAX_BYTES);
const scratchViews: Buffer[] = [];
function scratchPreimageView(length: number): Buffer {
  return (scratchViews[length] ??= scratchPreimage.subarray(0, length));
}

/** sha256(0x02 || left || right): an inner node of the bucket tree. */
export function innerHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return new Uint8Array(innerHashRaw(left, right));
}

/** innerHash as a Buffer (no copy), for the tree's own use. */
export function innerHashRaw(left: Uint8Array, right: Uint8Array): Buffer {
  innerPreimage[0] = TAG_INNER;
  innerPreimage.set(left, 1);
  innerPreimage.set(right, 1 + HASH_BYTES);
  return rawSha256(innerPreimage);
}

/**
 * Re-hashes inner node `index` of a heap-ordered tree of 32-byte nodes in place: node `index`
 * = innerHash(node 2·index, node 2·index + 1). No allocation: a byte loop copies the 64 child
 * bytes (Buffer#copy's argument checks cost ~3× more for 64 bytes) and the digest goes through
 * a scratch buffer.
 */
export function rehashInnerNode(nodes: Uint8Array, index: number): void {
  innerPreimage[0] = TAG_INNER;
  const from = 2 * index * HASH_BYTES;
  for (let i = 0; i < 2 * HASH_BYTES; i++) innerPreimage[1 + i] = nodes[from + i] as number;
  sodium.crypto_hash_sha256(scratchDigest, innerPreimage);
  nodes.set(scratchDigest, index * HASH_BYTES);
}

/**
 * Copies node `index` (32 bytes) of `from` into node `toIndex` of `to` with a byte loop (see
 * rehashInnerNode: no view, no argument checks).
 */
export function copyNode(from: Uint8Array, index: number, to: Uint8Array, toIndex: number): void {
  const source = index * HASH_BYTES;
  const target = toIndex * HASH_BYTES;
  for (let i = 0; i < HASH_BYTES; i++) to[target + i] = from[source + i] as number;
}

/** sha256(0x03 || u64be(height) || root): the app hash after block `height`. */
export function appHashOf(height: bigint, root: Uint8Array): Uint8Array {
  if (height < 0n || height > MAX_HEIGHT) throw new RangeError('height must be a u64');
  const buffer = new Uint8Array(1 + 8 + HASH_BYTES);
  buffer[0] = TAG_APP;
  new DataView(buffer.buffer).setBigUint64(1, height);
  buffer.set(root, 9);
  return sha256(buffer);
}

/**
 * EMPTY_SUBTREE[level] is the hash of a subtree whose buckets are all empty, with level 16 the
 * buckets themselves and level 0 the root. The store keeps only nodes that differ from these.
 */
export const EMPTY_SUBTREE: readonly Uint8Array[] = (() => {
  const levels: Uint8Array[] = new Array<Uint8Array>(TREE_DEPTH + 1);
  let hash = bucketHash([]);
  levels[TREE_DEPTH] = hash;
  for (let level = TREE_DEPTH - 1; level >= 0; level--) {
    hash = innerHash(hash, hash);
    levels[level] = hash;
  }
  return levels;
})();

/** Root of the tree when every bucket is empty. */
export const EMPTY_ROOT: Uint8Array = EMPTY_SUBTREE[0] as Uint8Array;

/** App hash of the empty state at height 0 (before genesis is committed). */
export const GENESIS_APP_HASH: Uint8Array = appHashOf(0n, EMPTY_ROOT);

/** Lexicographic byte order (shorter prefix first), the order LMDB keeps binary keys in. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const difference = (a[i] as number) - (b[i] as number);
    if (difference !== 0) return difference;
  }
  return a.length - b.length;
}

/** Equality of two byte arrays (not constant time: hashes here are public). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Root over the bucket hashes of a whole state (bucket -> hash; missing = empty), from
 * scratch. Hashes only subtrees holding a non-empty bucket (empty ones are EMPTY_SUBTREE):
 * O(non-empty buckets × 16). For recomputation and tests, never on the per-block path.
 */
export function rootOfBuckets(bucketHashes: ReadonlyMap<number, Uint8Array>): Uint8Array {
  let level = new Map<number, Uint8Array>(bucketHashes);
  for (let depth = TREE_DEPTH; depth > 0; depth--) {
    const empty = EMPTY_SUBTREE[depth] as Uint8Array;
    const parents = new Map<number, Uint8Array>();
    for (const index of [...level.keys()].sort((a, b) => a - b)) {
      const parent = index >> 1;
      if (parents.has(parent)) continue;
      const left = level.get(2 * parent) ?? empty;
      const right = level.get(2 * parent + 1) ?? empty;
      parents.set(parent, innerHash(left, right));
    }
    level = parents;
  }
  return level.get(0) ?? EMPTY_ROOT;
}

/** One entry of a bucket inside a proof: the key and the hash of its (key, value) entry. */
export interface ProofEntry {
  readonly key: Uint8Array;
  readonly entryHash: Uint8Array;
}

/**
 * Proof that a key has a value (or none) in the state committed by an app hash: every entry
 * of the key's bucket (so absence is provable too) and the 16 sibling hashes on the path from
 * that bucket to the root, leaf level first.
 */
export interface StoreProof {
  readonly height: bigint;
  readonly bucket: number;
  readonly entries: readonly ProofEntry[];
  readonly siblings: readonly Uint8Array[];
}

/**
 * Checks `proof` against `appHash` for `key` having `value` (or being absent when `value` is
 * null). Returns false on any mismatch or malformed proof; never throws on bad proof data.
 */
export function verifyProof(
  appHash: Uint8Array,
  key: Uint8Array,
  value: Uint8Array | null,
  proof: StoreProof,
): boolean {
  if (proof.siblings.length !== TREE_DEPTH) return false;
  if (!Number.isInteger(proof.bucket) || proof.bucket < 0 || proof.bucket >= BUCKET_COUNT) return false;
  if (typeof proof.height !== 'bigint' || proof.height < 0n || proof.height > MAX_HEIGHT) return false;
  if (bucketOf(key) !== proof.bucket) return false;
  let found: ProofEntry | undefined;
  for (let i = 0; i < proof.entries.length; i++) {
    const entry = proof.entries[i] as ProofEntry;
    if (entry.entryHash.length !== HASH_BYTES) return false;
    // Strictly ascending keys, all in this bucket: the prover cannot hide or reorder entries.
    if (i > 0 && compareBytes((proof.entries[i - 1] as ProofEntry).key, entry.key) >= 0) return false;
    if (bucketOf(entry.key) !== proof.bucket) return false;
    if (bytesEqual(entry.key, key)) found = entry;
  }
  if (value === null ? found !== undefined : found === undefined) return false;
  if (value !== null && found !== undefined && !bytesEqual(found.entryHash, entryHash(key, value)))
    return false;
  let hash = bucketHash(proof.entries.map((entry) => entry.entryHash));
  let index = proof.bucket;
  for (const sibling of proof.siblings) {
    if (sibling.length !== HASH_BYTES) return false;
    hash = (index & 1) === 0 ? innerHash(hash, sibling) : innerHash(sibling, hash);
    index >>= 1;
  }
  return bytesEqual(appHashOf(proof.height, hash), appHash);
}
