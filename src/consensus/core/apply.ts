// Tendermint consensus, Algorithm 1 of "The latest gossip on BFT consensus" (Buchman, Kwon,
// Milosevic 2018), as a pure function apply(state, input) → { state, effects }. No clocks, no
// randomness, no I/O: time arrives as TimeoutElapsed, the app's answers as ValueReady /
// ValueValidated, and everything the host must do leaves as an Effect. Each rule names the
// paper's line (`// L22`). The upon-rules are re-evaluated after every input until none fires
// (the paper executes them atomically, and one rule can enable another).
//
// Deviations from the paper, all for a real network with bounded memory:
//  - messages of other heights are ignored (gossip re-sends them; a lagging node catches up from
//    a peer's commit, which arrives as an ordinary proposal plus precommits: L49 any round);
//  - rounds above round_p + futureRoundsMax are not stored; their signed votes only update a
//    per-validator "highest far round" table (N entries). L55 fires on f+1 power of messages in
//    one stored round, or on f+1 power of validators seen at rounds >= r* (each such message is
//    signed, so at least one correct validator reached r*);
//  - at most 2 proposals per round are kept (the second is kept as well as reported, so a node
//    can still decide on whichever value the equivocating proposer's quorum chose);
//  - an equivocator's second vote is retained and counts toward its own value (vote-set.ts);
//  - CommitReceived (block sync) decides from a verified +2/3 commit, the path a node takes when
//    the deciders have moved on (docs/adr/004-consensus-core.md);
//  - the proposer also schedules timeoutPropose (L21 names only non-proposers), so a proposer
//    whose app never answers GetValue, or whose guard refuses to sign, still moves on.
import { bytesToHex, ed25519Verify, sha256 } from '../../crypto/index.js';
import { assert } from '../errors.js';
import { checkProposalShape, checkVoteShape, proposalSignBytes, voteSignBytes } from './messages.js';
import { voteStep } from './sign-bytes.js';
import type {
  CoreConfig,
  CoreStep,
  DropReason,
  Effect,
  Input,
  RoundStep,
  SignedProposal,
  SignedStateRecord,
  SignedVote,
  SignStep,
  TimeoutConfig,
  Value,
  VoteType,
} from './types.js';
import { DEFAULT_TIMEOUTS } from './types.js';
import type { ValidatorSet } from './validator-set.js';
import type { VoteSet } from './vote-set.js';
import { emptyRoundVotes, isOneThird, isQuorum as isTwoThirds, type RoundVotes } from './vote-set.js';

export const DEFAULT_FUTURE_ROUNDS_MAX = 8;
/** Proposals kept per round: the first and one conflicting one (enough to report and to decide). */
export const PROPOSALS_PER_ROUND_MAX = 2;
/** Upper bound on rule firings per input: each rule fires at most once per round step. */
const RULE_FIRINGS_MAX = 64;

/** A signature this validator released, kept per (height, round, step) for replay after a restart. */
export interface OwnSignature {
  readonly signBytes: Uint8Array;
  readonly signature: Uint8Array;
}

/** The core's whole state. Treat as immutable: apply() never mutates the state it is given. */
export interface ConsensusState {
  readonly height: number;
  readonly round: number;
  readonly step: CoreStep;
  readonly validatorSet: ValidatorSet | null;
  readonly lockedValue: Value | null;
  readonly lockedRound: number;
  readonly validValue: Value | null;
  readonly validRound: number;
  readonly decision: Value | null;
  /** A verified commit from a peer, waiting for the app to validate its value. */
  readonly pendingCommit: {
    readonly round: number;
    readonly value: Value;
    readonly commit: readonly SignedVote[];
  } | null;
  /** Proposals of this height by round, first received first. */
  readonly proposals: ReadonlyMap<number, readonly SignedProposal[]>;
  readonly votes: ReadonlyMap<number, RoundVotes>;
  /** validator address → highest round seen beyond the stored window (this height). */
  readonly farRounds: ReadonlyMap<string, number>;
  /** value id hex → the app's processProposal answer. */
  readonly validity: ReadonlyMap<string, boolean>;
  readonly validationRequested: ReadonlySet<string>;
  /** "for the first time" flags of L34, L36, L47 for round_p. */
  readonly prevoteTimeoutScheduled: boolean;
  readonly precommitTimeoutScheduled: boolean;
  readonly lockRuleFired: boolean;
  /** The double-sign guard: the last signed height/round/step (persisted by the host). */
  readonly lastSigned: SignedStateRecord | null;
  /** "h/r/step" → what we signed there (this height and above), rebuilt from the WAL on restart. */
  readonly ownSigned: ReadonlyMap<string, OwnSignature>;
}

