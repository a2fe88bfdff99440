// The mempool: transactions the application has checked, waiting for a block (DESIGN.md §2).
//
// Shape (CometBFT's CList mempool + the Cosmos SDK priority-nonce mempool, simplified):
// - Every tx is checked by the app (`checkTx`, mode 'new') before it enters; the app's check
//   state is what validates signatures, sequences, fees and balances.
// - A sender's txs form a *chain* of consecutive sequences. A tx with sequence n+1 can only be
//   used after n, so chains are only ever cut at their ends: commits remove a prefix, failed
//   rechecks and evictions remove a suffix. That keeps `sequence - chain[0].sequence` the index.
// - Priority is the fee per unit of gas (an exact rational, compared by cross-multiplication:
//   no floats, DESIGN.md §7), or an integer priority the app computed; ties broken by arrival. Reaping merges the chains by their
//   head's priority (a high-fee tx behind a low-fee head waits for that head), like the
//   priority-nonce mempool of the Cosmos SDK.
// - When full, a better tx evicts the worst chain *tails* (never a middle: that would strand
//   the successors), only if every victim has a strictly lower fee per gas.
// - After each commit: committed txs leave, their hashes go to a bounded LRU cache (so gossip
//   cannot re-add them), the rest are re-checked (mode 'recheck') in arrival order — which is
//   sequence order within each sender — and a tx that fails is dropped with its successors.
// - Everything is bounded: count, bytes, per-tx bytes, per-sender chain length, the committed
//   cache, the peers remembered per tx, and the number of adds waiting for the app.
// - All mutations run one at a time (an async mutex): an add cannot interleave with a recheck,
//   and the app sees checkTx calls in a single, deterministic order.
import { txHashHex } from '../codec/index.js';
import { MempoolError, assert } from './errors.js';
import { Heap } from './heap.js';
import { LruSet } from './lru.js';

/** Limits of a {@link Mempool}. All are required: a limit is a decision, not a default. */
export interface MempoolConfig {
  /** Most txs held at once. */
  readonly maxTxs: number;
  /** Most tx bytes held at once (sum of the raw tx sizes). */
  readonly maxBytes: number;
  /** Largest single tx accepted, in bytes (≤ maxBytes). */
  readonly maxTxBytes: number;
  /** How many committed tx hashes are remembered to refuse late duplicates (0 disables). */
  readonly cacheSize: number;
  /** Longest chain of pending txs one sender may have (default: maxTxs). */
  readonly maxTxsPerSender?: number;
  /** How many peers are remembered per tx as already having it (default 64). */
  readonly maxPeersPerTx?: number;
  /** Most `add` calls waiting for the app at once before refusing with BUSY (default 10,000). */
  readonly maxPendingAdds?: number;
  /** Re-check the remaining txs after each update (default true; CometBFT's `recheck`). */
  readonly recheck?: boolean;
  /**
   * Most new txs handed to the app's `checkTxBatch` at once (default 256; used only when the app
   * has one). Adds that arrive while the app is busy wait together and are checked as one batch.
   */
  readonly maxCheckBatch?: number;
}

/** Why the app is called: a first check, or a re-check after a commit changed the state. */
export type CheckMode = 'new' | 'recheck';

/**
 * What the app's `checkTx` tells the mempool. Priority comes in one of two forms, and an app
 * uses one form for every tx (the two are not on one scale):
 * - `fee`: the total fee offered in the fee denomination; priority is `fee / gasWanted`, exact;
 * - `priority`: an integer the app computed (e.g. fee per gas scaled by 10^6), higher first.
 */
export type CheckResult =
  | {
      readonly ok: true;
      /** The account whose sequence the tx uses (e.g. its bech32 address). */
      readonly sender: string;
      readonly sequence: bigint;
      readonly gasWanted: bigint;
      readonly fee?: bigint;
      readonly priority?: bigint;
    }
  | { readonly ok: false; readonly code: number; readonly log: string };

/** The part of the application the mempool needs (ABCI CheckTx). */
export interface MempoolApp {
  /**
   * Checks `txBytes` against the app's check state and, when it passes, applies it there (so the
   * sender's next sequence is expected next). Before `update` calls it with 'recheck', the app
   * must have reset its check state to the newly committed state (ABCI Commit does this).
   */
  checkTx(txBytes: Uint8Array, mode: CheckMode): Promise<CheckResult> | CheckResult;
  /**
   * Optional: checks several new txs in order with exactly the answers `checkTx(tx, 'new')` on
   * each in turn would give (the app may verify their signatures ahead, e.g. on a worker). When
   * present, adds that wait for the app together are checked through it (README "Batches").
   */
  checkTxBatch?(txs: readonly Uint8Array[]): Promise<readonly CheckResult[]> | readonly CheckResult[];
}

/** A tx the mempool announces as newly added (for gossip). */
export interface NewTxEvent {
  readonly bytes: Uint8Array;
  /** Uppercase hex SHA-256 of the bytes (CometBFT's tx hash). */
  readonly hash: string;
  /** The peer that sent it to us, if any: do not send it back there. */
  readonly fromPeer: string | undefined;
}

