// Main-thread side of the store's hashing worker (docs/adr/005, "Background hashing").
//
// While a block executes, the batch streams each transaction's final data writes here (see
// BlockBatch: whenever no checkpoint is open); they go to the worker in one transferred
// buffer per transaction, and the worker hashes them on the other core (incremental.ts).
// `finish` then blocks the main thread (Atomics.wait) until the worker has caught up and
// answered with the app hash, the changed tree nodes and every written key's entry hash, so
// BlockBatch.hash() stays synchronous; `finishAsync` (BlockBatch.hashAsync, used by the app's
// finalizeBlock) waits with Atomics.waitAsync instead, so the event loop runs meanwhile. Any
// failure (worker not started yet, crashed, timed out, answer inconsistent with the batch)
// returns null and the store hashes the block itself: the worker only ever saves time, it
// never decides a hash alone.
//
// apply payload, per write: u16be key length ‖ key ‖ u8 kind (0 set, 1 delete, 2 no longer
// written) ‖ for kind 0: u32be value length ‖ value.
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { AppliedWrite, BlockHash } from './incremental.js';
import type { Pending } from './limits.js';
import { siblingModule, workerSource } from '../util/index.js';

/** workerData of hasher-worker.ts. */
export interface HasherWorkerData {
  readonly path: string;
  readonly port: MessagePort;
  readonly signal: SharedArrayBuffer;
}

export type HasherRequest =
  | { op: 'begin'; height: bigint; tree?: Uint8Array }
  | { op: 'apply'; packed: ArrayBuffer }
  | { op: 'finish'; id: number }
  | { op: 'commit' }
  | { op: 'discard' }
  | { op: 'close' };

type FinishAnswer = ({ id: number } & BlockHash) | { id: number; error: string };

const KIND_SET = 0;
const KIND_DELETE = 1;
const KIND_GONE = 2;

/** Packs streamed writes (slot = 'd' + latin1 key) into one transferable buffer. */
export function packWrites(
  writes: ReadonlyArray<{ slot: string; pending: Pending | undefined }>,
): ArrayBuffer {
  let size = 0;
  for (const { slot, pending } of writes) {
    size += 2 + (slot.length - 1) + 1;
    if (pending !== undefined && pending.value !== null) size += 4 + pending.value.length;
  }
  const out = Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (const { slot, pending } of writes) {
    const keyLength = slot.length - 1;
    out.writeUInt16BE(keyLength, at);
    // The pending write's key is the slot's bytes (limits.ts slotOf): copy them, no substring.
    if (pending !== undefined) out.set(pending.key, at + 2);
    else out.write(slot.slice(1), at + 2, keyLength, 'latin1');
    at += 2 + keyLength;
    if (pending === undefined) out[at++] = KIND_GONE;
    else if (pending.value === null) out[at++] = KIND_DELETE;
    else {
      out[at++] = KIND_SET;
      out.writeUInt32BE(pending.value.length, at);
      out.set(pending.value, at + 4);
      at += 4 + pending.value.length;
    }
  }
  return out.buffer;
}

/** Inverse of packWrites (views into `packed`). */
export function unpackWrites(packed: ArrayBuffer): AppliedWrite[] {
  const bytes = Buffer.from(packed);
  const out: AppliedWrite[] = [];
  let at = 0;
  while (at < bytes.length) {
    const keyLength = bytes.readUInt16BE(at);
    const key = bytes.subarray(at + 2, at + 2 + keyLength);
    at += 2 + keyLength;
    const kind = bytes[at++];
    if (kind === KIND_GONE) out.push({ key, value: undefined });
    else if (kind === KIND_DELETE) out.push({ key, value: null });
    else {
      const length = bytes.readUInt32BE(at);
      out.push({ key, value: bytes.subarray(at + 4, at + 4 + length) });
      at += 4 + length;
    }
  }
  return out;
}

/** How long finish waits for the worker before hashing on the main thread instead. */
const FINISH_TIMEOUT_MS = 30_000;
const WAIT_SLICE_MS = 50;

export class BackgroundHasher {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal: Int32Array;
  private readyFlag = false;
  private broken = false;
  private nextId = 1;
  /** Height of the committed tree the worker holds (null: it must be sent at the next begin). */
  private workerHeight: bigint | null = null;
  readonly ready: Promise<boolean>;

  constructor(path: string) {
    const [source, sourceOptions] = workerSource(siblingModule(import.meta.url, 'hasher-worker'));
    const channel = new MessageChannel();
    const signal = new SharedArrayBuffer(4);
    this.signal = new Int32Array(signal);
    this.port = channel.port1;
    const data: HasherWorkerData = { path, port: channel.port2, signal };
    this.worker = new Worker(source, {
      ...sourceOptions,
      workerData: data,
      transferList: [channel.port2],
      stdout: false,
      stderr: false,
    });
    // Answers are read synchronously (receiveMessageOnPort): the port needs no event loop.
    this.port.unref();
    this.ready = new Promise<boolean>((resolve) => {
      this.worker.once('message', (message: unknown) => {
        this.readyFlag = message === 'ready';
        // Once up, the worker must not keep a process alive on its own (closing the store
        // stops it; main only talks to it synchronously from here on).
        this.worker.unref();
        resolve(this.readyFlag);
      });
      this.worker.once('error', () => {
        this.broken = true;
        resolve(false);
      });
      this.worker.once('exit', () => {
        this.broken = true;
        resolve(false);
      });
    });
  }

