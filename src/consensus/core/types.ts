// Messages, inputs and effects of the consensus core (malachite's Input/Effect split). The core
// is generic over the proposed value: it sees a 32-byte id and opaque bytes, nothing more.
import type { ValidatorSet } from './validator-set.js';

/** Steps of a round (paper §3: propose, prevote, precommit), plus the core's waiting states. */
export type RoundStep = 'propose' | 'prevote' | 'precommit';
export type CoreStep = RoundStep | 'idle' | 'decided';
export type VoteType = 'prevote' | 'precommit';

/** A proposed value: `id` is its 32-byte hash (what votes carry), `bytes` opaque to the core. */
export interface Value {
  readonly id: Uint8Array;
  readonly bytes: Uint8Array;
}

/** A signed ⟨PROPOSAL, h, r, v, vr⟩ (paper L19). `polRound` is vr: -1 when no proof of lock. */
export interface SignedProposal {
  readonly height: number;
  readonly round: number;
  readonly polRound: number;
  readonly value: Value;
  /** Lower-case hex of the proposer's 20-byte address. */
  readonly proposerAddress: string;
  readonly signature: Uint8Array;
}

/** A signed ⟨PREVOTE|PRECOMMIT, h, r, id(v) or nil⟩. */
export interface SignedVote {
  readonly type: VoteType;
  readonly height: number;
  readonly round: number;
  /** null is the nil vote. */
  readonly valueId: Uint8Array | null;
  readonly validatorAddress: string;
  readonly signature: Uint8Array;
}

/** The double-sign guard's record: the last height/round/step this validator signed. */
export interface SignedStateRecord {
  readonly height: number;
  readonly round: number;
  /** 1 proposal, 2 prevote, 3 precommit (CometBFT's stepPropose/Prevote/Precommit). */
  readonly step: SignStep;
  readonly signBytes: Uint8Array;
  readonly signature: Uint8Array;
}
export type SignStep = 1 | 2 | 3;

export type Input =
  | { readonly kind: 'StartHeight'; readonly height: number; readonly validatorSet: ValidatorSet }
  | { readonly kind: 'ProposalReceived'; readonly proposal: SignedProposal }
  | { readonly kind: 'VoteReceived'; readonly vote: SignedVote }
  | {
      readonly kind: 'TimeoutElapsed';
      readonly step: RoundStep;
      readonly height: number;
      readonly round: number;
    }
  | { readonly kind: 'ValueReady'; readonly height: number; readonly round: number; readonly value: Value }
  /**
   * A decided value with its commit (+2/3 precommits), from a peer that already decided this
   * height (block sync). Needed because the vote set keeps an equivocator's FIRST vote: a node
   * may never count the precommits that decided elsewhere, and the deciders have moved on.
   */
  | {
      readonly kind: 'CommitReceived';
      readonly height: number;
      readonly round: number;
      readonly value: Value;
      readonly commit: readonly SignedVote[];
    }
  | {
      readonly kind: 'ValueValidated';
      readonly height: number;
      readonly valueId: Uint8Array;
      readonly valid: boolean;
    };

/** Evidence of equivocation: two different signed messages for the same (h, r, type). */
export type Evidence =
  | { readonly kind: 'DuplicateVote'; readonly first: SignedVote; readonly second: SignedVote }
  | {
      readonly kind: 'DuplicateProposal';
      readonly first: SignedProposal;
      readonly second: SignedProposal;
    };

/** Why a message was dropped at the boundary of apply (never counted). */
export type DropReason =
  | 'BAD_SIGNATURE'
  | 'NOT_A_VALIDATOR'
  | 'WRONG_PROPOSER'
  | 'MALFORMED'
  | 'VALUE_ID_MISMATCH'
  | 'INVALID_COMMIT'
  | 'DOUBLE_SIGN_REFUSED';

export type Effect =
  | { readonly kind: 'BroadcastProposal'; readonly proposal: SignedProposal }
  | { readonly kind: 'BroadcastVote'; readonly vote: SignedVote }
  | {
      readonly kind: 'ScheduleTimeout';
      readonly step: RoundStep;
      readonly height: number;
      readonly round: number;
      readonly durationMs: number;
    }
  | { readonly kind: 'GetValue'; readonly height: number; readonly round: number }
  | { readonly kind: 'ValidateValue'; readonly height: number; readonly value: Value }
  | {
      readonly kind: 'Decide';
      readonly height: number;
      readonly round: number;
      readonly value: Value;
      /** The +2/3 (by voting power) precommits for value.id at `round`. */
      readonly commit: readonly SignedVote[];
    }
  /** Must be durable BEFORE the driver executes any later effect of the same apply (a broadcast). */
  | {
      readonly kind: 'PersistSignedState';
      readonly record: SignedStateRecord;
      readonly message: OwnSignedMessage;
    }
  | { readonly kind: 'Evidence'; readonly evidence: Evidence }
  | { readonly kind: 'Dropped'; readonly reason: DropReason; readonly detail: string };

export type OwnSignedMessage =
  | { readonly kind: 'proposal'; readonly proposal: SignedProposal }
  | { readonly kind: 'vote'; readonly vote: SignedVote };

/** The private validator: signs sign bytes (deterministic ed25519, no I/O). */
export interface Signer {
  readonly address: string;
  sign(signBytes: Uint8Array): Uint8Array;
}

/** Timeouts grow linearly with the round (paper §4: timeoutX(r) = initTimeoutX + r·timeoutDelta). */
export interface TimeoutConfig {
  readonly proposeMs: number;
  readonly proposeDeltaMs: number;
  readonly prevoteMs: number;
  readonly prevoteDeltaMs: number;
  readonly precommitMs: number;
  readonly precommitDeltaMs: number;
}

export const DEFAULT_TIMEOUTS: TimeoutConfig = {
  proposeMs: 3000,
  proposeDeltaMs: 500,
  prevoteMs: 1000,
  prevoteDeltaMs: 500,
  precommitMs: 1000,
  precommitDeltaMs: 500,
};

/** Test-only fault injection, used to prove the simulator catches broken rules. Never set in production. */
export interface UnsafeTestFaults {
  /** Prevote for any valid proposal, ignoring lockedValue/lockedRound (breaks L23/L29). */
  readonly ignoreLock?: boolean;
  /** Treat half the voting power as a quorum instead of more than two thirds (breaks every 2f+1). */
  readonly halfQuorum?: boolean;
}

export interface CoreConfig {
  readonly chainId: string;
  /** null: an observer that follows consensus without signing. */
  readonly signer: Signer | null;
  readonly timeouts?: TimeoutConfig;
  /** Rounds above the current one whose messages are stored in full (bounded memory). */
  readonly futureRoundsMax?: number;
  /** Verifies an ed25519 signature; injectable so the simulator can memoize. */
  readonly verifySignature?: (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array) => boolean;
  /** Computes a value's id from its bytes (default sha256). */
  readonly hashValue?: (bytes: Uint8Array) => Uint8Array;
  readonly unsafeTestFaults?: UnsafeTestFaults;
}
