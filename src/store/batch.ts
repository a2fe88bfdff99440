// One block's pending writes, kept in memory until commit (so readers of the store keep
// seeing the last committed height while the block executes) and journaled so nested
// checkpoints can revert a failed transaction's writes while its fee stays.
import { StoreError } from './errors.js';
import { checkKey, checkMetaName, checkValue, slotOf, type Pending } from './limits.js';
import type { TreeUpdate } from './tree.js';

/** What a batch needs from its store (implemented by Store; internal, not exported). */
export interface BatchHost {
  readCommitted(key: Uint8Array): Uint8Array | undefined;
  readCommittedMeta(name: string): Uint8Array | undefined;
  committedEntries(start: Uint8Array | undefined, end: Uint8Array | undefined): Iterable<Entry>;
  prepare(height: bigint, writes: readonly Pending[], streamed: boolean): PreparedCommit;
  /** As prepare, waiting for the background hasher without blocking the event loop (optional). */
  prepareAsync?(height: bigint, writes: readonly Pending[], streamed: boolean): Promise<PreparedCommit>;
  /**
   * Receives the data slots written since the last call, once no checkpoint is open (their
   * values are then final unless a later write changes them): background hashing
   * (incremental.ts). `value` undefined = the slot is no longer written by the batch.
   */
  stream?(height: bigint, writes: ReadonlyArray<{ slot: string; pending: Pending | undefined }>): void;
  persist(height: bigint, metaWrites: readonly Pending[], prepared: PreparedCommit): void;
  finish(batch: BlockBatch): void;
}

/** The result of hashing a batch: the app hash, the tree nodes and the data rows that change. */
export interface PreparedCommit {
  readonly appHash: Uint8Array;
  readonly nodes: TreeUpdate;
  readonly dataWrites: readonly PreparedWrite[];
}

/** One data write ready for LMDB: its `data` and `index` rows (value/entryHash null = delete). */
export interface PreparedWrite {
  readonly key: Buffer;
  readonly indexKey: Buffer;
  readonly value: Uint8Array | null;
  readonly entryHash: Uint8Array | null;
}

/** A (key, value) pair of the state. */
export interface Entry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** Key range for iteration: `start` inclusive, `end` exclusive, both optional. */
export interface KeyRange {
  readonly start?: Uint8Array;
  readonly end?: Uint8Array;
}

/** Opaque handle of a savepoint inside a batch; see BlockBatch.checkpoint. */
export interface Checkpoint {
  /** Nesting depth of this checkpoint (1 = outermost). */
  readonly depth: number;
}

/**
 * Fewest written slots handed to the background hasher at once (when no checkpoint is open):
 * each hand-over is a message that wakes the worker (~40 µs on the main thread measured under
 * load), and a key rewritten within one hand-over (the fee collector's balance, once per tx)
 * is hashed once. ~28 transfers' writes; the last group is hashed after hash() is called.
 */
const STREAM_MIN_SLOTS = 256;

interface CheckpointState extends Checkpoint {
  readonly journalLength: number;
}

interface JournalEntry {
  readonly slot: string;
  readonly previous: Pending | undefined;
}

/**
 * The writes of block `height`, in memory until {@link BlockBatch.commit}. Obtain one from
 * `Store.beginBlock`. Reads see this batch's own writes over the last committed state.
 * All methods are synchronous.
 */
export class BlockBatch {
  readonly height: bigint;
  private readonly host: BatchHost;
  private readonly writes = new Map<string, Pending>();
  private readonly journal: JournalEntry[] = [];
  private readonly checkpoints: CheckpointState[] = [];
  private prepared: PreparedCommit | undefined;
  /** Writes so far (hashAsync notices a write made while it waited). */
  private writeCount = 0;
  private finished = false;
  /** Data slots written since the last stream (only when the host streams). */
  private readonly dirty: Set<string> | null;

  /** @internal Use Store.beginBlock. */
  constructor(host: BatchHost, height: bigint, streaming = false) {
    this.host = host;
    this.height = height;
    this.dirty = streaming && host.stream !== undefined ? new Set() : null;
  }

  /** True when this batch streams its writes to the store's background hasher. */
  get isStreaming(): boolean {
    return this.dirty !== null;
  }

  /** True once committed or discarded. */
  get isFinished(): boolean {
    return this.finished;
  }

  /** Number of distinct keys (data and metadata) this batch writes or deletes. */
  get size(): number {
    return this.writes.size;
  }

  /**
   * The value of `key` as this block sees it: its own latest write, else the committed value.
   * @returns a copy, or undefined when absent or deleted.
   * @throws StoreError INVALID_KEY, BATCH_FINISHED, CLOSED
   */
  get(key: Uint8Array): Uint8Array | undefined {
    checkKey(key);
    this.assertOpen();
    const pending = this.writes.get(slotOf('d', key));
    if (pending !== undefined) return pending.value === null ? undefined : copyOut(pending.value);
    return this.host.readCommitted(key);
  }

