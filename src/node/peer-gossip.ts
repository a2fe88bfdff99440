// What the driver knows each peer has (docs/adr/011-block-sync-and-wal-rotation.md §8), so the
// 1 s relay and the catch-up push stop re-sending what a peer already holds. Measured before
// (session 3 profile, bench/RESULTS.md "consensus"): every node re-sent every proposal of its
// height (a whole block) to every peer each second, and a node still executing a block it had
// decided was sent that block again every 500 ms by peers already at the next height.
//
// A peer has a consensus message if it sent it to us, or if we handed it to the peer's current
// connection while the peer announced the message's height (TCP delivers it in order; a send
// the queue refused is not counted). Everything is forgotten when the peer disconnects, so a
// reconnected peer is relayed everything again, as before. Messages sent while the peer
// announced another height are not counted: it may have dropped them (more than one height
// behind), and the relay sends them again once it announces our height. Pure bookkeeping.

/** Keys remembered per peer and height; past it the relay simply repeats (safe, as before). */
const KEYS_PER_HEIGHT_MAX = 10_000;

export class PeerGossip {
  /** peer → height → keys (signatures, hex) of the messages it has. */
  private readonly has = new Map<string, Map<number, Set<string>>>();
  /** peer → the height it announced as decided and being executed (block-sync "decided" status). */
  private readonly decided = new Map<string, number>();

  /** The peer has the message `key` of `height`. */
  markHas(peer: string, height: number, key: string): void {
    let heights = this.has.get(peer);
    if (heights === undefined) {
      heights = new Map();
      this.has.set(peer, heights);
    }
    let keys = heights.get(height);
    if (keys === undefined) {
      keys = new Set();
      heights.set(height, keys);
    }
    if (keys.size < KEYS_PER_HEIGHT_MAX) keys.add(key);
  }

  /** True when the peer is known to have the message `key` of `height`. */
  peerHas(peer: string, height: number, key: string): boolean {
    return this.has.get(peer)?.get(height)?.has(key) === true;
  }

  /** We moved to `height`: what peers had of earlier heights no longer matters. */
  forgetBelow(height: number): void {
    for (const heights of this.has.values())
      for (const h of heights.keys()) if (h < height) heights.delete(h);
  }

  /**
   * The peer announced its height: `decided` when it has decided that height's block and is
   * executing it (it needs no catch-up for it), false for a plain status.
   */
  setStatus(peer: string, height: number, decided: boolean): void {
    if (decided) this.decided.set(peer, height);
    else this.decided.delete(peer);
  }

  /** True when the peer said it has decided `height` (sending it that block would be wasted). */
  hasDecided(peer: string, height: number): boolean {
    return this.decided.get(peer) === height;
  }

  /** The peer's connection closed: what it had may be lost with it. */
  removePeer(peer: string): void {
    this.has.delete(peer);
    this.decided.delete(peer);
  }
}