/** Collaborators of a {@link Mempool} (dependency injection, STYLE.md). */
export interface MempoolDeps extends MempoolApp {
  /** Called synchronously after a tx is added; must not throw (a throw reaches `add`'s caller). */
  readonly onNewTx?: (event: NewTxEvent) => void;
  /**
   * Called for each tx that leaves the pool other than by a refused add, after the operation
   * that removed it finished (so the pool is consistent when it runs); must not throw. Lets the
   * RPC answer a client waiting on a tx that was evicted or became invalid.
   */
  readonly onRemovedTx?: (event: RemovedTxEvent) => void;
}

/**
 * Why a pending tx left the pool: `COMMITTED` (in a block), `EVICTED` (for a better tx),
 * `INVALID` (its recheck failed, a predecessor's did, or a later sequence of its sender
 * committed), `FLUSHED` (`clear`).
 */
export type RemovalReason = 'COMMITTED' | 'EVICTED' | 'INVALID' | 'FLUSHED';

/** A tx that left the pool. */
export interface RemovedTxEvent {
  readonly hash: string;
  readonly reason: RemovalReason;
}

/**
 * Why `add` refused a tx. Policy for the p2p layer: only CHECK_FAILED and TOO_LARGE/EMPTY say
 * something about the tx itself; none of them is a reason to penalise a peer on its own (a peer
 * may legitimately relay a tx that became invalid or that we already hold).
 * - `DUPLICATE`: the same bytes are already in the pool (the peer is remembered as having it).
 * - `ALREADY_COMMITTED`: the hash is in the recently-committed cache.
 * - `TOO_LARGE`: larger than `maxTxBytes`. `EMPTY`: zero bytes.
 * - `FULL`: no room, and nothing in the pool has a strictly lower fee per gas that could go.
 * - `BUSY`: too many adds are waiting for the app; retry later.
 * - `CHECK_FAILED`: the app refused it (`code`, `log` are the app's).
 * - `SEQUENCE_GAP`: the sender has pending txs and this one is not the next sequence after them.
 * - `SEQUENCE_TAKEN`: the sender already has pending txs up to this sequence or beyond (no
 *   replace-by-fee: the same sequence with a higher fee is refused too).
 * - `SENDER_LIMIT`: the sender already has `maxTxsPerSender` pending txs.
 */
export type AddRejectReason =
  | 'DUPLICATE'
  | 'ALREADY_COMMITTED'
  | 'TOO_LARGE'
  | 'EMPTY'
  | 'FULL'
  | 'BUSY'
  | 'CHECK_FAILED'
  | 'SEQUENCE_GAP'
  | 'SEQUENCE_TAKEN'
  | 'SENDER_LIMIT';

/** Outcome of {@link Mempool.add}. `hash` is '' when refused before hashing (EMPTY, TOO_LARGE). */
export type AddResult =
  | {
      readonly ok: true;
      readonly hash: string;
      /** hashes evicted to make room */ readonly evicted: string[];
    }
  | {
      readonly ok: false;
      readonly hash: string;
      readonly reason: Exclude<AddRejectReason, 'CHECK_FAILED'>;
      readonly message: string;
    }
  | {
      readonly ok: false;
      readonly hash: string;
      readonly reason: 'CHECK_FAILED';
      readonly code: number;
      readonly log: string;
      readonly message: string;
    };

/** Limits of one {@link Mempool.reap}; an absent limit means unlimited. */
export interface ReapLimits {
  readonly maxBytes?: number;
  readonly maxGas?: bigint;
  readonly maxTxs?: number;
}

/** Outcome of {@link Mempool.update}. */
export interface UpdateResult {
  /** Pool txs removed because they (or an equal-or-later sequence of their sender) committed. */
  readonly removedCommitted: number;
  /** Txs dropped because their recheck failed, or a predecessor's did. */
  readonly removedInvalid: number;
}

/** A pending tx as the mempool holds it (read-only view; `bytes` is shared: do not modify it). */
export interface MempoolTx {
  readonly bytes: Uint8Array;
  readonly hash: string;
  readonly sender: string;
  readonly sequence: bigint;
  readonly gasWanted: bigint;
  /** `fee / gasWanted` or `priority / 1`: higher reaps first, lower is evicted first. */
  readonly priority: Rational;
  /** Arrival number: strictly increasing over the mempool's life; breaks priority ties. */
  readonly arrival: number;
}

interface Entry extends MempoolTx {
  inPool: boolean;
  readonly peers: Set<string>;
}

const DEFAULT_MAX_PEERS_PER_TX = 64;
const DEFAULT_MAX_PENDING_ADDS = 10_000;
const DEFAULT_MAX_CHECK_BATCH = 256;

type BatchChecker = (txs: readonly Uint8Array[]) => Promise<readonly CheckResult[]> | readonly CheckResult[];