  /**
   * Sets `key` to `value` (both copied) in this block.
   * @throws StoreError INVALID_KEY, INVALID_VALUE, BATCH_FINISHED
   */
  set(key: Uint8Array, value: Uint8Array): void {
    checkKey(key);
    checkValue(value);
    this.assertOpen();
    this.write(slotOf('d', key), { kind: 'd', key: ownCopy(key), value: ownCopy(value) });
  }

  /**
   * Deletes `key` in this block (a no-op on the state if it is absent).
   * @throws StoreError INVALID_KEY, BATCH_FINISHED
   */
  delete(key: Uint8Array): void {
    checkKey(key);
    this.assertOpen();
    this.write(slotOf('d', key), { kind: 'd', key: ownCopy(key), value: null });
  }

  /**
   * Entries of the state as this block sees it, in ascending key order, within `range`.
   * Collects the batch's writes in range first (O(writes)), then merges them with a committed
   * range scan; do not write to the batch while iterating.
   * @throws StoreError BATCH_FINISHED, CLOSED
   */
  *entries(range: KeyRange = {}): Generator<Entry> {
    this.assertOpen();
    const start = range.start === undefined ? undefined : latin1(range.start);
    const end = range.end === undefined ? undefined : latin1(range.end);
    const pending = [...this.writes.entries()]
      .filter(([slot, write]) => write.kind === 'd' && inRange(slot.slice(1), start, end))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    let next = 0;
    for (const committed of this.host.committedEntries(range.start, range.end)) {
      const committedSlot = slotOf('d', committed.key);
      while (next < pending.length && (pending[next] as [string, Pending])[0] <= committedSlot) {
        const [slot, write] = pending[next] as [string, Pending];
        next++;
        if (write.value !== null) yield { key: copyOut(write.key), value: copyOut(write.value) };
        if (slot === committedSlot) continue;
      }
      if (this.writes.has(committedSlot)) continue;
      yield committed;
    }
    for (; next < pending.length; next++) {
      const write = (pending[next] as [string, Pending])[1];
      if (write.value !== null) yield { key: copyOut(write.key), value: copyOut(write.value) };
    }
  }

  /**
   * Metadata `name` as this block sees it. Metadata is stored atomically with the block but
   * is NOT part of the app hash (see docs/adr/005).
   * @throws StoreError INVALID_KEY, BATCH_FINISHED, CLOSED
   */
  getMeta(name: string): Uint8Array | undefined {
    checkMetaName(name);
    this.assertOpen();
    const pending = this.writes.get(slotOf('m', name));
    if (pending !== undefined) return pending.value === null ? undefined : copyOut(pending.value);
    return this.host.readCommittedMeta(name);
  }

  /**
   * Sets metadata `name` (not hashed; committed with the block).
   * @throws StoreError INVALID_KEY, INVALID_VALUE, BATCH_FINISHED
   */
  setMeta(name: string, value: Uint8Array): void {
    checkMetaName(name);
    checkValue(value);
    this.assertOpen();
    this.write(slotOf('m', name), { kind: 'm', key: Buffer.from(name, 'utf8'), value: ownCopy(value) });
  }

  /**
   * Deletes metadata `name`.
   * @throws StoreError INVALID_KEY, BATCH_FINISHED
   */
  deleteMeta(name: string): void {
    checkMetaName(name);
    this.assertOpen();
    this.write(slotOf('m', name), { kind: 'm', key: Buffer.from(name, 'utf8'), value: null });
  }

  /**
   * Opens a savepoint. Writes after it can be undone with revert(cp) or kept with release(cp).
   * Checkpoints nest like a stack: only the innermost open one may be reverted or released.
   * @throws StoreError BATCH_FINISHED
   */
  checkpoint(): Checkpoint {
    this.assertOpen();
    const checkpoint: CheckpointState = {
      depth: this.checkpoints.length + 1,
      journalLength: this.journal.length,
    };
    this.checkpoints.push(checkpoint);
    return checkpoint;
  }

  /**
   * Undoes every write (data and metadata) made since `checkpoint` and closes it.
   * @throws StoreError CHECKPOINT_INVALID when it is not the innermost open checkpoint; BATCH_FINISHED
   */
  revert(checkpoint: Checkpoint): void {
    const state = this.popCheckpoint(checkpoint, 'revert');
    while (this.journal.length > state.journalLength) {
      const entry = this.journal.pop() as JournalEntry;
      if (entry.previous === undefined) this.writes.delete(entry.slot);
      else this.writes.set(entry.slot, entry.previous);
    }
    this.prepared = undefined;
    this.trimJournal();
  }

  /**
   * Closes `checkpoint`, keeping its writes (they become part of the enclosing checkpoint,
   * or of the block when it was the outermost).
   * @throws StoreError CHECKPOINT_INVALID when it is not the innermost open checkpoint; BATCH_FINISHED
   */
  release(checkpoint: Checkpoint): void {
    this.popCheckpoint(checkpoint, 'release');
    this.trimJournal();
  }

  /**
   * The app hash the state will have once this block commits (ABCI FinalizeBlock returns it
   * before Commit). Cached until the next write; commit() reuses it.
   * @throws StoreError CHECKPOINT_OPEN, BATCH_FINISHED, CLOSED, CORRUPT
   */
  hash(): Uint8Array {
    return this.prepare().appHash.slice();
  }

