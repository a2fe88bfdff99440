// Block sync's request window (docs/adr/011-block-sync-and-wal-rotation.md): which heights a
// lagging node asks which peer for, and the decided blocks it holds until their turn. Pure
// bookkeeping (time is an argument); the driver sends the requests and applies the blocks in
// height order through the core's CommitReceived path, which verifies each commit (+2/3 of the
// validator set of that height) before the block is executed.
//
// CometBFT's blocksync pool (blocksync/pool.go) keeps up to 600 requesters, 20 per peer, and
// times a peer out when it is slow; this is the same idea with smaller numbers: a window of 32
// heights past the next needed one, chunks of 4 consecutive heights per request spread over the
// peers that have them (least loaded first), at most 16 heights in flight per peer, a request
// re-sent to another peer after 5 s, and at most 64 MiB of blocks held.
import type { Value, SignedVote } from '../consensus/index.js';

/** A decided block with its commit, as received on the block-sync channel. */
export interface CommitInput {
  readonly kind: 'CommitReceived';
  readonly height: number;
  readonly round: number;
  readonly value: Value;
  readonly commit: readonly SignedVote[];
}

export interface BlockSyncLimits {
  /** Heights requested ahead of the next needed one. */
  windowHeights: number;
  /** Consecutive heights asked of one peer in one request. */
  chunkHeights: number;
  /** Heights requested from one peer and not yet received. */
  perPeerInFlight: number;
  /** A request unanswered this long is sent again (to the least loaded peer). */
  requestTimeoutMs: number;
  /** Bytes of received blocks held for later heights. */
  bufferedBytesMax: number;
}

export const DEFAULT_BLOCK_SYNC_LIMITS: BlockSyncLimits = {
  windowHeights: 32,
  chunkHeights: 4,
  perPeerInFlight: 16,
  requestTimeoutMs: 5000,
  bufferedBytesMax: 64 * 1024 * 1024,
};

/** Heights `from .. from + count - 1` asked of `peer`. */
export interface SyncRequest {
  readonly peer: string;
  readonly from: number;
  readonly count: number;
}

export interface SyncedBlock {
  readonly peer: string;
  readonly input: CommitInput;
  readonly bytes: number;
}

export class BlockSyncWindow {
  /** Highest height each peer can serve (its announced height - 1). */
  private readonly tops = new Map<string, number>();
  private readonly requested = new Map<number, { peer: string; atMs: number }>();
  private readonly received = new Map<number, SyncedBlock>();
  private receivedBytes = 0;

  constructor(private readonly limits: BlockSyncLimits = DEFAULT_BLOCK_SYNC_LIMITS) {}

  /** A peer announced `height` (the height it works on): it stores every block below it. */
  setPeerHeight(peer: string, height: number): void {
    this.tops.set(peer, height - 1);
  }

  /** The peer disconnected: its requests go to others; blocks it sent stay (they are verified on use). */
  removePeer(peer: string): void {
    this.tops.delete(peer);
    for (const [height, request] of this.requested) if (request.peer === peer) this.requested.delete(height);
  }

  /** The peer sent a block whose commit does not verify: forget it and everything it sent. */
  dropPeer(peer: string): void {
    this.removePeer(peer);
    for (const [height, block] of this.received) {
      if (block.peer !== peer) continue;
      this.received.delete(height);
      this.receivedBytes -= block.bytes;
    }
  }

  /** Highest height any peer can serve (0 with no peers). */
  get bestPeerTop(): number {
    return Math.max(0, ...this.tops.values());
  }

  /** Blocks held (for tests and logs). */
  get heldBlocks(): number {
    return this.received.size;
  }

  /** Heights requested from `peer` and not received. */
  inFlight(peer: string): number {
    let count = 0;
    for (const request of this.requested.values()) if (request.peer === peer) count++;
    return count;
  }

  /**
   * The requests to send now so that heights `next .. next + window - 1` that some peer has are
   * held or asked for; marks them requested.
   */
  plan(next: number, nowMs: number): SyncRequest[] {
    this.pruneBelow(next);
    if (this.receivedBytes >= this.limits.bufferedBytesMax) return [];
    const last = Math.min(next + this.limits.windowHeights - 1, this.bestPeerTop);
    const wanted: number[] = [];
    for (let h = next; h <= last; h++) {
      if (this.received.has(h)) continue;
      const request = this.requested.get(h);
      if (request !== undefined && nowMs - request.atMs < this.limits.requestTimeoutMs) continue;
      wanted.push(h);
    }
    const requests: SyncRequest[] = [];
    let i = 0;
    while (i < wanted.length) {
      let count = 1;
      while (
        count < this.limits.chunkHeights &&
        i + count < wanted.length &&
        wanted[i + count] === wanted[i]! + count
      )
        count++;
      const from = wanted[i]!;
      const peer = this.leastLoadedPeer(from + count - 1, count);
      if (peer !== undefined) {
        for (let h = from; h < from + count; h++) this.requested.set(h, { peer, atMs: nowMs });
        requests.push({ peer, from, count });
      }
      i += count;
    }
    return requests;
  }

  /**
   * Holds a block for a later height. False (nothing held) outside the window, for a height
   * already held, or over the byte budget.
   */
  accept(block: SyncedBlock, next: number): boolean {
    const height = block.input.height;
    if (height < next || height >= next + this.limits.windowHeights || this.received.has(height))
      return false;
    if (this.receivedBytes + block.bytes > this.limits.bufferedBytesMax) return false;
    this.received.set(height, block);
    this.receivedBytes += block.bytes;
    this.requested.delete(height);
    return true;
  }

  /** Removes and returns the block held for `height`. */
  take(height: number): SyncedBlock | undefined {
    const block = this.received.get(height);
    if (block === undefined) return undefined;
    this.received.delete(height);
    this.receivedBytes -= block.bytes;
    this.requested.delete(height);
    return block;
  }

  private pruneBelow(next: number): void {
    for (const height of this.requested.keys()) if (height < next) this.requested.delete(height);
    for (const [height, block] of this.received) {
      if (height >= next) continue;
      this.received.delete(height);
      this.receivedBytes -= block.bytes;
    }
  }

  /** The peer holding `top` with room for `count` more heights and the fewest in flight. */
  private leastLoadedPeer(top: number, count: number): string | undefined {
    let best: string | undefined;
    let bestLoad = Infinity;
    for (const [peer, peerTop] of this.tops) {
      if (peerTop < top) continue;
      const load = this.inFlight(peer);
      if (load + count > this.limits.perPeerInFlight || load >= bestLoad) continue;
      best = peer;
      bestLoad = load;
    }
    return best;
  }
}