/** An add waiting in an open batch (batch path only). */
interface WaitingAdd {
  readonly txBytes: Uint8Array;
  readonly hash: string;
  readonly fromPeer: string | undefined;
  readonly resolve: (result: AddResult) => void;
  readonly reject: (error: unknown) => void;
}

/** An exact non-negative rational (denominator > 0). */
export interface Rational {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

/** Priority of `a` strictly above `b` (exact cross-multiplication). */
function richer(a: MempoolTx, b: MempoolTx): boolean {
  return a.priority.numerator * b.priority.denominator > b.priority.numerator * a.priority.denominator;
}

/** The reap order: higher fee per gas first, then earlier arrival. A strict total order. */
export function reapsBefore(a: MempoolTx, b: MempoolTx): boolean {
  const left = a.priority.numerator * b.priority.denominator;
  const right = b.priority.numerator * a.priority.denominator;
  if (left !== right) return left > right;
  return a.arrival < b.arrival;
}

/** The eviction order: lower fee per gas first, then later arrival (newest of equals goes). */
function evictsBefore(a: MempoolTx, b: MempoolTx): boolean {
  const left = a.priority.numerator * b.priority.denominator;
  const right = b.priority.numerator * a.priority.denominator;
  if (left !== right) return left < right;
  return a.arrival > b.arrival;
}

function checkLimit(name: string, value: number | undefined, min: number): void {
  if (value === undefined || !Number.isSafeInteger(value) || value < min) {
    throw new MempoolError(
      'INVALID_CONFIG',
      `mempool ${name} must be an integer ≥ ${min}, got ${String(value)}`,
    );
  }
}

/**
 * A bounded, prioritized pool of checked transactions.
 *
 * @example
 * const pool = new Mempool({ maxTxs: 5000, maxBytes: 64 << 20, maxTxBytes: 1 << 20, cacheSize: 10000 },
 *   { checkTx: (tx, mode) => app.checkTx(tx, mode), onNewTx: (e) => gossip(e) });
 * const result = await pool.add(txBytes, { fromPeer: peerId });
 * const block = pool.reap({ maxBytes: 1 << 20, maxGas: 10_000_000n });
 * await pool.update(height, block);
 */
export class Mempool {
  private readonly config: Required<MempoolConfig>;
  private readonly byHash = new Map<string, Entry>(); // insertion order = arrival order
  private readonly bySender = new Map<string, Entry[]>(); // consecutive sequences
  private readonly committed: LruSet;
  // Worst chain tail first. Lazy: entries that stopped being tails are skipped when popped, and
  // an entry is pushed again whenever it becomes a tail. Rebuilt when stale items pile up.
  private readonly evictionHeap = new Heap<Entry>(evictsBefore);
  private totalBytes = 0;
  private nextArrival = 0;
  private lastHeight = 0;
  private pendingAdds = 0;
  private queue: Promise<void> = Promise.resolve();
  private removedEvents: RemovedTxEvent[] = []; // delivered when the current operation ends
  /**
   * Batch path: the adds collected for the batch operation queued last, while it has not
   * started; later adds join it (null: the next add queues a new batch operation).
   */
  private openBatch: WaitingAdd[] | null = null;
  /** Held by {@link lockForCommit} until the next update (or unlock). */
  private commitLock: { readonly acquired: Promise<void>; readonly release: () => void } | null = null;
  /** The app's checkTxBatch, bound (null: every add is checked alone). */
  private readonly batchChecker: BatchChecker | null;

  /** @throws {MempoolError} INVALID_CONFIG when a limit is missing or inconsistent. */
  constructor(
    config: MempoolConfig,
    private readonly deps: MempoolDeps,
  ) {
    checkLimit('maxTxs', config.maxTxs, 1);
    checkLimit('maxBytes', config.maxBytes, 1);
    checkLimit('maxTxBytes', config.maxTxBytes, 1);
    checkLimit('cacheSize', config.cacheSize, 0);
    const full: Required<MempoolConfig> = {
      maxTxs: config.maxTxs,
      maxBytes: config.maxBytes,
      maxTxBytes: config.maxTxBytes,
      cacheSize: config.cacheSize,
      maxTxsPerSender: config.maxTxsPerSender ?? config.maxTxs,
      maxPeersPerTx: config.maxPeersPerTx ?? DEFAULT_MAX_PEERS_PER_TX,
      maxPendingAdds: config.maxPendingAdds ?? DEFAULT_MAX_PENDING_ADDS,
      recheck: config.recheck ?? true,
      maxCheckBatch: config.maxCheckBatch ?? DEFAULT_MAX_CHECK_BATCH,
    };
    checkLimit('maxTxsPerSender', full.maxTxsPerSender, 1);
    checkLimit('maxPeersPerTx', full.maxPeersPerTx, 0);
    checkLimit('maxPendingAdds', full.maxPendingAdds, 1);
    checkLimit('maxCheckBatch', full.maxCheckBatch, 1);
    if (full.maxTxBytes > full.maxBytes) {
      throw new MempoolError('INVALID_CONFIG', 'mempool maxTxBytes must not exceed maxBytes');
    }
    if (typeof deps.checkTx !== 'function') {
      throw new MempoolError('INVALID_CONFIG', 'mempool needs a checkTx function from the app');
    }
    if (deps.checkTxBatch !== undefined && typeof deps.checkTxBatch !== 'function') {
      throw new MempoolError('INVALID_CONFIG', 'mempool checkTxBatch must be a function when given');
    }
    this.config = full;
    this.committed = new LruSet(full.cacheSize);
    this.batchChecker = deps.checkTxBatch === undefined ? null : deps.checkTxBatch.bind(deps);
  }

