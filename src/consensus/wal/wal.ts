// The consensus write-ahead log (cometbft consensus/wal.go and replay.go, reshaped for a pure
// core). The host appends every input BEFORE applying it, and every message it signed (from the
// PersistSignedState effect) BEFORE releasing it. After a crash, replaying the entries since the
// last StartHeight through apply() rebuilds the exact state: the core is deterministic, so the
// same inputs produce the same sign requests, which the own-signed entries answer with the
// signatures already released (never a new, conflicting one).
import { proposalSignBytes, voteSignBytes } from '../core/messages.js';
import { voteStep } from '../core/sign-bytes.js';
import type { ApplyResult, ConsensusCore, OwnSignature } from '../core/apply.js';
import type { Effect, Input, OwnSignedMessage, SignedStateRecord } from '../core/types.js';

export type WalEntry =
  | { readonly kind: 'input'; readonly input: Input }
  | { readonly kind: 'signed'; readonly message: OwnSignedMessage };

export interface AppendOptions {
  /**
   * Durable before append() returns (default true). False for entries whose loss in an OS crash
   * cannot make the node contradict a message it released (peers' messages, CometBFT's `Write`
   * vs `WriteSync`): the next synced append makes them durable too.
   */
  sync?: boolean;
  /**
   * The entry's bytes as a peer sent them (a consensus message is encodeWalEntry of the entry
   * it carries, ADR 009 §5, and was decoded into `entry`): written as they are instead of being
   * encoded again (a proposal is a whole block). Replay decodes them into the same entry.
   */
  encoded?: Uint8Array;
}

/** An append-only log of consensus entries. append() returns once the entry is durable (unless `sync: false`). */
export interface Wal {
  append(entry: WalEntry, options?: AppendOptions): void;
  /** Every durable entry, oldest first (a torn tail is dropped, not reported). */
  replay(): WalEntry[];
}

/** The simulator's WAL: durable for as long as the simulated disk (the object) lives. */
export class MemoryWal implements Wal {
  private readonly entries: WalEntry[] = [];

  append(entry: WalEntry): void {
    this.entries.push(entry);
  }

  replay(): WalEntry[] {
    return [...this.entries];
  }

  get length(): number {
    return this.entries.length;
  }

  /** Keeps the first `length` entries: the simulator's model of a lost WAL tail or file. */
  truncate(length: number): void {
    this.entries.length = Math.max(0, Math.min(length, this.entries.length));
  }
}

/**
 * Rebuilds a restarted validator's state: a fresh core state with the persisted signed-state
 * record, the own signatures of the WAL preloaded, then every input since the last StartHeight
 * re-applied. Returns the final state and all effects produced during replay: the host executes
 * them again (re-broadcasting our messages and re-arming timers is harmless; Decide must be
 * idempotent in the host).
 */
export function replayWal(
  core: ConsensusCore,
  lastSigned: SignedStateRecord | null,
  entries: readonly WalEntry[],
): ApplyResult {
  let start = 0;
  entries.forEach((entry, i) => {
    if (entry.kind === 'input' && entry.input.kind === 'StartHeight') start = i;
  });
  const tail = entries.slice(start);
  const ownSigned = new Map<string, OwnSignature>();
  const chainId = core.config.chainId;
  for (const entry of tail) {
    if (entry.kind !== 'signed') continue;
    const m = entry.message;
    if (m.kind === 'proposal') {
      const p = m.proposal;
      ownSigned.set(`${p.height}/${p.round}/1`, {
        signBytes: proposalSignBytes(chainId, p),
        signature: p.signature,
      });
    } else {
      const v = m.vote;
      ownSigned.set(`${v.height}/${v.round}/${voteStep(v.type)}`, {
        signBytes: voteSignBytes(chainId, v),
        signature: v.signature,
      });
    }
  }
  let state = core.initialState(lastSigned, ownSigned);
  const effects: Effect[] = [];
  for (const entry of tail) {
    if (entry.kind !== 'input') continue;
    const result = core.apply(state, entry.input);
    state = result.state;
    effects.push(...result.effects);
  }
  return { state, effects };
}