export interface ApplyResult {
  readonly state: ConsensusState;
  readonly effects: Effect[];
}

export interface ConsensusCore {
  readonly config: CoreConfig;
  /** The state before the first StartHeight, given the persisted signed-state record. */
  initialState(
    lastSigned: SignedStateRecord | null,
    ownSigned?: ReadonlyMap<string, OwnSignature>,
  ): ConsensusState;
  /** The transition function (pure): never throws on peer input; drops and reports it instead. */
  apply(state: ConsensusState, input: Input): ApplyResult;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
interface Draft extends Mutable<
  Omit<ConsensusState, 'proposals' | 'votes' | 'farRounds' | 'validity' | 'validationRequested' | 'ownSigned'>
> {
  proposals: Map<number, SignedProposal[]>;
  votes: Map<number, RoundVotes>;
  farRounds: Map<string, number>;
  validity: Map<string, boolean>;
  validationRequested: Set<string>;
  ownSigned: Map<string, OwnSignature>;
}

function ownKey(height: number, round: number, step: SignStep): string {
  return `${height}/${round}/${step}`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameValueId(a: Value | null, id: Uint8Array): boolean {
  return a !== null && sameBytes(a.id, id);
}

/** Compares (h, r, step) triples: the guard's order. */
function compareHrs(
  h: number,
  r: number,
  s: number,
  o: { height: number; round: number; step: number },
): number {
  if (h !== o.height) return h < o.height ? -1 : 1;
  if (r !== o.round) return r < o.round ? -1 : 1;
  return s === o.step ? 0 : s < o.step ? -1 : 1;
}

/**
 * Creates the consensus core for one validator (or observer, with `signer: null`).
 * The signer is an injected dependency rather than an effect: ed25519 signing is deterministic
 * and local, so apply() stays a function of (state, input); see docs/adr/004-consensus-core.md.
 */
export function createConsensusCore(config: CoreConfig): ConsensusCore {
  const chainId = config.chainId;
  const signer = config.signer;
  const timeouts: TimeoutConfig = config.timeouts ?? DEFAULT_TIMEOUTS;
  const futureRoundsMax = config.futureRoundsMax ?? DEFAULT_FUTURE_ROUNDS_MAX;
  const verify = config.verifySignature ?? ed25519Verify;
  const hashValue = config.hashValue ?? sha256;
  const ignoreLock = config.unsafeTestFaults?.ignoreLock === true;
  const isQuorum =
    config.unsafeTestFaults?.halfQuorum === true
      ? (power: bigint, total: bigint): boolean => 2n * power >= total
      : isTwoThirds;
  // Fail fast on a bad chain id (a configuration error), not on the first signature.
  voteSignBytes(chainId, { type: 'prevote', height: 1, round: 0, valueId: null });

  function initialState(
    lastSigned: SignedStateRecord | null,
    ownSigned: ReadonlyMap<string, OwnSignature> = new Map(),
  ): ConsensusState {
    return {
      height: 0,
      round: 0,
      step: 'idle',
      validatorSet: null,
      lockedValue: null,
      lockedRound: -1,
      validValue: null,
      validRound: -1,
      decision: null,
      pendingCommit: null,
      proposals: new Map(),
      votes: new Map(),
      farRounds: new Map(),
      validity: new Map(),
      validationRequested: new Set(),
      prevoteTimeoutScheduled: false,
      precommitTimeoutScheduled: false,
      lockRuleFired: false,
      lastSigned,
      ownSigned: new Map(ownSigned),
    };
  }

  function apply(state: ConsensusState, input: Input): ApplyResult {
    const d: Draft = {
      ...state,
      proposals: new Map(state.proposals as Map<number, SignedProposal[]>),
      votes: new Map(state.votes),
      farRounds: new Map(state.farRounds),
      validity: new Map(state.validity),
      validationRequested: new Set(state.validationRequested),
      ownSigned: new Map(state.ownSigned),
    };
    const fx: Effect[] = [];
    const touched = new Set<VoteSet>();
    const run = new Run(d, fx, touched);
    run.handle(input);
    run.evaluateRules();
    return { state: d, effects: fx };
  }

  /** One apply() call's working context: the draft state and the effects emitted so far. */
  class Run {
    constructor(
      private readonly d: Draft,
      private readonly fx: Effect[],
      private readonly touched: Set<VoteSet>,
    ) {}

    handle(input: Input): void {
      switch (input.kind) {
        case 'StartHeight':
          return this.onStartHeight(input.height, input.validatorSet);
        case 'ProposalReceived':
          return this.onProposal(input.proposal);
        case 'VoteReceived':
          return this.onVote(input.vote);
        case 'TimeoutElapsed':
          return this.onTimeout(input.step, input.height, input.round);
        case 'ValueReady':
          return this.onValueReady(input.height, input.round, input.value);
        case 'CommitReceived':
          return this.onCommit(input.height, input.round, input.value, input.commit);
        case 'ValueValidated':
          if (input.height === this.d.height && this.d.step !== 'idle') {
            this.d.validity.set(bytesToHex(input.valueId), input.valid);
          }
          return;
      }
    }

    private get active(): boolean {
      return this.d.step === 'propose' || this.d.step === 'prevote' || this.d.step === 'precommit';
    }

    private get set(): ValidatorSet {
      assert(this.d.validatorSet !== null, 'validator set present once a height started');
      return this.d.validatorSet;
    }

    private drop(reason: DropReason, detail: string): void {
      this.fx.push({ kind: 'Dropped', reason, detail });
    }

    // ---- inputs ----------------------------------------------------------------------------

    private onStartHeight(height: number, validatorSet: ValidatorSet): void {
      const d = this.d;
      if (!Number.isSafeInteger(height) || height <= d.height) return; // stale or replayed twice
      d.height = height;
      d.validatorSet = validatorSet;
      // L54: reset locked/valid values and the message log for the new height.
      d.lockedValue = null;
      d.lockedRound = -1;
      d.validValue = null;
      d.validRound = -1;
      d.decision = null;
      d.pendingCommit = null;
      d.proposals = new Map();
      d.votes = new Map();
      d.farRounds = new Map();
      d.validity = new Map();
      d.validationRequested = new Set();
      for (const key of [...d.ownSigned.keys()]) {
        if (Number(key.split('/')[0]) < height) d.ownSigned.delete(key);
      }
      this.startRound(0); // L10 / L54
    }

    private onProposal(p: SignedProposal): void {
      const shape = checkProposalShape(p);
      if (shape !== null) return this.drop('MALFORMED', `proposal: ${shape}`);
      const d = this.d;
      if (!this.active || p.height !== d.height) return; // other heights: ignored (see header)
      if (p.round > d.round + futureRoundsMax) return; // bounded memory
      const expected = this.set.proposerForRound(p.round);
      if (p.proposerAddress !== expected.address) {
        const member = this.set.getByAddress(p.proposerAddress) !== undefined;
        return this.drop(member ? 'WRONG_PROPOSER' : 'NOT_A_VALIDATOR', `proposal h${p.height}/r${p.round}`);
      }
      if (!verify(proposalSignBytes(chainId, p), p.signature, expected.publicKey)) {
        return this.drop('BAD_SIGNATURE', `proposal h${p.height}/r${p.round} from ${p.proposerAddress}`);
      }
      if (!sameBytes(hashValue(p.value.bytes), p.value.id)) {
        return this.drop('VALUE_ID_MISMATCH', `proposal h${p.height}/r${p.round}`);
      }
      const existing = d.proposals.get(p.round) ?? [];
      if (existing.some((q) => sameBytes(q.value.id, p.value.id) && q.polRound === p.polRound)) return;
      const first = existing[0];
      if (first !== undefined) {
        this.fx.push({ kind: 'Evidence', evidence: { kind: 'DuplicateProposal', first, second: p } });
        if (existing.length >= PROPOSALS_PER_ROUND_MAX) return;
      }
      d.proposals.set(p.round, [...existing, p]);
      this.requestValidation(p.value);
    }

    private requestValidation(value: Value): void {
      const key = bytesToHex(value.id);
      if (this.d.validity.has(key) || this.d.validationRequested.has(key)) return;
      this.d.validationRequested.add(key);
      this.fx.push({ kind: 'ValidateValue', height: this.d.height, value });
    }

    private onVote(v: SignedVote): void {
      const shape = checkVoteShape(v);
      if (shape !== null) return this.drop('MALFORMED', `vote: ${shape}`);
      const d = this.d;
      if (!this.active || v.height !== d.height) return;
      const validator = this.set.getByAddress(v.validatorAddress);
      if (validator === undefined) return this.drop('NOT_A_VALIDATOR', `vote from ${v.validatorAddress}`);
      if (v.round > d.round + futureRoundsMax) {
        const known = d.farRounds.get(v.validatorAddress) ?? -1;
        if (v.round <= known) return;
        if (!verify(voteSignBytes(chainId, v), v.signature, validator.publicKey)) {
          return this.drop('BAD_SIGNATURE', `${v.type} h${v.height}/r${v.round} from ${v.validatorAddress}`);
        }
        d.farRounds.set(v.validatorAddress, v.round);
        return;
      }
      if (!verify(voteSignBytes(chainId, v), v.signature, validator.publicKey)) {
        return this.drop('BAD_SIGNATURE', `${v.type} h${v.height}/r${v.round} from ${v.validatorAddress}`);
      }
      this.addVote(v, validator.votingPower);
    }

    private addVote(v: SignedVote, power: bigint): void {
      const result = this.voteSet(v.round, v.type).add(v, power);
      if (result.kind === 'conflict') {
        this.fx.push({
          kind: 'Evidence',
          evidence: { kind: 'DuplicateVote', first: result.first, second: v },
        });
      }
    }

    /** The (copy-on-write) vote set of (round, type) of this draft. */
    private voteSet(round: number, type: VoteType): VoteSet {
      const votes = this.d.votes.get(round) ?? emptyRoundVotes(round);
      let set = votes[type];
      if (!this.touched.has(set)) {
        set = set.clone();
        this.touched.add(set);
        this.d.votes.set(
          round,
          type === 'prevote' ? { ...votes, prevote: set } : { ...votes, precommit: set },
        );
      }
      return set;
    }

    /** Block-sync path to L49: +2/3 precommits for `value` at `round`, each checked here. */
    private onCommit(height: number, round: number, value: Value, commit: readonly SignedVote[]): void {
      const d = this.d;
      if (!this.active || height !== d.height || d.pendingCommit !== null) return;
      const votes: readonly SignedVote[] = commit;
      if (!Number.isInteger(round) || round < 0 || !(votes.length <= this.set.size)) {
        return this.drop('MALFORMED', `commit h${height}`);
      }
      if (
        !(value?.id instanceof Uint8Array) ||
        !(value.bytes instanceof Uint8Array) ||
        !sameBytes(hashValue(value.bytes), value.id)
      ) {
        return this.drop('VALUE_ID_MISMATCH', `commit h${height}/r${round}`);
      }
      const seen = new Set<string>();
      let power = 0n;
      for (const vote of commit) {
        const validator =
          checkVoteShape(vote) === null ? this.set.getByAddress(vote.validatorAddress) : undefined;
        const ok =
          validator !== undefined &&
          !seen.has(vote.validatorAddress) &&
          vote.type === 'precommit' &&
          vote.height === height &&
          vote.round === round &&
          vote.valueId !== null &&
          sameBytes(vote.valueId, value.id) &&
          verify(voteSignBytes(chainId, vote), vote.signature, validator.publicKey);
        if (!ok) return this.drop('INVALID_COMMIT', `commit h${height}/r${round}: a precommit is invalid`);
        seen.add(vote.validatorAddress);
        power += validator.votingPower;
      }
      if (!isQuorum(power, this.total()))
        return this.drop('INVALID_COMMIT', `commit h${height}/r${round}: not +2/3`);
      d.pendingCommit = { round, value, commit: [...votes] };
      // A value this node refused as a proposal may have been refused for a local reason (its
      // header time ahead of our clock, ADR 011): now that +2/3 committed it, ask again; the host
      // validates a committed value without the timeliness rule (a value invalid for every node
      // stays invalid, and the node halts there as before).
      const key = bytesToHex(value.id);
      if (d.validity.get(key) === false) {
        d.validity.delete(key);
        d.validationRequested.delete(key);
      }
      this.requestValidation(value);
    }

    private onTimeout(step: RoundStep, height: number, round: number): void {
      const d = this.d;
      if (height !== d.height || round !== d.round || !this.active) return;
      if (step === 'propose' && d.step === 'propose') {
        // L57-60 OnTimeoutPropose: prevote nil.
        this.vote('prevote', null);
        d.step = 'prevote';
      } else if (step === 'prevote' && d.step === 'prevote') {
        // L61-64 OnTimeoutPrevote: precommit nil.
        this.vote('precommit', null);
        d.step = 'precommit';
      } else if (step === 'precommit') {
        // L65-67 OnTimeoutPrecommit: next round.
        this.startRound(d.round + 1);
      }
    }

    private onValueReady(height: number, round: number, value: Value): void {
      const d = this.d;
      if (height !== d.height || round !== d.round || d.step !== 'propose') return;
      if (signer === null || this.set.proposerForRound(round).address !== signer.address) return;
      const own = signer.address;
      if ((d.proposals.get(round) ?? []).some((p) => p.proposerAddress === own)) return; // already proposed
      if (!sameBytes(hashValue(value.bytes), value.id)) {
        return this.drop(
          'VALUE_ID_MISMATCH',
          `own value h${height}/r${round}: id is not the hash of its bytes`,
        );
      }
      // L15-18: a validValue learned while waiting for the app still takes precedence.
      if (d.validValue !== null) this.propose(d.validValue, d.validRound);
      else this.propose(value, -1);
    }

    // ---- round transitions and signing ------------------------------------------------------

    /** L11-21 StartRound(round). */
    private startRound(round: number): void {
      const d = this.d;
      d.round = round;
      d.step = 'propose';
      d.prevoteTimeoutScheduled = false;
      d.precommitTimeoutScheduled = false;
      d.lockRuleFired = false;
      for (const [address, r] of d.farRounds) if (r <= round + futureRoundsMax) d.farRounds.delete(address);
      if (signer !== null && this.set.proposerForRound(round).address === signer.address) {
        if (d.validValue !== null) {
          this.propose(d.validValue, d.validRound); // L15-16: re-propose validValue with its POL round
        } else {
          this.fx.push({ kind: 'GetValue', height: d.height, round }); // L18: proposal ← getValue()
        }
      }
      // L21 (and for the proposer too, see header).
      this.schedule('propose', timeouts.proposeMs + round * timeouts.proposeDeltaMs);
    }

    private schedule(step: RoundStep, durationMs: number): void {
      this.fx.push({ kind: 'ScheduleTimeout', step, height: this.d.height, round: this.d.round, durationMs });
    }

    /**
     * The double-sign guard. Returns the signature, or null when signing would conflict with a
     * signature already released (per the WAL's own-signed entries or the persisted record).
     */
    private sign(step: SignStep, signBytes: Uint8Array): Uint8Array | null {
      if (signer === null) return null;
      const d = this.d;
      const key = ownKey(d.height, d.round, step);
      const own = d.ownSigned.get(key);
      if (own !== undefined) {
        if (sameBytes(own.signBytes, signBytes)) return own.signature; // replay: same message again
        this.drop(
          'DOUBLE_SIGN_REFUSED',
          `h${d.height}/r${d.round}/step${step}: already signed a different message`,
        );
        return null;
      }
      const last = d.lastSigned;
      if (last !== null) {
        const order = compareHrs(d.height, d.round, step, last);
        if (order === 0 && sameBytes(last.signBytes, signBytes)) return last.signature;
        if (order <= 0) {
          this.drop(
            'DOUBLE_SIGN_REFUSED',
            `h${d.height}/r${d.round}/step${step}: not above the last signed step`,
          );
          return null;
        }
      }
      const signature = signer.sign(signBytes);
      const record: SignedStateRecord = { height: d.height, round: d.round, step, signBytes, signature };
      d.lastSigned = record;
      d.ownSigned.set(key, { signBytes, signature });
      return signature;
    }

    private propose(value: Value, polRound: number): void {
      assert(signer !== null, 'only a signer proposes');
      const d = this.d;
      const unsigned = { height: d.height, round: d.round, polRound, value };
      const before = d.lastSigned;
      const signature = this.sign(1, proposalSignBytes(chainId, unsigned));
      if (signature === null) return;
      const proposal: SignedProposal = { ...unsigned, proposerAddress: signer.address, signature };
      if (d.lastSigned !== before) {
        // PersistSignedState precedes the broadcast: the host makes it durable first.
        this.fx.push({
          kind: 'PersistSignedState',
          record: d.lastSigned as SignedStateRecord,
          message: { kind: 'proposal', proposal },
        });
      }
      const key = bytesToHex(value.id);
      d.validity.set(key, d.validity.get(key) ?? true); // our own app built it
      const existing = d.proposals.get(d.round) ?? [];
      if (!existing.some((q) => sameBytes(q.signature, signature)))
        d.proposals.set(d.round, [...existing, proposal]);
      this.fx.push({ kind: 'BroadcastProposal', proposal });
    }

    private vote(type: VoteType, valueId: Uint8Array | null): void {
      if (signer === null) return;
      const d = this.d;
      const unsigned = { type, height: d.height, round: d.round, valueId };
      const signBytes = voteSignBytes(chainId, unsigned);
      const before = d.lastSigned;
      const signature = this.sign(voteStep(type), signBytes);
      if (signature === null) return;
      const vote: SignedVote = { ...unsigned, validatorAddress: signer.address, signature };
      if (d.lastSigned !== before) {
        this.fx.push({
          kind: 'PersistSignedState',
          record: d.lastSigned as SignedStateRecord,
          message: { kind: 'vote', vote },
        });
      }
      const me = this.set.getByAddress(signer.address);
      if (me !== undefined) this.addVote(vote, me.votingPower);
      this.fx.push({ kind: 'BroadcastVote', vote });
    }

    // ---- upon rules --------------------------------------------------------------------------

    evaluateRules(): void {
      for (let i = 0; i < RULE_FIRINGS_MAX; i++) {
        if (!this.active || !this.fireOneRule()) return;
      }
      assert(false, 'upon rules did not reach a fixpoint');
    }

    private fireOneRule(): boolean {
      return (
        this.ruleDecide() ||
        this.ruleRoundSkip() ||
        this.ruleProposal() ||
        this.rulePrevoteAny() ||
        this.ruleLock() ||
        this.rulePrevoteNil() ||
        this.rulePrecommitAny()
      );
    }

    private total(): bigint {
      return this.set.totalVotingPower;
    }

    private isValid(value: Value): boolean | undefined {
      return this.d.validity.get(bytesToHex(value.id));
    }

    /** L49-54: a proposal of any round r with +2/3 precommits for it, and valid → decide. */
    private ruleDecide(): boolean {
      const d = this.d;
      const synced = d.pendingCommit;
      if (synced !== null && this.isValid(synced.value) === true) {
        d.decision = synced.value;
        d.step = 'decided';
        this.fx.push({
          kind: 'Decide',
          height: d.height,
          round: synced.round,
          value: synced.value,
          commit: synced.commit,
        });
        return true;
      }
      for (const [round, proposals] of d.proposals) {
        const precommits = d.votes.get(round)?.precommit;
        if (precommits === undefined) continue;
        for (const p of proposals) {
          if (this.isValid(p.value) !== true) continue;
          if (!isQuorum(precommits.powerFor(p.value.id), this.total())) continue;
          d.decision = p.value; // L51
          d.step = 'decided'; // L52-54 continue when the host sends StartHeight(h+1)
          this.fx.push({
            kind: 'Decide',
            height: d.height,
            round,
            value: p.value,
            commit: precommits.votesFor(p.value.id),
          });
          return true;
        }
      }
      return false;
    }

    /** L55-56: f+1 voting power of messages from a round above round_p → StartRound(round). */
    private ruleRoundSkip(): boolean {
      const d = this.d;
      let target = -1;
      for (const [round, votes] of d.votes) {
        if (round <= d.round || round <= target) continue;
        const senders = new Set([...votes.prevote.addresses(), ...votes.precommit.addresses()]);
        for (const p of d.proposals.get(round) ?? []) senders.add(p.proposerAddress);
        if (isOneThird(this.powerOf(senders), this.total())) target = round;
      }
      // Far rounds: f+1 power of validators each seen at a round >= r* (header comment).
      const far = [...d.farRounds].sort((a, b) => b[1] - a[1]);
      let power = 0n;
      for (const [address, round] of far) {
        power += this.set.getByAddress(address)?.votingPower ?? 0n;
        if (isOneThird(power, this.total())) {
          if (round > d.round && round > target) target = round;
          break;
        }
      }
      if (target < 0) return false;
      this.startRound(target);
      return true;
    }

    private powerOf(addresses: Iterable<string>): bigint {
      let power = 0n;
      for (const a of addresses) power += this.set.getByAddress(a)?.votingPower ?? 0n;
      return power;
    }

    /** L22-27 and L28-33: the proposer's message of round_p while step = propose. */
    private ruleProposal(): boolean {
      const d = this.d;
      if (d.step !== 'propose') return false;
      for (const p of d.proposals.get(d.round) ?? []) {
        const valid = this.isValid(p.value);
        if (valid === undefined) continue; // valid(v) not known yet: wait for ValueValidated
        if (p.polRound === -1) {
          // L22: ⟨PROPOSAL, h_p, round_p, v, −1⟩
          const acceptable =
            valid && (ignoreLock || d.lockedRound === -1 || sameValueId(d.lockedValue, p.value.id));
          this.vote('prevote', acceptable ? p.value.id : null); // L24 : L26
          d.step = 'prevote'; // L27
          return true;
        }
        // L28: ⟨PROPOSAL, h_p, round_p, v, vr⟩ with 2f+1 ⟨PREVOTE, h_p, vr, id(v)⟩, 0 <= vr < round_p
        const polPrevotes = d.votes.get(p.polRound)?.prevote;
        if (polPrevotes === undefined || !isQuorum(polPrevotes.powerFor(p.value.id), this.total())) continue;
        const acceptable =
          valid && (ignoreLock || d.lockedRound <= p.polRound || sameValueId(d.lockedValue, p.value.id)); // L29
        this.vote('prevote', acceptable ? p.value.id : null); // L30 : L32
        d.step = 'prevote'; // L33
        return true;
      }
      return false;
    }

    /** L34-35: 2f+1 prevotes of any kind in round_p while step = prevote, first time. */
    private rulePrevoteAny(): boolean {
      const d = this.d;
      if (d.step !== 'prevote' || d.prevoteTimeoutScheduled) return false;
      const prevotes = d.votes.get(d.round)?.prevote;
      if (prevotes === undefined || !isQuorum(prevotes.totalPower, this.total())) return false;
      d.prevoteTimeoutScheduled = true;
      this.schedule('prevote', timeouts.prevoteMs + d.round * timeouts.prevoteDeltaMs);
      return true;
    }

    /** L36-43: proposal of round_p with 2f+1 prevotes for it, valid, step >= prevote, first time. */
    private ruleLock(): boolean {
      const d = this.d;
      if (d.lockRuleFired || (d.step !== 'prevote' && d.step !== 'precommit')) return false;
      const prevotes = d.votes.get(d.round)?.prevote;
      if (prevotes === undefined) return false;
      for (const p of d.proposals.get(d.round) ?? []) {
        if (this.isValid(p.value) !== true || !isQuorum(prevotes.powerFor(p.value.id), this.total()))
          continue;
        d.lockRuleFired = true;
        if (d.step === 'prevote') {
          d.lockedValue = p.value; // L38
          d.lockedRound = d.round; // L39
          this.vote('precommit', p.value.id); // L40
          d.step = 'precommit'; // L41
        }
        d.validValue = p.value; // L42
        d.validRound = d.round; // L43
        return true;
      }
      return false;
    }

    /** L44-46: 2f+1 nil prevotes in round_p while step = prevote. */
    private rulePrevoteNil(): boolean {
      const d = this.d;
      if (d.step !== 'prevote') return false;
      const prevotes = d.votes.get(d.round)?.prevote;
      if (prevotes === undefined || !isQuorum(prevotes.powerFor(null), this.total())) return false;
      this.vote('precommit', null); // L45
      d.step = 'precommit'; // L46
      return true;
    }

    /** L47-48: 2f+1 precommits of any kind in round_p, first time. */
    private rulePrecommitAny(): boolean {
      const d = this.d;
      if (d.precommitTimeoutScheduled) return false;
      const precommits = d.votes.get(d.round)?.precommit;
      if (precommits === undefined || !isQuorum(precommits.totalPower, this.total())) return false;
      d.precommitTimeoutScheduled = true;
      this.schedule('precommit', timeouts.precommitMs + d.round * timeouts.precommitDeltaMs);
      return true;
    }
  }

  return { config, initialState, apply };
}