  /** Number of txs held. */
  get size(): number {
    return this.byHash.size;
  }

  /** Sum of the sizes of the txs held, in bytes. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** The height of the last {@link update} (0 before the first). */
  get height(): number {
    return this.lastHeight;
  }

  /** True when the pool holds the tx with this hash (uppercase or lowercase hex). */
  has(hash: string): boolean {
    return this.byHash.has(hash.toUpperCase());
  }

  /** The pending tx with this hash, if held. */
  get(hash: string): MempoolTx | undefined {
    return this.view(this.byHash.get(hash.toUpperCase()));
  }

  /** True when the hash is in the recently-committed cache. */
  isRecentlyCommitted(hash: string): boolean {
    return this.committed.has(hash.toUpperCase());
  }

  /** Every pending tx in arrival order (for gossip to a newly connected peer, RPC listing). */
  txs(): MempoolTx[] {
    const out: MempoolTx[] = [];
    for (const entry of this.byHash.values()) out.push(this.view(entry) as MempoolTx);
    return out;
  }

  /** The sender's pending txs in sequence order. */
  txsOf(sender: string): MempoolTx[] {
    return (this.bySender.get(sender) ?? []).map((entry) => this.view(entry) as MempoolTx);
  }

  /** True when `peer` is known to have the tx (it sent it to us, or we sent it to it). */
  peerHas(hash: string, peer: string): boolean {
    return this.byHash.get(hash.toUpperCase())?.peers.has(peer) ?? false;
  }

  /** Records that `peer` now has the tx (call after sending it), within `maxPeersPerTx`. */
  markPeerHas(hash: string, peer: string): void {
    const entry = this.byHash.get(hash.toUpperCase());
    if (entry !== undefined) this.rememberPeer(entry, peer);
  }

  /**
   * Checks `txBytes` with the app and adds it. Refusals are results, not exceptions.
   *
   * @param options.fromPeer the peer it came from (not echoed back to it; remembered on DUPLICATE too)
   * @throws {MempoolError} INVALID_ARGUMENT when txBytes is not a Uint8Array;
   *   CHECK_TX_THREW / INVALID_CHECK_RESULT when the app misbehaves.
   */
  async add(txBytes: Uint8Array, options: { fromPeer?: string } = {}): Promise<AddResult> {
    if (!(txBytes instanceof Uint8Array)) {
      throw new MempoolError('INVALID_ARGUMENT', 'mempool add: tx must be a Uint8Array');
    }
    const fromPeer = options.fromPeer;
    // Cheap refusals first, before hashing or queueing (gossip delivers most txs many times).
    if (txBytes.length === 0) return this.refuse('', 'EMPTY', 'the tx is empty');
    if (txBytes.length > this.config.maxTxBytes) {
      return this.refuse(
        '',
        'TOO_LARGE',
        `the tx has ${txBytes.length} bytes, over the ${this.config.maxTxBytes} limit`,
      );
    }
    const hash = txHashHex(txBytes);
    const early = this.refuseKnown(hash, fromPeer);
    if (early !== undefined) return early;
    if (this.pendingAdds >= this.config.maxPendingAdds) {
      return this.refuse(hash, 'BUSY', 'too many txs are waiting for checkTx; retry later');
    }
    this.pendingAdds++;
    try {
      if (this.batchChecker !== null) return await this.joinBatch(txBytes, hash, fromPeer, this.batchChecker);
      return await this.exclusive(() => this.addLocked(txBytes, hash, fromPeer));
    } finally {
      this.pendingAdds--;
    }
  }

  /**
   * Adds several txs (one peer's message, one RPC batch): the same results, in the same order,
   * as calling {@link add} on each in turn; with an app `checkTxBatch` they are checked together.
   * @throws {MempoolError} as {@link add} (the first failure).
   */
  addMany(txs: readonly Uint8Array[], options: { fromPeer?: string } = {}): Promise<AddResult[]> {
    return Promise.all(txs.map((txBytes) => this.add(txBytes, options)));
  }

