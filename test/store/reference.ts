// An independent, deliberately naive implementation of the app-hash formula of
// docs/adr/005-store-and-app-hash.md, straight from the ADR with node:crypto, sharing no code
// with src/store. Tests compare the store's incremental hash against it.
import { createHash } from 'node:crypto';

function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** Model of a state: hex(key) -> value. */
export type StateModel = Map<string, Uint8Array>;

/** The app hash of `state` after block `height`, computed from scratch. */
export function referenceAppHash(height: bigint, state: StateModel): Uint8Array {
  const buckets = new Map<number, Buffer[]>();
  const keys = [...state.keys()].map((hex) => Buffer.from(hex, 'hex')).sort((x, y) => Buffer.compare(x, y));
  for (const key of keys) {
    const digest = sha256(key);
    const bucket = digest.readUInt16BE(0);
    const value = state.get(key.toString('hex')) as Uint8Array;
    const entry = sha256(Buffer.of(0), u32(key.length), key, u32(value.length), value);
    buckets.set(bucket, [...(buckets.get(bucket) ?? []), entry]);
  }
  // Full 65,536-leaf tree, level by level. Only shortcut: a parent of two empty subtrees is
  // the (memoized) empty subtree of the next level, computed with the same formula.
  const emptyBucket = sha256(Buffer.of(1));
  let level: Buffer[] = [];
  for (let bucket = 0; bucket < 65536; bucket++) {
    const entries = buckets.get(bucket);
    level.push(entries === undefined ? emptyBucket : sha256(Buffer.of(1), ...entries));
  }
  let empty = emptyBucket;
  while (level.length > 1) {
    const emptyParent = sha256(Buffer.of(2), empty, empty);
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i] as Buffer;
      const right = level[i + 1] as Buffer;
      next.push(left === empty && right === empty ? emptyParent : sha256(Buffer.of(2), left, right));
    }
    level = next;
    empty = emptyParent;
  }
  const heightBytes = Buffer.alloc(8);
  heightBytes.writeBigUInt64BE(height);
  return new Uint8Array(sha256(Buffer.of(3), heightBytes, level[0] as Buffer));
}
