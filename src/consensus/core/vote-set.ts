// Votes of one (height, round, type), keyed by validator: a duplicate is ignored, a second
// different vote from the same validator is equivocation: the first vote stays the validator's
// vote of record (it alone counts toward "+2/3 of anything", L34/L47), both are returned as
// evidence, and the second is retained (one per validator, bounded) and counts toward ITS value's
// quorum too. That is the paper's counting ("2f+1 ⟨PREVOTE, h, r, id(v)⟩ received", whoever else
// the sender told what), and it is safe: two +2/3 quorums intersect in > 1/3 of the power, so in
// a correct validator, which never votes twice. Without it, an equivocator that showed value v to
// one node and nil to the rest leaves that node's POL unprovable to the others forever (CometBFT
// solves the same problem with peers' "maj23" claims). A third different vote is evidence only.
// Tallies are by voting power, never by count.
import { bytesToHex } from '../../crypto/index.js';
import type { SignedVote, VoteType } from './types.js';

/** Key of a vote's value in tallies: the value id's hex, or 'nil'. */
export function valueKey(valueId: Uint8Array | null): string {
  return valueId === null ? 'nil' : bytesToHex(valueId);
}

export type AddVoteResult =
  | { readonly kind: 'added' }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'conflict'; readonly first: SignedVote; readonly retained: boolean };

/** +2/3 of the total voting power: 3·power > 2·total (paper: "2f+1"). */
export function isQuorum(power: bigint, total: bigint): boolean {
  return 3n * power > 2n * total;
}

/** More than 1/3 of the total voting power (paper: "f+1"): at least one correct validator. */
export function isOneThird(power: bigint, total: bigint): boolean {
  return 3n * power > total;
}

export class VoteSet {
  readonly type: VoteType;
  readonly round: number;
  private readonly votes: Map<string, SignedVote>;
  private readonly conflicting: Map<string, SignedVote>;
  private readonly powerByValue: Map<string, bigint>;
  private power: bigint;

  constructor(type: VoteType, round: number, from?: VoteSet) {
    this.type = type;
    this.round = round;
    this.votes = new Map(from?.votes);
    this.conflicting = new Map(from?.conflicting);
    this.powerByValue = new Map(from?.powerByValue);
    this.power = from?.power ?? 0n;
  }

  clone(): VoteSet {
    return new VoteSet(this.type, this.round, this);
  }

  /** Adds a vote already checked (signature, membership, h/r/type) with its validator's power. */
  add(vote: SignedVote, votingPower: bigint): AddVoteResult {
    const key = valueKey(vote.valueId);
    const existing = this.votes.get(vote.validatorAddress);
    if (existing === undefined) {
      this.votes.set(vote.validatorAddress, vote);
      this.powerByValue.set(key, (this.powerByValue.get(key) ?? 0n) + votingPower);
      this.power += votingPower;
      return { kind: 'added' };
    }
    const second = this.conflicting.get(vote.validatorAddress);
    if (valueKey(existing.valueId) === key || (second !== undefined && valueKey(second.valueId) === key)) {
      return { kind: 'duplicate' };
    }
    if (second !== undefined) return { kind: 'conflict', first: existing, retained: false };
    this.conflicting.set(vote.validatorAddress, vote);
    this.powerByValue.set(key, (this.powerByValue.get(key) ?? 0n) + votingPower);
    return { kind: 'conflict', first: existing, retained: true };
  }

  /** Total power of the validators that voted (each once: the paper's ⟨·, h, r, ∗⟩). */
  get totalPower(): bigint {
    return this.power;
  }

  powerFor(valueId: Uint8Array | null): bigint {
    return this.powerByValue.get(valueKey(valueId)) ?? 0n;
  }

  /** The votes for one value, one per validator (e.g. a commit: the precommits for the decided value). */
  votesFor(valueId: Uint8Array | null): SignedVote[] {
    const key = valueKey(valueId);
    return [...this.votes.values(), ...this.conflicting.values()].filter((v) => valueKey(v.valueId) === key);
  }

  addresses(): IterableIterator<string> {
    return this.votes.keys();
  }

  /** Every vote held, first votes then retained conflicting ones (for gossip). */
  all(): SignedVote[] {
    return [...this.votes.values(), ...this.conflicting.values()];
  }
}

/** Prevotes and precommits of one round. */
export interface RoundVotes {
  readonly prevote: VoteSet;
  readonly precommit: VoteSet;
}

export function emptyRoundVotes(round: number): RoundVotes {
  return { prevote: new VoteSet('prevote', round), precommit: new VoteSet('precommit', round) };
}