  /**
   * As {@link hash}, but a store that hashes in the background waits for its worker without
   * blocking the event loop. The batch must not be written while the promise is pending (a write
   * in between is detected: the block is then hashed on this thread, with the same result).
   * @throws StoreError as hash
   */
  async hashAsync(): Promise<Uint8Array> {
    this.assertOpen();
    this.assertNoCheckpoint();
    if (this.prepared === undefined && this.dirty !== null && this.host.prepareAsync !== undefined) {
      this.stream();
      const writesBefore = this.writeCount;
      const prepared = await this.host.prepareAsync(
        this.height,
        [...this.writes.values()].filter((write) => write.kind === 'd'),
        true,
      );
      if (this.writeCount === writesBefore && !this.finished) this.prepared = prepared;
    }
    return this.hash();
  }

  /**
   * Writes every change, the new height and app hash in ONE synchronous, fsynced LMDB
   * transaction, then makes them visible to readers and finishes the batch.
   * @returns the new app hash
   * @throws StoreError CHECKPOINT_OPEN; HEIGHT_MISMATCH; BATCH_FINISHED; CLOSED; IO_ERROR (nothing
   *   was written, the batch stays open and commit may be retried)
   */
  commit(): Uint8Array {
    const prepared = this.prepare();
    const metaWrites = [...this.writes.values()].filter((write) => write.kind === 'm');
    this.host.persist(this.height, metaWrites, prepared);
    this.finished = true;
    this.host.finish(this);
    return prepared.appHash.slice();
  }

  /**
   * Drops the batch without writing anything (a block that will not be committed).
   * Idempotent.
   */
  discard(): void {
    if (this.finished) return;
    this.finished = true;
    this.writes.clear();
    this.journal.length = 0;
    this.host.finish(this);
  }

  private assertNoCheckpoint(): void {
    if (this.checkpoints.length > 0) {
      throw new StoreError(
        'CHECKPOINT_OPEN',
        `block ${this.height} has ${this.checkpoints.length} open checkpoint(s): release or revert them before hashing or committing`,
      );
    }
  }

  private prepare(): PreparedCommit {
    this.assertOpen();
    this.assertNoCheckpoint();
    this.stream();
    this.prepared ??= this.host.prepare(
      this.height,
      [...this.writes.values()].filter((write) => write.kind === 'd'),
      this.dirty !== null,
    );
    return this.prepared;
  }

  private write(slot: string, pending: Pending): void {
    // The journal is only needed while a checkpoint is open; at depth 0 nothing can revert.
    if (this.checkpoints.length > 0) this.journal.push({ slot, previous: this.writes.get(slot) });
    this.writes.set(slot, pending);
    if (pending.kind === 'd') this.dirty?.add(slot);
    this.prepared = undefined;
    this.writeCount++;
  }

  private popCheckpoint(checkpoint: Checkpoint, action: string): CheckpointState {
    this.assertOpen();
    const innermost = this.checkpoints[this.checkpoints.length - 1];
    if (innermost === undefined || innermost !== checkpoint) {
      throw new StoreError(
        'CHECKPOINT_INVALID',
        `cannot ${action} a checkpoint that is not the innermost open one of block ${this.height}`,
      );
    }
    this.checkpoints.pop();
    return innermost;
  }

  private trimJournal(): void {
    if (this.checkpoints.length === 0) {
      this.journal.length = 0;
      if (this.dirty !== null && this.dirty.size >= STREAM_MIN_SLOTS) this.stream();
    }
  }

  /** Hands the writes made since the last call to the host's background hasher. */
  private stream(): void {
    if (this.dirty === null || this.dirty.size === 0 || this.host.stream === undefined) return;
    const writes = [...this.dirty].map((slot) => ({ slot, pending: this.writes.get(slot) }));
    this.dirty.clear();
    this.host.stream(this.height, writes);
  }

  private assertOpen(): void {
    if (this.finished) {
      throw new StoreError(
        'BATCH_FINISHED',
        `block ${this.height} was already committed or discarded; begin a new block`,
      );
    }
  }
}

/** Range bounds converted once per scan (latin1: string order = byte order). */
function inRange(latin1Key: string, start: string | undefined, end: string | undefined): boolean {
  if (start !== undefined && latin1Key < start) return false;
  if (end !== undefined && latin1Key >= end) return false;
  return true;
}

/**
 * The batch's own copy of a caller's key or value: a slice of Node's Buffer pool (values up to
 * 4 KiB). A Uint8Array#slice of more than 64 bytes costs V8 an ArrayBuffer with its own backing
 * store (~0.4-0.8 µs, and GC work), and a smaller one, kept in the V8 heap, is moved out of it
 * the first time LMDB or Buffer.from reads its `buffer` (keys are written, hashed and packed).
 * Pending copies live until the block is committed; callers only ever get copyOut copies.
 */
function ownCopy(bytes: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  out.set(bytes);
  return out;
}

/** A caller's copy of pending bytes: a plain Uint8Array over its own ArrayBuffer, as before. */
function copyOut(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}
