// Mempool gossip (issue #6; docs/adr/011-block-sync-and-wal-rotation.md §9): batched tx
// messages, "have" announcements, and a delayed relay that skips peers known to hold a tx.
//
// Measured before (session 4, bench/RESULTS.md "consensus"): in a full mesh every tx reached
// every node once from the node that admitted it and once more from each other peer that
// relayed it (4 validators: 9 full-tx sends per tx where 3 suffice), each copy sealed, sent,
// opened, hashed and refused as a duplicate. CometBFT's mempool reactor keeps the sender ids of
// each tx for the same reason; it still relays to peers that got the tx elsewhere, which this
// module avoids with announcements:
//
// - A tx submitted to this node (RPC) is sent at once to every peer not known to have it.
// - A tx that came from a peer is announced (its 32-byte hash, "have") at once to the other
//   peers, and relayed to them only `relayDelayMs` (1 s) later, to those still not known to have
//   it. In a full mesh every peer got it from the origin and said so in that time: no relay.
//   A peer that missed it (no link to the origin, a send queue that refused it, a new
//   connection) announced nothing and gets the tx from the relay.
// - What a peer has: it sent us the tx or its hash, or we handed the tx to its connection.
//   Forgotten when the peer disconnects (a restarted peer lost its mempool).
// - Sends of one event-loop turn to one peer go out as one message per kind.
//
// Wire (mempool channel 0x30; every node of a network runs the same format): first byte
// TXS = 1 then, per tx, u32 BE length and the bytes; or HAVE = 2 then 32-byte sha256 tx
// hashes. A message that does not parse is ignored (counted in `counters.malformed`).
import { bytesToHex, hexToBytes } from '../crypto/index.js';
import type { AddResult } from '../mempool/index.js';

/** Message kinds (first byte). */
export const TX_GOSSIP_TXS = 1;
export const TX_GOSSIP_HAVE = 2;

const HASH_BYTES = 32;
/** A TXS message stops growing past this many bytes (the channel allows 2 MiB). */
const TXS_MESSAGE_BYTES_MAX = 512 * 1024;
/** Hashes per HAVE message. */
const HAVE_HASHES_MAX = 4096;
/**
 * Most txs in one TXS message, sent or accepted: a peer's one message must not start an
 * unbounded number of mempool checks at once (2 MiB of 1-byte txs would be ~420,000).
 */
export const TXS_MESSAGE_TXS_MAX = 4096;
/** Departed peers remembered (so a late check does not re-create their record). */
const DISCONNECTED_MAX = 1024;
/** Hashes remembered per peer; the oldest are forgotten first (then at worst a duplicate is sent). */
const KNOWN_PER_PEER_MAX = 50_000;
/**
 * Default wait before relaying a peer's tx to the others (their "have" arrives first in a
 * mesh). 200 ms let 3.25 copies per tx through at load 20 (announcements queued behind the
 * peers' backlogs, bench/RESULTS.md "consensus" session 5); 1 s is about one block time.
 */
export const DEFAULT_RELAY_DELAY_MS = 1000;

/** A decoded mempool-channel message. */
export type TxGossipMessage = { kind: 'txs'; txs: Uint8Array[] } | { kind: 'have'; hashes: string[] };

/**
 * Encodes txs as one TXS message.
 * @throws {RangeError} when a tx is empty (never gossiped: the mempool refuses it).
 */
export function encodeTxsMessage(txs: readonly Uint8Array[]): Uint8Array {
  let length = 1;
  for (const tx of txs) length += 4 + tx.length;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  out[0] = TX_GOSSIP_TXS;
  let at = 1;
  for (const tx of txs) {
    if (tx.length === 0) throw new RangeError('an empty tx is never gossiped');
    view.setUint32(at, tx.length);
    out.set(tx, at + 4);
    at += 4 + tx.length;
  }
  return out;
}

/**
 * Encodes tx hashes (hex, as the mempool names txs) as one HAVE message.
 * @throws {RangeError} when a hash is not 64 hex digits.
 */