  /**
   * Removes committed txs, remembers their hashes, and re-checks what is left.
   *
   * @param height the committed block's height (strictly above the previous update's)
   * @param committedTxs the block's txs, in block order
   * @throws {MempoolError} INVALID_ARGUMENT when height does not increase.
   */
  async update(height: number, committedTxs: readonly Uint8Array[]): Promise<UpdateResult> {
    if (!Number.isSafeInteger(height) || height <= this.lastHeight) {
      throw new MempoolError(
        'INVALID_ARGUMENT',
        `mempool update: height ${height} must be an integer above the last update's ${this.lastHeight}`,
      );
    }
    if (!Array.isArray(committedTxs) || !committedTxs.every((tx) => tx instanceof Uint8Array)) {
      throw new MempoolError('INVALID_ARGUMENT', 'mempool update: committedTxs must be Uint8Arrays');
    }
    this.lastHeight = height;
    this.openBatch = null; // adds from now on are checked after this update (FIFO)
    const run = async () => {
      const removedCommitted = this.removeCommitted(committedTxs);
      const removedInvalid = this.config.recheck ? await this.recheckAll() : 0;
      this.compactEvictionHeap();
      return { removedCommitted, removedInvalid };
    };
    const lock = this.commitLock;
    if (lock === null) return this.exclusive(run);
    // Inside the commit lock (which holds the queue): run now, then let the adds in.
    await lock.acquired;
    try {
      return await run();
    } finally {
      this.unlock();
      this.deliverRemoved();
    }
  }

  /**
   * CometBFT's mempool Lock around the app's Commit: resolves once every earlier add has been
   * checked and admitted, and holds later adds until the next {@link update} has removed the
   * committed txs and re-checked the rest (update runs inside the lock and releases it). Without
   * it, an add checked between the app's Commit (which resets its check state) and the recheck
   * sees the committed state without the pending txs and refuses a sender's next tx
   * (`account sequence mismatch`) — an add whose batch waits on a signature worker can fall in
   * that window. Call {@link unlock} instead if the commit failed.
   * @throws {MempoolError} INVALID_ARGUMENT when already locked.
   */
  lockForCommit(): Promise<void> {
    if (this.commitLock !== null) {
      throw new MempoolError('INVALID_ARGUMENT', 'the mempool is already locked for a commit');
    }
    this.openBatch = null;
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let acquire: () => void = () => undefined;
    const acquired = new Promise<void>((resolve) => (acquire = resolve));
    this.commitLock = { acquired, release };
    void this.exclusive(() => {
      acquire();
      return held;
    });
    return acquired;
  }

  /** Releases {@link lockForCommit} without an update (the commit failed). Idempotent. */
  unlock(): void {
    const lock = this.commitLock;
    this.commitLock = null;
    lock?.release();
  }

  /**
   * Picks txs for a block: highest fee per gas first (ties: earliest arrival), a sender's txs in
   * sequence order. A tx that does not fit is skipped with the rest of its sender's chain, and
   * smaller txs of other senders may still fill the block. Does not remove anything.
   *
   * @throws {MempoolError} INVALID_ARGUMENT when a limit is negative.
   */
  reap(limits: ReapLimits = {}): Uint8Array[] {
    return this.reapTxs(limits).map((tx) => tx.bytes);
  }

  /** As {@link reap}, with each tx's metadata. */
  reapTxs(limits: ReapLimits = {}): MempoolTx[] {
    const maxBytes = limits.maxBytes ?? Number.POSITIVE_INFINITY;
    const maxTxs = limits.maxTxs ?? Number.POSITIVE_INFINITY;
    const maxGas = limits.maxGas;
    if (!(maxBytes >= 0) || !(maxTxs >= 0) || (maxGas !== undefined && maxGas < 0n)) {
      throw new MempoolError('INVALID_ARGUMENT', 'mempool reap: limits must not be negative');
    }
    const heads = new Heap<Entry>(reapsBefore);
    for (const chain of this.bySender.values()) heads.push(chain[0] as Entry);
    const out: MempoolTx[] = [];
    let bytes = 0;
    let gas = 0n;
    for (let head = heads.pop(); head !== undefined && out.length < maxTxs; head = heads.pop()) {
      if (bytes + head.bytes.length > maxBytes) continue; // skips the rest of this chain too
      if (maxGas !== undefined && gas + head.gasWanted > maxGas) continue;
      out.push(this.view(head) as MempoolTx);
      bytes += head.bytes.length;
      gas += head.gasWanted;
      const next = this.successor(head);
      if (next !== undefined) heads.push(next);
    }
    return out;
  }

  /** Drops every pending tx (not the committed cache). For operators (`unsafe_flush_mempool`). */
  async clear(): Promise<void> {
    this.openBatch = null;
    await this.exclusive(() => {
      for (const entry of this.byHash.values()) {
        if (this.deps.onRemovedTx !== undefined)
          this.removedEvents.push({ hash: entry.hash, reason: 'FLUSHED' });
        entry.inPool = false;
      }
      this.byHash.clear();
      this.bySender.clear();
      this.evictionHeap.clear();
      this.totalBytes = 0;
      return Promise.resolve();
    });
  }

  // --- internals -------------------------------------------------------------------------------

