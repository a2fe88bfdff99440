import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createConsensusCore, type ConsensusState } from '../core/apply.js';
import type { SignedStateRecord } from '../core/types.js';
import { makeValidators, makeValue } from '../testing.js';
import { MemoryWal, replayWal } from './wal.js';
import { runLogged } from '../../../test/helpers/consensus-wal.js';

const CHAIN = 'replay-chain';
const { signers, set } = makeValidators([1, 1, 1, 1]);
const proposer = signers.find((s) => s.address === set.proposerForRound(0).address)!;
const value = makeValue('proposed before the crash');

/** Drives the round-0 proposer through propose + prevote, logging like a host does. */
function runProposer(): { wal: MemoryWal; record: SignedStateRecord | null; state: ConsensusState } {
  const core = createConsensusCore({ chainId: CHAIN, signer: proposer });
  const wal = new MemoryWal();
  const { state, record } = runLogged(core, wal, [
    { kind: 'StartHeight', height: 1, validatorSet: set },
    { kind: 'ValueReady', height: 1, round: 0, value },
  ]);
  return { wal, record, state };
}

describe('WAL replay', () => {
  it('a restarted proposer resumes at prevote, re-broadcasting its proposal and vote unchanged', () => {
    const { wal, record, state } = runProposer();
    assert.equal(state.step, 'prevote');
    const core = createConsensusCore({ chainId: CHAIN, signer: proposer });
    const replayed = replayWal(core, record, wal.replay());
    assert.equal(replayed.state.step, 'prevote');
    assert.deepEqual(
      replayed.effects.filter((e) => e.kind === 'BroadcastProposal' || e.kind === 'BroadcastVote').length,
      2,
    );
    assert.ok(!replayed.effects.some((e) => e.kind === 'PersistSignedState'), 'nothing newly signed');
    // The app answering GetValue again with another value changes nothing.
    const again = core.apply(replayed.state, {
      kind: 'ValueReady',
      height: 1,
      round: 0,
      value: makeValue('a different value'),
    });
    assert.ok(!again.effects.some((e) => e.kind === 'BroadcastProposal'));
  });

  it('after losing the WAL tail, the record still prevents a second, different proposal', () => {
    const { wal, record } = runProposer();
    wal.truncate(1); // only StartHeight survived; the record says "prevoted at h1/r0"
    const core = createConsensusCore({ chainId: CHAIN, signer: proposer });
    const replayed = replayWal(core, record, wal.replay());
    const getValue = replayed.effects.find((e) => e.kind === 'GetValue');
    assert.ok(getValue, 'the proposer asks for a value again');
    const next = core.apply(replayed.state, {
      kind: 'ValueReady',
      height: 1,
      round: 0,
      value: makeValue('a different value'),
    });
    assert.ok(!next.effects.some((e) => e.kind === 'BroadcastProposal'), 'no conflicting proposal');
    assert.ok(next.effects.some((e) => e.kind === 'Dropped' && e.reason === 'DOUBLE_SIGN_REFUSED'));
  });
});
