import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bytesToHex } from '../../crypto/index.js';
import { makeValidators, makeValue, signProposal, signVote, type TestSigner } from '../testing.js';
import { createConsensusCore, type ConsensusCore, type ConsensusState } from './apply.js';
import type { Effect, Input, SignedStateRecord, Value, VoteType } from './types.js';
import type { ValidatorSet } from './validator-set.js';

const CHAIN = 'test-chain';
const TIMEOUTS = {
  proposeMs: 100,
  proposeDeltaMs: 10,
  prevoteMs: 200,
  prevoteDeltaMs: 20,
  precommitMs: 300,
  precommitDeltaMs: 30,
};

/** One core under test ("me") plus the other validators' keys, driven input by input. */
class Harness {
  readonly core: ConsensusCore;
  state: ConsensusState;
  effects: Effect[] = [];
  readonly others: TestSigner[];

  constructor(
    readonly set: ValidatorSet,
    readonly signers: TestSigner[],
    readonly me: TestSigner,
    options: { ignoreLock?: boolean; lastSigned?: SignedStateRecord | null } = {},
  ) {
    this.core = createConsensusCore({
      chainId: CHAIN,
      signer: me,
      timeouts: TIMEOUTS,
      unsafeTestFaults: { ignoreLock: options.ignoreLock ?? false },
    });
    this.state = this.core.initialState(options.lastSigned ?? null);
    this.others = signers.filter((s) => s !== me);
  }

  input(input: Input): Effect[] {
    const result = this.core.apply(this.state, input);
    this.state = result.state;
    this.effects = result.effects;
    return result.effects;
  }

  start(height = 1): Effect[] {
    return this.input({ kind: 'StartHeight', height, validatorSet: this.set });
  }

  proposer(round: number): TestSigner {
    const address = this.set.proposerForRound(round).address;
    return this.signers.find((s) => s.address === address)!;
  }

  /** Delivers the round's proposal and marks its value valid (or invalid). */
  propose(round: number, value: Value, polRound = -1, valid = true): Effect[] {
    const proposal = signProposal(this.proposer(round), CHAIN, this.state.height, round, polRound, value);
    const first = this.input({ kind: 'ProposalReceived', proposal });
    const second = this.input({
      kind: 'ValueValidated',
      height: this.state.height,
      valueId: value.id,
      valid,
    });
    return [...first, ...second];
  }

  votes(type: VoteType, round: number, value: Value | null, from: TestSigner[]): Effect[] {
    return from.flatMap((s) =>
      this.input({
        kind: 'VoteReceived',
        vote: signVote(s, CHAIN, type, this.state.height, round, value?.id ?? null),
      }),
    );
  }

  timeout(step: 'propose' | 'prevote' | 'precommit', round: number): Effect[] {
    return this.input({ kind: 'TimeoutElapsed', step, height: this.state.height, round });
  }
}

function ownVotes(effects: Effect[], type: VoteType): (string | null)[] {
  return effects.flatMap((e) =>
    e.kind === 'BroadcastVote' && e.vote.type === type ? [e.vote.valueId && bytesToHex(e.vote.valueId)] : [],
  );
}

const hex = (v: Value): string => bytesToHex(v.id);

/** Four validators of power 1; "me" is never the proposer of rounds 0..3 unless asked. */
function fourValidators(options: { ignoreLock?: boolean; meIsProposerOf?: number } = {}): Harness {
  const { signers, set } = makeValidators([1, 1, 1, 1]);
  const proposers = [0, 1, 2, 3].map((r) => set.proposerForRound(r).address);
  const me =
    options.meIsProposerOf !== undefined
      ? signers.find((s) => s.address === proposers[options.meIsProposerOf!])!
      : (signers.find((s) => !proposers.slice(0, 3).includes(s.address)) ?? signers[0]!);
  return new Harness(set, signers, me, options);
}

const v1 = makeValue('value one');
const v2 = makeValue('value two');

