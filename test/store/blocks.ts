// Deterministic test blocks: block h's writes are a pure function of h, so a process that
// only knows a height can replay the state that the store must hold at that height.
import { createHash } from 'node:crypto';
import type { BlockBatch } from '../../src/store/index.js';
import type { StateModel } from './reference.js';

/** A write, or a transaction (checkpoint) whose writes are reverted when it fails. */
export type BlockOp =
  | { readonly type: 'set'; readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly type: 'delete'; readonly key: Uint8Array }
  | { readonly type: 'tx'; readonly fails: boolean; readonly ops: readonly BlockOp[] };

/** A deterministic byte stream: sha256(seed || counter) blocks. */
class Stream {
  private buffer = Buffer.alloc(0);
  private counter = 0;
  constructor(private readonly seed: string) {}

  private take(n: number): Buffer {
    while (this.buffer.length < n) {
      const block = createHash('sha256').update(`${this.seed}/${this.counter++}`).digest();
      this.buffer = Buffer.concat([this.buffer, block]);
    }
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return Buffer.from(out);
  }

  int(bound: number): number {
    return this.take(4).readUInt32BE(0) % bound;
  }

  bytes(n: number): Uint8Array {
    return new Uint8Array(this.take(n));
  }
}

/** Parameters of the generated blocks. */
export interface BlockShape {
  /** Distinct keys the blocks draw from (small: blocks overwrite and delete existing keys). */
  readonly keySpace: number;
  /** Most top-level operations per block. */
  readonly maxOps: number;
}

export const DEFAULT_SHAPE: BlockShape = { keySpace: 2000, maxOps: 40 };

function keyOf(stream: Stream, shape: BlockShape): Uint8Array {
  const n = stream.int(shape.keySpace);
  // A few long keys and keys sharing prefixes exercise ordering inside buckets.
  const suffix = n % 17 === 0 ? '/' + 'x'.repeat(n % 300) : '';
  return new TextEncoder().encode(`key/${n}${suffix}`);
}

function ops(stream: Stream, shape: BlockShape, count: number, depth: number): BlockOp[] {
  const out: BlockOp[] = [];
  for (let i = 0; i < count; i++) {
    const roll = stream.int(100);
    if (roll < 10) {
      out.push({ type: 'delete', key: keyOf(stream, shape) });
    } else if (roll < 20 && depth < 3) {
      out.push({
        type: 'tx',
        fails: stream.int(3) === 0,
        ops: ops(stream, shape, 1 + stream.int(5), depth + 1),
      });
    } else {
      out.push({ type: 'set', key: keyOf(stream, shape), value: stream.bytes(stream.int(160)) });
    }
  }
  return out;
}

/** The operations of block `height`. */
export function blockOps(height: bigint, shape: BlockShape = DEFAULT_SHAPE): BlockOp[] {
  const stream = new Stream(`shroud-store-test-block/${height}`);
  return ops(stream, shape, 1 + stream.int(shape.maxOps), 0);
}

/** Executes `ops` on a batch, with a checkpoint per 'tx' (reverted when it fails). */
export function applyToBatch(batch: BlockBatch, list: readonly BlockOp[]): void {
  for (const op of list) {
    if (op.type === 'set') batch.set(op.key, op.value);
    else if (op.type === 'delete') batch.delete(op.key);
    else {
      const checkpoint = batch.checkpoint();
      applyToBatch(batch, op.ops);
      if (op.fails) batch.revert(checkpoint);
      else batch.release(checkpoint);
    }
  }
}

/** Executes `ops` on the model: what the state must be (failed transactions leave nothing). */
export function applyToModel(model: StateModel, list: readonly BlockOp[]): void {
  for (const op of list) {
    if (op.type === 'set') model.set(Buffer.from(op.key).toString('hex'), op.value);
    else if (op.type === 'delete') model.delete(Buffer.from(op.key).toString('hex'));
    else if (!op.fails) applyToModel(model, op.ops);
  }
}