  /** Runs `fn` after every earlier mutation finished (FIFO), never two at once. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn).finally(() => this.deliverRemoved());
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private deliverRemoved(): void {
    const listener = this.deps.onRemovedTx;
    const events = this.removedEvents;
    this.removedEvents = [];
    if (listener !== undefined) for (const event of events) listener(event);
  }

  private refuse(hash: string, reason: Exclude<AddRejectReason, 'CHECK_FAILED'>, message: string): AddResult {
    return { ok: false, hash, reason, message };
  }

  private refuseKnown(hash: string, fromPeer: string | undefined): AddResult | undefined {
    const existing = this.byHash.get(hash);
    if (existing !== undefined) {
      if (fromPeer !== undefined) this.rememberPeer(existing, fromPeer);
      return this.refuse(hash, 'DUPLICATE', 'the tx is already in the mempool');
    }
    if (this.committed.has(hash)) {
      return this.refuse(hash, 'ALREADY_COMMITTED', 'the tx was committed in a recent block');
    }
    return undefined;
  }

  private async addLocked(
    txBytes: Uint8Array,
    hash: string,
    fromPeer: string | undefined,
  ): Promise<AddResult> {
    // The pool may have changed while this add waited its turn (same tx from two peers, a commit).
    const known = this.refuseKnown(hash, fromPeer);
    if (known !== undefined) return known;
    return this.admit(txBytes, hash, fromPeer, await this.callCheckTx(txBytes, 'new'));
  }

  /** Batch path: joins the open batch (or opens one, queued behind earlier operations). */
  private joinBatch(
    txBytes: Uint8Array,
    hash: string,
    fromPeer: string | undefined,
    checkTxBatch: BatchChecker,
  ): Promise<AddResult> {
    return new Promise<AddResult>((resolve, reject) => {
      let batch = this.openBatch;
      if (batch === null || batch.length >= this.config.maxCheckBatch) {
        const opened: WaitingAdd[] = [];
        this.openBatch = batch = opened;
        // addBatchLocked settles every add itself and never rejects.
        void this.exclusive(() => this.addBatchLocked(opened, checkTxBatch));
      }
      batch.push({ txBytes, hash, fromPeer, resolve, reject });
    });
  }

  /**
   * Runs a batch of adds with the results `addLocked` on each in turn would give. The batch is
   * cut into runs of txs that are unknown now and distinct: no earlier tx of a run can make a
   * later one known (inserts add their own hash only, evictions and the committed cache only
   * remove or do not change here), so each run is checked by one `checkTxBatch` call (whose
   * answers equal checkTx one by one) and then admitted in order. A tx that is known when its
   * turn comes is refused then, exactly as `addLocked` would (it may have been evicted meanwhile:
   * then it is checked alone).
   */
  private async addBatchLocked(batch: WaitingAdd[], checkTxBatch: BatchChecker): Promise<void> {
    if (this.openBatch === batch) this.openBatch = null; // started: later adds open a new batch
    let i = 0;
    while (i < batch.length) {
      const first = batch[i] as WaitingAdd;
      if (this.byHash.has(first.hash) || this.committed.has(first.hash)) {
        try {
          first.resolve(await this.addLocked(first.txBytes, first.hash, first.fromPeer));
        } catch (error) {
          first.reject(error);
        }
        i++;
        continue;
      }
      const run = [first];
      const hashes = new Set([first.hash]);
      for (let j = i + 1; j < batch.length; j++) {
        const next = batch[j] as WaitingAdd;
        if (hashes.has(next.hash) || this.byHash.has(next.hash) || this.committed.has(next.hash)) break;
        hashes.add(next.hash);
        run.push(next);
      }
      i += run.length;
      let results: readonly CheckResult[];
      try {
        results = await checkTxBatch(run.map((x) => x.txBytes));
        if (!Array.isArray(results) || results.length !== run.length) {
          throw new MempoolError(
            'INVALID_CHECK_RESULT',
            `the app's checkTxBatch answered ${Array.isArray(results) ? results.length : 'no array'} results for ${run.length} txs`,
          );
        }
      } catch (cause) {
        const error =
          cause instanceof MempoolError
            ? cause
            : new MempoolError(
                'CHECK_TX_THREW',
                "the app's checkTxBatch threw; it must answer { ok: false } per tx",
                {
                  cause,
                },
              );
        for (const x of run) x.reject(error);
        continue;
      }
      for (const [k, x] of run.entries()) {
        try {
          x.resolve(this.admit(x.txBytes, x.hash, x.fromPeer, results[k] as CheckResult));
        } catch (error) {
          x.reject(error);
        }
      }
    }
  }