  /** True when blocks can be hashed in the background now. */
  get usable(): boolean {
    return this.readyFlag && !this.broken;
  }

  /** Starts a block; `tree` gives the committed tree in case the worker's copy is stale. */
  begin(height: bigint, committedHeight: bigint, tree: () => Uint8Array): void {
    if (this.workerHeight === committedHeight) this.post({ op: 'begin', height });
    else {
      const copy = tree();
      this.post({ op: 'begin', height, tree: copy }, [copy.buffer as ArrayBuffer]);
      this.workerHeight = committedHeight;
    }
  }

  stream(writes: ReadonlyArray<{ slot: string; pending: Pending | undefined }>): void {
    const packed = packWrites(writes);
    this.post({ op: 'apply', packed }, [packed]);
  }

  /** The worker's hash of the block so far, or null (then the caller hashes it itself). */
  finish(): BlockHash | null {
    if (!this.usable) return null;
    const wait = this.askFinish();
    for (;;) {
      const step = this.pollFinish(wait);
      if ('done' in step) return step.done;
      Atomics.wait(this.signal, 0, step.waitOn, WAIT_SLICE_MS);
    }
  }

  /**
   * As {@link finish}, but waits with Atomics.waitAsync: the event loop keeps running (RPC,
   * gossip, checkTx) while the worker catches up, instead of the main thread blocking in
   * Atomics.wait (~50 ms per 500-transfer block on 2 busy cores, bench/RESULTS.md "app").
   */
  async finishAsync(): Promise<BlockHash | null> {
    if (!this.usable) return null;
    const wait = this.askFinish();
    for (;;) {
      if (this.broken) return null; // closed or crashed while we waited
      const step = this.pollFinish(wait);
      if ('done' in step) return step.done;
      const waited = Atomics.waitAsync(this.signal, 0, step.waitOn, WAIT_SLICE_MS);
      if (waited.async) {
        // A pending waitAsync does not keep the event loop alive (the worker and its port are
        // unref'd): a ref'd timer for the slice does, so the process cannot exit mid-block.
        const keepAlive = setTimeout(() => undefined, WAIT_SLICE_MS + 10);
        try {
          await waited.value;
        } finally {
          clearTimeout(keepAlive);
        }
      }
    }
  }

  /** Asks the worker for its hash; the answer's id and the wait slices it may take. */
  private askFinish(): { id: number; slicesLeft: number } {
    const id = this.nextId++;
    this.post({ op: 'finish', id });
    // The timeout only chooses who hashes (the answer is the same either way), so counting
    // wait slices is enough; no clock is read.
    return { id, slicesLeft: Math.ceil(FINISH_TIMEOUT_MS / WAIT_SLICE_MS) };
  }

  /**
   * One look for the answer to `wait.id`: `done` with the hash, or null when the worker failed
   * or the slices ran out (the caller hashes itself); else the signal value to wait on.
   */
  private pollFinish(wait: {
    id: number;
    slicesLeft: number;
  }): { done: BlockHash | null } | { waitOn: number } {
    for (;;) {
      // Read the signal before looking for the answer: the worker posts, then bumps it.
      const seen = Atomics.load(this.signal, 0);
      const received = receiveMessageOnPort(this.port);
      if (received !== undefined) {
        const answer = received.message as FinishAnswer;
        if (answer.id !== wait.id) continue; // an answer to an earlier, abandoned finish
        if ('error' in answer) {
          this.workerHeight = null;
          return { done: null };
        }
        return { done: answer };
      }
      if (wait.slicesLeft-- <= 0) {
        this.workerHeight = null;
        return { done: null };
      }
      return { waitOn: seen };
    }
  }

  /** The block is committed: the worker's tree follows. */
  commit(height: bigint): void {
    this.post({ op: 'commit' });
    if (this.workerHeight !== null) this.workerHeight = height;
  }

  discard(): void {
    this.post({ op: 'discard' });
  }

  /** The worker's state no longer matches (a block was hashed without it). */
  invalidate(): void {
    this.workerHeight = null;
  }

  async close(): Promise<void> {
    if (this.broken) return;
    this.worker.ref(); // keep the event loop alive until it has exited
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.post({ op: 'close' });
    await Promise.race([exited, new Promise<void>((resolve) => setTimeout(resolve, 2_000).unref())]);
    await this.worker.terminate();
    this.port.close();
  }

  private post(request: HasherRequest, transfer: ArrayBuffer[] = []): void {
    if (this.broken) return;
    this.worker.postMessage(request, transfer);
  }
}