export function encodeHaveMessage(hashes: readonly string[]): Uint8Array {
  const out = new Uint8Array(1 + HASH_BYTES * hashes.length);
  out[0] = TX_GOSSIP_HAVE;
  hashes.forEach((hash, i) => {
    if (hash.length !== 2 * HASH_BYTES) throw new RangeError(`tx hash ${hash.slice(0, 16)}… is not 32 bytes`);
    out.set(hexToBytes(hash), 1 + HASH_BYTES * i);
  });
  return out;
}

/** Decodes a mempool-channel message; null when it does not parse (a peer's bug or malice). */
export function decodeTxGossipMessage(bytes: Uint8Array): TxGossipMessage | null {
  if (bytes.length < 2) return null;
  if (bytes[0] === TX_GOSSIP_HAVE) {
    const count = (bytes.length - 1) / HASH_BYTES;
    if (!Number.isInteger(count)) return null;
    const hashes: string[] = [];
    for (let i = 0; i < count; i++) {
      const at = 1 + HASH_BYTES * i;
      hashes.push(bytesToHex(bytes.subarray(at, at + HASH_BYTES)).toUpperCase());
    }
    return { kind: 'have', hashes };
  }
  if (bytes[0] !== TX_GOSSIP_TXS) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const txs: Uint8Array[] = [];
  let at = 1;
  while (at < bytes.length) {
    if (at + 4 > bytes.length) return null;
    const length = view.getUint32(at);
    if (length === 0 || at + 4 + length > bytes.length || txs.length === TXS_MESSAGE_TXS_MAX) return null;
    txs.push(bytes.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return { kind: 'txs', txs };
}

/** The p2p node as tx gossip uses it (P2pNode satisfies it). */
export interface TxGossipNetwork {
  peers(): readonly { id: string }[];
  /** False when the message was not queued (peer gone, queue full). */
  send(peerId: string, channelId: number, bytes: Uint8Array): boolean;
  on(channelId: number, handler: (peerId: string, bytes: Uint8Array) => void | Promise<void>): void;
  onPeerConnected(listener: (peer: { id: string }) => void): void;
  onPeerDisconnected(listener: (peerId: string) => void): void;
}

/** The mempool as tx gossip uses it (Mempool satisfies it). */
export interface TxGossipMempool {
  addMany(txs: readonly Uint8Array[], options: { fromPeer?: string }): Promise<AddResult[]>;
  has(hash: string): boolean;
  txs(): readonly { bytes: Uint8Array; hash: string }[];
}

export interface TxGossipOptions {
  network: TxGossipNetwork;
  mempool: TxGossipMempool;
  /** The mempool channel id. */
  channel: number;
  /** Wait before relaying a peer's tx to other peers, default {@link DEFAULT_RELAY_DELAY_MS}. */
  relayDelayMs?: number;
}

/** What was sent and received, for tests and the bench. */
export interface TxGossipCounters {
  txsSent: number;
  txsReceived: number;
  havesSent: number;
  havesReceived: number;
  /** Txs the relay sent (peers that had not announced them). */
  txsRelayed: number;
  /** Messages that did not parse. */
  malformed: number;
}

interface Outbox {
  txs: Uint8Array[];
  txHashes: string[];
  haves: string[];
}

interface PendingRelay {
  bytes: Uint8Array;
  hash: string;
  fromPeer: string;
  dueMs: number;
}

/**
 * The mempool reactor of a node: wire it as the mempool's `onNewTx` and call {@link start}
 * once the p2p node runs. See the module comment for the rules.
 */
export class TxGossip {
  readonly counters: TxGossipCounters = {
    txsSent: 0,
    txsReceived: 0,
    havesSent: 0,
    havesReceived: 0,
    txsRelayed: 0,
    malformed: 0,
  };
  private readonly relayDelayMs: number;
  /** peer → hashes of txs it is known to have (insertion order = age). */
  private readonly known = new Map<string, Set<string>>();
  private readonly outboxes = new Map<string, Outbox>();
  private flushScheduled = false;
  private readonly relayQueue: PendingRelay[] = [];
  /**
   * Peers that disconnected and have not come back (their records are dropped). Bounded:
   * DISCONNECTED_MAX, oldest forgotten first.
   */
  private readonly disconnected = new Set<string>();
  private relayHead = 0;
  private relayTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly o: TxGossipOptions) {
    this.relayDelayMs = o.relayDelayMs ?? DEFAULT_RELAY_DELAY_MS;
  }

  /** Registers the channel handler and the peer listeners. */
  start(): void {
    this.o.network.on(this.o.channel, (peer, bytes) => this.onMessage(peer, bytes));
    this.o.network.onPeerConnected((peer) => this.onPeerConnected(peer.id));
    this.o.network.onPeerDisconnected((peer) => {
      this.known.delete(peer);
      this.outboxes.delete(peer);
      if (this.disconnected.size >= DISCONNECTED_MAX) {
        const oldest = this.disconnected.values().next();
        if (oldest.done !== true) this.disconnected.delete(oldest.value);
      }
      this.disconnected.add(peer);
    });
  }

  /** Stops the relay timer; queued sends are dropped. */
  stop(): void {
    this.stopped = true;
    if (this.relayTimer !== undefined) clearTimeout(this.relayTimer);
    this.relayTimer = undefined;
    this.outboxes.clear();
    this.relayQueue.length = 0;
    this.relayHead = 0;
  }

  /** Txs and announcements not sent yet: waiting for their relay time or in a peer's outbox. */
  get pending(): number {
    let count = this.relayQueue.length - this.relayHead;
    for (const box of this.outboxes.values()) count += box.txs.length + box.haves.length;
    return count;
  }

  /** True when `peer` is known to have the tx `hash` (uppercase hex). */
  peerHas(peer: string, hash: string): boolean {
    return this.known.get(peer)?.has(hash) === true;
  }

  /** The mempool admitted a tx (its `onNewTx`). */
  onNewTx(event: { bytes: Uint8Array; hash: string; fromPeer: string | undefined }): void {
    if (this.stopped) return;
    const { bytes, hash, fromPeer } = event;
    if (fromPeer === undefined) {
      for (const peer of this.o.network.peers()) this.queueTx(peer.id, bytes, hash);
      return;
    }
    for (const peer of this.o.network.peers()) {
      if (peer.id !== fromPeer && !this.peerHas(peer.id, hash)) this.outbox(peer.id).haves.push(hash);
    }
    this.scheduleFlush();
    this.relayQueue.push({ bytes, hash, fromPeer, dueMs: Date.now() + this.relayDelayMs });
    this.scheduleRelay();
  }

  private onMessage(peer: string, bytes: Uint8Array): void | Promise<void> {
    const message = decodeTxGossipMessage(bytes);
    if (message === null) {
      this.counters.malformed++;
      return;
    }
    if (message.kind === 'have') {
      this.counters.havesReceived += message.hashes.length;
      for (const hash of message.hashes) this.markKnown(peer, hash);
      return;
    }
    this.counters.txsReceived += message.txs.length;
    // Returned: the p2p connection stops reading while the app checks (receive backpressure).
    return this.o.mempool.addMany(message.txs, { fromPeer: peer }).then((results) => {
      for (const result of results) if (result.hash !== '') this.markKnown(peer, result.hash);
    });
  }

  /** A new connection: it gets every pending tx it is not known to have. */
  private onPeerConnected(peer: string): void {
    this.disconnected.delete(peer);
    if (this.stopped) return;
    for (const tx of this.o.mempool.txs()) this.queueTx(peer, tx.bytes, tx.hash);
  }

  private markKnown(peer: string, hash: string): void {
    // A TXS message's checks can end after its peer left: its record must not come back.
    if (this.stopped || this.disconnected.has(peer)) return;
    let set = this.known.get(peer);
    if (set === undefined) {
      set = new Set();
      this.known.set(peer, set);
    }
    if (set.has(hash)) return;
    set.add(hash);
    if (set.size > KNOWN_PER_PEER_MAX) {
      const oldest = set.values().next();
      if (oldest.done !== true) set.delete(oldest.value);
    }
  }

  private outbox(peer: string): Outbox {
    let box = this.outboxes.get(peer);
    if (box === undefined) {
      box = { txs: [], txHashes: [], haves: [] };
      this.outboxes.set(peer, box);
    }
    return box;
  }

  /** Queues the tx for `peer` unless it is known to have it; it counts as had from now on. */
  private queueTx(peer: string, bytes: Uint8Array, hash: string): boolean {
    if (this.peerHas(peer, hash)) return false;
    const box = this.outbox(peer);
    box.txs.push(bytes);
    box.txHashes.push(hash);
    this.markKnown(peer, hash);
    this.scheduleFlush();
    return true;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.stopped) return;
    for (const [peer, box] of this.outboxes) {
      this.outboxes.delete(peer);
      for (let i = 0; i < box.haves.length; i += HAVE_HASHES_MAX) {
        const hashes = box.haves.slice(i, i + HAVE_HASHES_MAX);
        if (this.o.network.send(peer, this.o.channel, encodeHaveMessage(hashes))) {
          this.counters.havesSent += hashes.length;
        }
      }
      let first = 0;
      let bytes = 0;
      for (let i = 0; i <= box.txs.length; i++) {
        const tx = box.txs[i];
        const full = bytes + (tx?.length ?? 0) > TXS_MESSAGE_BYTES_MAX || i - first === TXS_MESSAGE_TXS_MAX;
        if (i > first && (tx === undefined || full)) {
          this.sendTxs(peer, box, first, i);
          first = i;
          bytes = 0;
        }
        if (tx !== undefined) bytes += 4 + tx.length;
      }
    }
  }

  private sendTxs(peer: string, box: Outbox, from: number, to: number): void {
    if (this.o.network.send(peer, this.o.channel, encodeTxsMessage(box.txs.slice(from, to)))) {
      this.counters.txsSent += to - from;
      return;
    }
    // Not queued: the peer does not have them after all (a later relay or reconnect may send them).
    const set = this.known.get(peer);
    for (let i = from; i < to; i++) set?.delete(box.txHashes[i]!);
  }

  private scheduleRelay(): void {
    if (this.relayTimer !== undefined || this.stopped) return;
    const next = this.relayQueue[this.relayHead];
    if (next === undefined) return;
    this.relayTimer = setTimeout(
      () => {
        // Relay in the check phase, after this turn's poll phase has read what peers sent
        // meanwhile: a timer late behind a long block would otherwise run before the "have"
        // announcements that arrived during that block are read.
        setImmediate(() => {
          this.relayTimer = undefined;
          this.relayDue();
          this.scheduleRelay();
        });
      },
      Math.max(0, next.dueMs - Date.now()),
    );
  }

  private relayDue(): void {
    if (this.stopped) return;
    const now = Date.now();
    const peers = this.o.network.peers();
    while (this.relayHead < this.relayQueue.length) {
      const entry = this.relayQueue[this.relayHead]!;
      if (entry.dueMs > now) break;
      this.relayHead++;
      // Committed or evicted meanwhile: peers that need it no longer do.
      if (!this.o.mempool.has(entry.hash)) continue;
      for (const peer of peers) {
        if (peer.id === entry.fromPeer) continue;
        if (this.queueTx(peer.id, entry.bytes, entry.hash)) this.counters.txsRelayed++;
      }
    }
    if (this.relayHead === this.relayQueue.length) {
      this.relayQueue.length = 0;
      this.relayHead = 0;
    } else if (this.relayHead > 1024) {
      this.relayQueue.splice(0, this.relayHead);
      this.relayHead = 0;
    }
  }
}