  /** The pool's side of an add once the app answered `result` (synchronous). */
  private admit(
    txBytes: Uint8Array,
    hash: string,
    fromPeer: string | undefined,
    result: CheckResult,
  ): AddResult {
    if (!result.ok) {
      return {
        ok: false,
        hash,
        reason: 'CHECK_FAILED',
        code: result.code,
        log: result.log,
        message: `the app refused the tx (code ${result.code})`,
      };
    }
    validateCheckResult(result);
    // Refusals below come after the app accepted the tx into its check state; the app's check
    // state is then one tx ahead of the pool until the next commit resets it and rechecks.
    const chain = this.bySender.get(result.sender);
    const last = chain?.[chain.length - 1];
    if (last !== undefined) {
      if (result.sequence <= last.sequence) {
        return this.refuse(
          hash,
          'SEQUENCE_TAKEN',
          `sequence ${result.sequence} is not after this sender's pending sequence ${last.sequence}`,
        );
      }
      if (result.sequence !== last.sequence + 1n) {
        return this.refuse(
          hash,
          'SEQUENCE_GAP',
          `expected sequence ${last.sequence + 1n}, got ${result.sequence}`,
        );
      }
      if ((chain?.length ?? 0) >= this.config.maxTxsPerSender) {
        return this.refuse(
          hash,
          'SENDER_LIMIT',
          `the sender already has ${this.config.maxTxsPerSender} pending txs`,
        );
      }
    }
    const entry: Entry = {
      // A private copy: the caller's array may be a view into a reused network buffer.
      bytes: new Uint8Array(txBytes),
      hash,
      sender: result.sender,
      sequence: result.sequence,
      gasWanted: result.gasWanted,
      priority:
        result.fee !== undefined
          ? { numerator: result.fee, denominator: result.gasWanted }
          : { numerator: result.priority ?? 0n, denominator: 1n },
      arrival: this.nextArrival,
      inPool: false,
      peers: new Set(),
    };
    const victims = this.planEviction(entry);
    if (victims === undefined) {
      return this.refuse(hash, 'FULL', 'the mempool is full of txs paying at least as much per gas');
    }
    for (const victim of victims) this.removeTail(victim);
    this.nextArrival++;
    this.insert(entry);
    this.compactEvictionHeap();
    if (fromPeer !== undefined) this.rememberPeer(entry, fromPeer);
    this.deps.onNewTx?.({ bytes: entry.bytes, hash, fromPeer });
    return { ok: true, hash, evicted: victims.map((victim) => victim.hash) };
  }

  private async callCheckTx(txBytes: Uint8Array, mode: CheckMode): Promise<CheckResult> {
    try {
      return await this.deps.checkTx(txBytes, mode);
    } catch (cause) {
      throw new MempoolError(
        'CHECK_TX_THREW',
        `the app's checkTx threw (${mode}); it must return { ok: false }`,
        {
          cause,
        },
      );
    }
  }

  private insert(entry: Entry): void {
    let chain = this.bySender.get(entry.sender);
    if (chain === undefined) {
      chain = [];
      this.bySender.set(entry.sender, chain);
    }
    chain.push(entry);
    entry.inPool = true;
    this.byHash.set(entry.hash, entry);
    this.totalBytes += entry.bytes.length;
    this.evictionHeap.push(entry);
  }

  /**
   * The txs to evict so that `incoming` fits, or undefined when it cannot: victims are chain
   * tails (taken worst first) with a strictly lower fee per gas, never the incoming sender's own
   * chain (its tail is the incoming tx's predecessor). Leaves the pool unchanged.
   */
  private planEviction(incoming: Entry): Entry[] | undefined {
    let countOver = this.byHash.size + 1 - this.config.maxTxs;
    let bytesOver = this.totalBytes + incoming.bytes.length - this.config.maxBytes;
    const victims: Entry[] = [];
    if (countOver <= 0 && bytesOver <= 0) return victims;
    const victimSet = new Set<Entry>();
    const setAside: Entry[] = [];
    let feasible = true;
    while (countOver > 0 || bytesOver > 0) {
      const candidate = this.evictionHeap.pop();
      if (candidate === undefined) {
        feasible = false;
        break;
      }
      if (!candidate.inPool || victimSet.has(candidate)) continue; // stale
      const next = this.successor(candidate);
      if (next !== undefined && !victimSet.has(next)) continue; // not a tail: pushed again when it is
      if (candidate.sender === incoming.sender) {
        setAside.push(candidate);
        continue;
      }
      if (!richer(incoming, candidate)) {
        setAside.push(candidate); // the worst tail is as good as the newcomer: nothing can go
        feasible = false;
        break;
      }
      victims.push(candidate);
      victimSet.add(candidate);
      countOver--;
      bytesOver -= candidate.bytes.length;
      const previous = this.predecessor(candidate);
      if (previous !== undefined) this.evictionHeap.push(previous); // a tail once candidate goes
    }
    for (const entry of setAside) this.evictionHeap.push(entry);
    if (!feasible) {
      for (const entry of victims) this.evictionHeap.push(entry);
      return undefined;
    }
    return victims;
  }

  private successor(entry: Entry): Entry | undefined {
    const chain = this.bySender.get(entry.sender) as Entry[];
    return chain[this.indexIn(chain, entry) + 1];
  }

  private predecessor(entry: Entry): Entry | undefined {
    const chain = this.bySender.get(entry.sender) as Entry[];
    const index = this.indexIn(chain, entry);
    return index > 0 ? chain[index - 1] : undefined;
  }

