// A single-validator "solo" driver (issue #5): produces a block every `blockIntervalMs` from a
// queue of checked txs through the same ABCI-shaped calls consensus makes (prepareProposal →
// processProposal → finalizeBlock → commit). The driver, not the app, reads the clock: time
// comes from the injected `clock` so tests can fix it.
import { sha256, concatBytes } from '../crypto/index.js';
import { TxCode, type AbciApplication, type ResponseCheckTx, type ResponseFinalizeBlock } from './abci.js';

/** The minimal pending-tx queue the driver needs; the real mempool (src/mempool) can implement it. */
export interface TxQueue {
  /** Adds a tx that passed checkTx. Returns false if the queue is full. */
  push(tx: Uint8Array): boolean;
  /** Removes and returns up to `max` txs in arrival order. */
  take(max: number): Uint8Array[];
  readonly size: number;
}

/** FIFO with a bound on count (STYLE.md: a limit on everything). */
export class FifoQueue implements TxQueue {
  private items: Uint8Array[] = [];
  constructor(private readonly maxTxs = 100_000) {}
  push(tx: Uint8Array): boolean {
    if (this.items.length >= this.maxTxs) return false;
    this.items.push(tx);
    return true;
  }
  take(max: number): Uint8Array[] {
    const out = this.items.slice(0, max);
    this.items = this.items.slice(out.length);
    return out;
  }
  get size(): number {
    return this.items.length;
  }
}

export interface SoloOptions {
  app: AbciApplication;
  /** Consensus address (20 bytes) of the single validator: receives the fees. */
  proposerAddress: Uint8Array;
  /**
   * Nanoseconds since the epoch. Injected (the app layer never reads the wall clock): a node
   * passes `() => BigInt(Date.now()) * 1_000_000n`, tests a fixed sequence.
   */
  clock: () => bigint;
  queue?: TxQueue;
  blockIntervalMs?: number;
  maxTxsPerBlock?: number;
  maxBlockBytes?: bigint;
  /** Called after each commit (for tests, RPC subscriptions). */
  onBlock?: (height: bigint, response: ResponseFinalizeBlock, txs: Uint8Array[]) => void;
}

/** Produces blocks alone. `submit` runs checkTx and queues the tx; `produceBlock` makes one block. */
export class SoloDriver {
  private readonly queue: TxQueue;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private lastTime = 0n;

  constructor(private readonly options: SoloOptions) {
    this.queue = options.queue ?? new FifoQueue();
  }

  /** checkTx, then queue; the check response is returned either way. */
  submit(tx: Uint8Array): ResponseCheckTx {
    const response = this.options.app.checkTx({ tx, type: 'new' });
    if (response.code === TxCode.OK && !this.queue.push(tx)) {
      return { ...response, code: TxCode.UNKNOWN_REQUEST, log: 'the queue is full, retry later' };
    }
    return response;
  }

  /** Makes one block from the queue (possibly empty) and commits it. Calls are serialized. */
  produceBlock(): Promise<{ height: bigint; response: ResponseFinalizeBlock; txs: Uint8Array[] }> {
    const next = this.running.then(() => this.makeBlock());
    this.running = next.catch(() => undefined);
    return next;
  }

  private async makeBlock() {
    const app = this.options.app;
    const info = await app.info({ version: '', blockVersion: 11n, p2pVersion: 8n, abciVersion: '2.0.0' });
    const height = info.lastBlockHeight + 1n;
    let time = this.options.clock();
    if (time <= this.lastTime) time = this.lastTime + 1n; // block times strictly increase
    this.lastTime = time;
    const proposerAddress = this.options.proposerAddress;
    const candidates = this.queue.take(this.options.maxTxsPerBlock ?? 10_000);
    const maxTxBytes = this.options.maxBlockBytes ?? 4n * 1024n * 1024n;
    const { txs } = await app.prepareProposal({
      maxTxBytes,
      txs: candidates,
      height,
      timeNanos: time,
      proposerAddress,
    });
    // Txs that did not fit go back to the front of the line next block: re-queued in order.
    const chosen = new Set(txs);
    for (const tx of candidates) if (!chosen.has(tx)) this.queue.push(tx);
    const hash = sha256(concatBytes(...txs.map((tx) => sha256(tx))));
    const status = await app.processProposal({ txs, hash, height, timeNanos: time, proposerAddress });
    if (status.status !== 'accept')
      throw new Error(`solo: the app rejected its own proposal at height ${height}`);
    const response = await app.finalizeBlock({
      txs,
      hash,
      height,
      timeNanos: time,
      proposerAddress,
      misbehavior: [],
    });
    await app.commit();
    this.options.onBlock?.(height, response, txs);
    return { height, response, txs };
  }

  /** Starts producing a block every blockIntervalMs. */
  start(): void {
    if (this.timer !== null) return;
    const interval = this.options.blockIntervalMs ?? 1000;
    const tick = () => {
      void this.produceBlock()
        .catch(() => this.stop())
        .finally(() => {
          if (this.timer !== null) this.timer = setTimeout(tick, interval);
        });
    };
    this.timer = setTimeout(tick, interval);
  }

  /** Stops the timer and waits for a block in progress. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}