describe('consensus core: Algorithm 1', () => {
  it('StartRound as a non-proposer schedules timeoutPropose (L21) and waits', () => {
    const h = fourValidators();
    const effects = h.start();
    assert.deepEqual(effects, [
      { kind: 'ScheduleTimeout', step: 'propose', height: 1, round: 0, durationMs: 100 },
    ]);
    assert.equal(h.state.step, 'propose');
  });

  it('the proposer asks for a value (L18), then signs, persists before broadcasting, and prevotes it', () => {
    const h = fourValidators({ meIsProposerOf: 0 });
    assert.ok(h.start().some((e) => e.kind === 'GetValue' && e.height === 1 && e.round === 0));
    const effects = h.input({ kind: 'ValueReady', height: 1, round: 0, value: v1 });
    const kinds = effects.map((e) => e.kind);
    assert.deepEqual(kinds, [
      'PersistSignedState',
      'BroadcastProposal',
      'PersistSignedState',
      'BroadcastVote',
    ]);
    assert.deepEqual(ownVotes(effects, 'prevote'), [hex(v1)]);
    // A second answer (e.g. after replay) never produces a second proposal.
    assert.deepEqual(h.input({ kind: 'ValueReady', height: 1, round: 0, value: v2 }), []);
  });

  it('L22-24: prevotes a valid proposal only once the app validated it', () => {
    const h = fourValidators();
    h.start();
    const proposal = signProposal(h.proposer(0), CHAIN, 1, 0, -1, v1);
    const effects = h.input({ kind: 'ProposalReceived', proposal });
    assert.deepEqual(
      effects.map((e) => e.kind),
      ['ValidateValue'],
      'waits for processProposal',
    );
    assert.deepEqual(
      ownVotes(h.input({ kind: 'ValueValidated', height: 1, valueId: v1.id, valid: true }), 'prevote'),
      [hex(v1)],
    );
    assert.equal(h.state.step, 'prevote');
  });

  it('L26: prevotes nil for a value the app rejects (own execution differs)', () => {
    const h = fourValidators();
    h.start();
    assert.deepEqual(ownVotes(h.propose(0, v1, -1, false), 'prevote'), [null]);
  });

  it('L57: timeoutPropose → nil prevote; L61: timeoutPrevote → nil precommit; L65 → next round', () => {
    const h = fourValidators();
    h.start();
    assert.deepEqual(ownVotes(h.timeout('propose', 0), 'prevote'), [null]);
    assert.deepEqual(h.timeout('propose', 0), [], 'a stale timeout does nothing');
    assert.deepEqual(ownVotes(h.timeout('prevote', 0), 'precommit'), [null]);
    const next = h.timeout('precommit', 0);
    assert.equal(h.state.round, 1);
    assert.ok(
      next.some(
        (e) => e.kind === 'ScheduleTimeout' && e.step === 'propose' && e.round === 1 && e.durationMs === 110,
      ),
      'timeouts grow linearly with the round',
    );
  });

  it('L34 and L47 schedule timeouts on +2/3 of any votes, once', () => {
    const h = fourValidators();
    h.start();
    h.timeout('propose', 0);
    const prevotes = [
      ...h.votes('prevote', 0, v1, h.others.slice(0, 1)),
      ...h.votes('prevote', 0, null, h.others.slice(1, 2)),
    ];
    const scheduled = prevotes.filter((e) => e.kind === 'ScheduleTimeout');
    assert.deepEqual(scheduled, [
      { kind: 'ScheduleTimeout', step: 'prevote', height: 1, round: 0, durationMs: 200 },
    ]);
    assert.equal(
      h.votes('prevote', 0, v2, h.others.slice(2, 3)).filter((e) => e.kind === 'ScheduleTimeout').length,
      0,
    );
    h.timeout('prevote', 0);
    const precommits = [
      ...h.votes('precommit', 0, v1, h.others.slice(0, 1)),
      ...h.votes('precommit', 0, null, h.others.slice(1, 2)),
    ];
    assert.deepEqual(
      precommits.filter((e) => e.kind === 'ScheduleTimeout'),
      [{ kind: 'ScheduleTimeout', step: 'precommit', height: 1, round: 0, durationMs: 300 }],
    );
  });

  it('L36-43: +2/3 prevotes for the proposal → lock, precommit, validValue', () => {
    const h = fourValidators();
    h.start();
    h.propose(0, v1);
    const effects = h.votes('prevote', 0, v1, h.others.slice(0, 2));
    assert.deepEqual(ownVotes(effects, 'precommit'), [hex(v1)]);
    assert.equal(h.state.lockedRound, 0);
    assert.equal(hex(h.state.lockedValue!), hex(v1));
    assert.equal(h.state.validRound, 0);
  });

  it('L44: +2/3 nil prevotes → nil precommit', () => {
    const h = fourValidators();
    h.start();
    h.timeout('propose', 0);
    assert.deepEqual(ownVotes(h.votes('prevote', 0, null, h.others.slice(0, 2)), 'precommit'), [null]);
  });

  /** Locks "me" on v1 in round 0 and moves to round 1 through nil precommits. */
  function lockedOnV1(ignoreLock = false): Harness {
    const h = fourValidators({ ignoreLock });
    h.start();
    h.propose(0, v1);
    h.votes('prevote', 0, v1, h.others.slice(0, 2));
    h.votes('precommit', 0, null, h.others.slice(0, 2));
    h.timeout('precommit', 0);
    assert.equal(h.state.round, 1);
    return h;
  }

  it('L22-26: a locked validator prevotes nil for a different value without a POL', () => {
    const h = lockedOnV1();
    assert.deepEqual(ownVotes(h.propose(1, v2), 'prevote'), [null]);
    assert.equal(hex(h.state.lockedValue!), hex(v1), 'still locked');
  });

  it('L22: a locked validator prevotes its locked value again', () => {
    const h = lockedOnV1();
    assert.deepEqual(ownVotes(h.propose(1, v1), 'prevote'), [hex(v1)]);
  });

  it('L28-30: unlock via a POL from a round at or above the lock', () => {
    const h = lockedOnV1();
    // Round 1: everyone else prevoted v2 (a POL for v2 at round 1); "me" timed out.
    h.timeout('propose', 1);
    h.votes('prevote', 1, v2, h.others);
    h.timeout('prevote', 1);
    h.votes('precommit', 1, null, h.others);
    h.timeout('precommit', 1);
    assert.equal(h.state.round, 2);
    const effects = h.propose(2, v2, 1);
    assert.deepEqual(ownVotes(effects, 'prevote'), [hex(v2)], 'POL round 1 >= lockedRound 0');
  });

  it('L28-32: a POL from below the lock does not unlock', () => {
    const h = fourValidators();
    h.start();
    // Round 0: v2 gets a POL we see only later; we prevote nil.
    h.timeout('propose', 0);
    h.votes('prevote', 0, v2, h.others);
    h.timeout('prevote', 0);
    h.timeout('precommit', 0);
    // Round 1: lock on v1.
    h.propose(1, v1);
    h.votes('prevote', 1, v1, h.others.slice(0, 2));
    assert.equal(h.state.lockedRound, 1);
    h.timeout('precommit', 1);
    const effects = h.propose(2, v2, 0);
    assert.deepEqual(ownVotes(effects, 'prevote'), [null], 'POL round 0 < lockedRound 1');
  });

  it('L42-43: sets validValue without locking when already past prevote, and re-proposes it (L15)', () => {
    const { signers, set } = makeValidators([1, 1, 1, 1]);
    const me = signers.find((s) => s.address === set.proposerForRound(1).address)!;
    const g = new Harness(set, signers, me);
    g.start();
    g.timeout('propose', 0); // me prevotes nil
    g.propose(0, v1);
    g.votes('prevote', 0, v1, g.others.slice(0, 2)); // 3 prevotes: L34, but no quorum for v1
    g.timeout('prevote', 0); // L61: precommit nil
    assert.equal(g.state.step, 'precommit');
    g.votes('prevote', 0, v1, g.others.slice(2, 3)); // now +2/3 for v1 (3 of 4)
    assert.equal(g.state.lockedRound, -1, 'no lock after precommit step');
    assert.equal(g.state.validRound, 0);
    assert.equal(hex(g.state.validValue!), hex(v1));
    g.votes('precommit', 0, null, g.others.slice(0, 2));
    const next = g.timeout('precommit', 0);
    const proposal = next.find((e) => e.kind === 'BroadcastProposal');
    assert.ok(proposal?.kind === 'BroadcastProposal', 'the round-1 proposer proposes at once');
    assert.equal(hex(proposal.proposal.value), hex(v1));
    assert.equal(proposal.proposal.polRound, 0);
    assert.ok(!next.some((e) => e.kind === 'GetValue'), 'no new value requested');
  });

  it('L49: decides on +2/3 precommits with the proposal, and carries the commit', () => {
    const h = fourValidators();
    h.start();
    h.propose(0, v1);
    const effects = h.votes('precommit', 0, v1, h.others);
    const decide = effects.find((e) => e.kind === 'Decide');
    assert.ok(decide?.kind === 'Decide');
    assert.equal(hex(decide.value), hex(v1));
    assert.equal(decide.commit.length, 3);
    assert.equal(h.state.step, 'decided');
    assert.deepEqual(h.votes('prevote', 0, v2, h.others.slice(0, 1)), [], 'decided: later votes ignored');
    h.start(2);
    assert.equal(h.state.height, 2);
    assert.equal(h.state.lockedValue, null);
  });

  it('L49: decides a value from an earlier round (a lagging node catching up)', () => {
    const h = fourValidators();
    h.start();
    h.timeout('propose', 0);
    h.timeout('prevote', 0);
    h.timeout('precommit', 0);
    assert.equal(h.state.round, 1);
    h.propose(0, v1);
    assert.ok(h.votes('precommit', 0, v1, h.others).some((e) => e.kind === 'Decide'));
  });

  it('L55: f+1 messages of a higher round → skip to that round; f alone does not', () => {
    const h = fourValidators();
    h.start();
    h.votes('prevote', 3, null, h.others.slice(0, 1));
    assert.equal(h.state.round, 0, 'one of four is not f+1');
    h.votes('precommit', 3, null, h.others.slice(1, 2));
    assert.equal(h.state.round, 3);
  });

  it('L55: far rounds beyond the stored window still skip, with bounded memory', () => {
    const h = fourValidators();
    h.start();
    h.votes('prevote', 1000, null, h.others.slice(0, 1));
    assert.equal(h.state.votes.size, 0, 'far votes are not stored');
    h.votes('prevote', 900, null, h.others.slice(1, 2));
    assert.equal(h.state.round, 900, 'two validators at rounds >= 900');
  });

  it('counts voting power, not validators', () => {
    const { signers, set } = makeValidators([1, 1, 1, 10]);
    const big = signers[3]!;
    const me = signers.find((s) => s !== big && s.address !== set.proposerForRound(0).address)!;
    const h = new Harness(set, signers, me);
    h.start();
    h.timeout('propose', 0);
    const small = signers.filter((s) => s !== big && s !== me);
    h.votes('prevote', 0, null, small);
    assert.equal(h.state.step, 'prevote', '3 of 4 validators but 3 of 13 power: no quorum');
    h.votes('prevote', 0, null, [big]);
    assert.equal(h.state.step, 'precommit', '13 of 13');
  });

  it('equivocation: evidence carries both votes; the first is the vote of record, one more is retained', () => {
    const h = fourValidators();
    h.start();
    const liar = h.others[0]!;
    h.votes('prevote', 0, v1, [liar]);
    const effects = h.votes('prevote', 0, v2, [liar]);
    const evidence = effects.find((e) => e.kind === 'Evidence');
    assert.ok(evidence?.kind === 'Evidence' && evidence.evidence.kind === 'DuplicateVote');
    assert.deepEqual(evidence.evidence.first.valueId, v1.id);
    assert.deepEqual(evidence.evidence.second.valueId, v2.id);
    const prevotes = h.state.votes.get(0)!.prevote;
    assert.equal(prevotes.totalPower, 1n, 'the liar counts once toward +2/3 of anything');
    assert.equal(prevotes.powerFor(v1.id), 1n);
    assert.equal(prevotes.powerFor(v2.id), 1n, 'and toward each value it voted for (paper counting)');
    const v3 = makeValue('three');
    assert.ok(
      h.votes('prevote', 0, v3, [liar]).some((e) => e.kind === 'Evidence'),
      'a third vote is evidence',
    );
    assert.equal(h.state.votes.get(0)!.prevote.powerFor(v3.id), 0n, 'but is not retained (bounded memory)');
    assert.deepEqual(h.votes('prevote', 0, v1, [liar]), [], 'an exact duplicate is ignored silently');
    assert.deepEqual(h.votes('prevote', 0, v2, [liar]), [], 'so is a repeat of the retained one');
  });

  it('an equivocator cannot make two values reach +2/3 together with correct votes', () => {
    const h = fourValidators();
    h.start();
    h.timeout('propose', 0); // me: nil
    const [liar, a, b] = h.others as [TestSigner, TestSigner, TestSigner];
    h.votes('prevote', 0, v1, [liar, a]);
    h.votes('prevote', 0, v2, [liar, b]);
    const prevotes = h.state.votes.get(0)!.prevote;
    assert.equal(prevotes.powerFor(v1.id), 2n);
    assert.equal(prevotes.powerFor(v2.id), 2n);
    assert.equal(h.state.step, 'prevote', 'no lock: neither value has 3 of 4');
  });

  it('a conflicting proposal is evidence; both kept, a third is not', () => {
    const h = fourValidators();
    h.start();
    h.propose(0, v1);
    const p2 = signProposal(h.proposer(0), CHAIN, 1, 0, -1, v2);
    assert.ok(h.input({ kind: 'ProposalReceived', proposal: p2 }).some((e) => e.kind === 'Evidence'));
    const p3 = signProposal(h.proposer(0), CHAIN, 1, 0, -1, makeValue('three'));
    assert.ok(h.input({ kind: 'ProposalReceived', proposal: p3 }).some((e) => e.kind === 'Evidence'));
    assert.equal(h.state.proposals.get(0)!.length, 2);
  });

  it('drops and reports bad signatures, strangers, wrong proposers and malformed messages', () => {
    const h = fourValidators();
    h.start();
    const good = signVote(h.others[0]!, CHAIN, 'prevote', 1, 0, v1.id);
    const forged = { ...good, valueId: v2.id };
    const wrongChain = signVote(h.others[1]!, 'other-chain', 'prevote', 1, 0, v1.id);
    const stranger = makeValidators([1, 1, 1, 1, 1]).signers[4]!;
    const cases: [Input, string][] = [
      [{ kind: 'VoteReceived', vote: forged }, 'BAD_SIGNATURE'],
      [{ kind: 'VoteReceived', vote: wrongChain }, 'BAD_SIGNATURE'],
      [{ kind: 'VoteReceived', vote: signVote(stranger, CHAIN, 'prevote', 1, 0, v1.id) }, 'NOT_A_VALIDATOR'],
      [{ kind: 'VoteReceived', vote: { ...good, signature: new Uint8Array(3) } }, 'MALFORMED'],
      [{ kind: 'VoteReceived', vote: { ...good, round: -1 } }, 'MALFORMED'],
      [
        {
          kind: 'ProposalReceived',
          proposal: signProposal(
            h.others.find((s) => s !== h.proposer(0))!,
            CHAIN,
            1,
            0,
            -1,
            v1,
          ),
        },
        'WRONG_PROPOSER',
      ],
      [
        {
          kind: 'ProposalReceived',
          proposal: {
            ...signProposal(h.proposer(0), CHAIN, 1, 0, -1, v1),
            value: { id: v1.id, bytes: v2.bytes },
          },
        },
        'VALUE_ID_MISMATCH',
      ],
      [
        {
          kind: 'ProposalReceived',
          proposal: { ...signProposal(h.proposer(0), CHAIN, 1, 0, -1, v1), polRound: 0 },
        },
        'MALFORMED',
      ],
    ];
    for (const [input, reason] of cases) {
      const effects = h.input(input);
      assert.deepEqual(
        effects.map((e) => (e.kind === 'Dropped' ? e.reason : e.kind)),
        [reason],
        `expected ${reason}`,
      );
    }
    assert.equal(h.state.votes.get(0)?.prevote.totalPower ?? 0n, 0n, 'nothing counted');
    assert.equal(h.state.proposals.size, 0);
  });

  it('never signs a conflicting vote after a restart with the signed-state record', () => {
    const h = fourValidators();
    h.start();
    const first = h.propose(0, v1);
    const persisted = first.find((e) => e.kind === 'PersistSignedState');
    assert.ok(persisted?.kind === 'PersistSignedState');
    // Restart with the record but an empty WAL: the core must refuse to prevote nil at h1/r0.
    const restarted = new Harness(h.set, h.signers, h.me, { lastSigned: persisted.record });
    restarted.start();
    const effects = restarted.timeout('propose', 0);
    assert.deepEqual(ownVotes(effects, 'prevote'), []);
    assert.ok(effects.some((e) => e.kind === 'Dropped' && e.reason === 'DOUBLE_SIGN_REFUSED'));
    assert.equal(restarted.state.step, 'prevote', 'the round still advances');
    // The identical vote may be re-released (same bytes, same signature).
    const again = new Harness(h.set, h.signers, h.me, { lastSigned: persisted.record });
    again.start();
    const same = again.propose(0, v1);
    const vote = same.find((e) => e.kind === 'BroadcastVote');
    assert.ok(vote?.kind === 'BroadcastVote');
    assert.deepEqual(vote.vote.signature, persisted.record.signature);
    assert.ok(!same.some((e) => e.kind === 'PersistSignedState'), 'nothing new signed');
    // A later step is fine.
    assert.deepEqual(ownVotes(again.votes('prevote', 0, null, again.others), 'precommit'), [null]);
  });

  it('CommitReceived decides after the app validates the value; a bad commit is dropped', () => {
    const h = fourValidators();
    h.start();
    const precommits = h.others.map((s) => signVote(s, CHAIN, 'precommit', 1, 2, v1.id));
    const tooFew = h.input({
      kind: 'CommitReceived',
      height: 1,
      round: 2,
      value: v1,
      commit: precommits.slice(0, 2),
    });
    assert.ok(
      tooFew.some((e) => e.kind === 'Dropped' && e.reason === 'INVALID_COMMIT'),
      '2 of 4 is not +2/3',
    );
    const forged = [...precommits.slice(0, 2), { ...precommits[2]!, round: 3 }];
    assert.ok(
      h
        .input({ kind: 'CommitReceived', height: 1, round: 2, value: v1, commit: forged })
        .some((e) => e.kind === 'Dropped'),
      'a precommit signed for another round',
    );
    const twice = [precommits[0]!, precommits[0]!, precommits[1]!];
    assert.ok(
      h
        .input({ kind: 'CommitReceived', height: 1, round: 2, value: v1, commit: twice })
        .some((e) => e.kind === 'Dropped'),
      'the same validator twice',
    );
    const wrongValue = h.input({
      kind: 'CommitReceived',
      height: 1,
      round: 2,
      value: v2,
      commit: precommits,
    });
    assert.ok(
      wrongValue.some((e) => e.kind === 'Dropped'),
      'precommits for another value',
    );
    const ok = h.input({ kind: 'CommitReceived', height: 1, round: 2, value: v1, commit: precommits });
    assert.deepEqual(
      ok.map((e) => e.kind),
      ['ValidateValue'],
    );
    const decided = h.input({ kind: 'ValueValidated', height: 1, valueId: v1.id, valid: true });
    const decide = decided.find((e) => e.kind === 'Decide');
    assert.ok(decide?.kind === 'Decide' && decide.round === 2 && decide.commit.length === 3);
  });

  it('L49 needs valid(v): +2/3 precommits for a value the app rejects decide nothing', () => {
    const h = fourValidators();
    h.start();
    h.propose(0, v1, -1, false);
    assert.ok(!h.votes('precommit', 0, v1, h.others).some((e) => e.kind === 'Decide'));
  });

  it('drops proposals and stores no votes beyond the future-round window', () => {
    const h = fourValidators();
    h.start();
    const far = signProposal(h.proposer(50), CHAIN, 1, 50, -1, v1);
    assert.deepEqual(h.input({ kind: 'ProposalReceived', proposal: far }), []);
    assert.equal(h.state.proposals.size, 0);
    h.votes('prevote', 50, v1, h.others.slice(0, 1));
    assert.equal(h.state.votes.size, 0);
    assert.equal(h.state.farRounds.size, 1, 'one entry per validator');
  });

  it('the unsafe ignoreLock fault really breaks L22 (used to prove the simulator catches it)', () => {
    const h = lockedOnV1(true);
    assert.deepEqual(ownVotes(h.propose(1, v2), 'prevote'), [hex(v2)]);
  });

  it('is pure: apply never mutates the state it is given', () => {
    const h = fourValidators();
    h.start();
    h.propose(0, v1);
    const before = h.state;
    const snapshot = JSON.stringify(before, (_k, v: unknown) =>
      v instanceof Map ? [...v] : v instanceof Set ? [...v] : typeof v === 'bigint' ? String(v) : v,
    );
    const powerBefore = before.votes.get(0)?.prevote.totalPower ?? 0n;
    const r1 = h.core.apply(before, {
      kind: 'VoteReceived',
      vote: signVote(h.others[0]!, CHAIN, 'prevote', 1, 0, v1.id),
    });
    const r2 = h.core.apply(before, {
      kind: 'VoteReceived',
      vote: signVote(h.others[0]!, CHAIN, 'prevote', 1, 0, v1.id),
    });
    assert.equal(before.votes.get(0)?.prevote.totalPower ?? 0n, powerBefore);
    assert.equal(
      JSON.stringify(before, (_k, v: unknown) =>
        v instanceof Map ? [...v] : v instanceof Set ? [...v] : typeof v === 'bigint' ? String(v) : v,
      ),
      snapshot,
    );
    assert.deepEqual(r1.effects, r2.effects, 'same input, same effects');
  });
});