  private indexIn(chain: Entry[], entry: Entry): number {
    const first = chain[0] as Entry;
    const index = Number(entry.sequence - first.sequence);
    assert(chain[index] === entry, 'sender chain is not consecutive');
    return index;
  }

  private forget(entry: Entry, reason: RemovalReason): void {
    if (this.deps.onRemovedTx !== undefined) this.removedEvents.push({ hash: entry.hash, reason });
    entry.inPool = false;
    this.byHash.delete(entry.hash);
    this.totalBytes -= entry.bytes.length;
  }

  /** Removes the last tx of its sender's chain (an eviction). */
  private removeTail(entry: Entry): void {
    const chain = this.bySender.get(entry.sender) as Entry[];
    assert(chain[chain.length - 1] === entry, 'evicting a tx that is not its chain tail');
    chain.pop();
    this.forget(entry, 'EVICTED');
    const newTail = chain[chain.length - 1];
    if (newTail === undefined) this.bySender.delete(entry.sender);
    else this.evictionHeap.push(newTail);
  }

  /** Removes `entry` and every later tx of its sender. Returns how many were removed. */
  private removeSuffix(entry: Entry): number {
    const chain = this.bySender.get(entry.sender) as Entry[];
    const index = this.indexIn(chain, entry);
    const removed = chain.splice(index);
    for (const gone of removed) this.forget(gone, 'INVALID');
    const newTail = chain[chain.length - 1];
    if (newTail === undefined) this.bySender.delete(entry.sender);
    else this.evictionHeap.push(newTail);
    return removed.length;
  }

  /** Removes committed `entry` and every earlier tx of its sender. Returns how many were removed. */
  private removePrefix(entry: Entry): number {
    const chain = this.bySender.get(entry.sender) as Entry[];
    const index = this.indexIn(chain, entry);
    const removed = chain.splice(0, index + 1);
    for (const gone of removed) this.forget(gone, gone === entry ? 'COMMITTED' : 'INVALID');
    if (chain.length === 0) this.bySender.delete(entry.sender);
    return removed.length;
  }

  private removeCommitted(committedTxs: readonly Uint8Array[]): number {
    let removed = 0;
    for (const tx of committedTxs) {
      const hash = txHashHex(tx);
      this.committed.add(hash);
      const entry = this.byHash.get(hash);
      // Committing sequence n spends every sequence ≤ n of that sender: earlier pending txs (a
      // different tx with the same or a lower sequence committed elsewhere) can never run.
      if (entry !== undefined) removed += this.removePrefix(entry);
    }
    return removed;
  }

  private async recheckAll(): Promise<number> {
    // Arrival order is sequence order within each sender (a chain only grows at its tail), so
    // the app's check state sees each sender's txs in order.
    const snapshot = [...this.byHash.values()];
    let removed = 0;
    for (const entry of snapshot) {
      if (!entry.inPool) continue; // dropped with a predecessor
      let valid: boolean;
      try {
        const result = await this.deps.checkTx(entry.bytes, 'recheck');
        valid = result.ok && result.sender === entry.sender && result.sequence === entry.sequence;
      } catch {
        valid = false; // an app that cannot check a tx cannot vouch for it; drop it
      }
      if (!valid) removed += this.removeSuffix(entry);
    }
    return removed;
  }

  private compactEvictionHeap(): void {
    if (this.evictionHeap.size <= 2 * this.byHash.size + 1024) return;
    this.evictionHeap.clear();
    for (const chain of this.bySender.values()) this.evictionHeap.push(chain[chain.length - 1] as Entry);
  }

  private rememberPeer(entry: Entry, peer: string): void {
    if (entry.peers.size < this.config.maxPeersPerTx) entry.peers.add(peer);
  }

  private view(entry: Entry | undefined): MempoolTx | undefined {
    if (entry === undefined) return undefined;
    const { bytes, hash, sender, sequence, gasWanted, priority, arrival } = entry;
    return { bytes, hash, sender, sequence, gasWanted, priority, arrival };
  }
}

function validateCheckResult(result: Extract<CheckResult, { ok: true }>): void {
  const problems: string[] = [];
  if (typeof result.sender !== 'string' || result.sender.length === 0) problems.push('empty sender');
  if (typeof result.sequence !== 'bigint' || result.sequence < 0n) problems.push('sequence not a bigint ≥ 0');
  if (typeof result.gasWanted !== 'bigint' || result.gasWanted <= 0n)
    problems.push('gasWanted not a bigint > 0');
  const { fee, priority } = result;
  if ((fee === undefined) === (priority === undefined)) problems.push('not exactly one of fee and priority');
  if (fee !== undefined && (typeof fee !== 'bigint' || fee < 0n)) problems.push('fee not a bigint ≥ 0');
  if (priority !== undefined && (typeof priority !== 'bigint' || priority < 0n)) {
    problems.push('priority not a bigint ≥ 0');
  }
  if (problems.length > 0) {
    throw new MempoolError('INVALID_CHECK_RESULT', `the app's checkTx returned ${problems.join(', ')}`);
  }
}
