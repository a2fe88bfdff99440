import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hasErrorCode } from '../../errors.js';
import { makeValidators } from '../testing.js';
import { addressOfPublicKey, ValidatorSet, type Validator } from './validator-set.js';

function names(set: ValidatorSet, labels: Map<string, string>): Record<string, bigint> {
  return Object.fromEntries(set.validators.map((v) => [labels.get(v.address) as string, v.proposerPriority]));
}

describe('ValidatorSet: CometBFT weighted round robin', () => {
  const { signers, set } = makeValidators([1, 3, 5]);
  const labels = new Map(signers.map((s, i) => [s.address, 'ABC'[i] as string]));
  const label = (v: Validator): string => labels.get(v.address) as string;

  it('follows the hand-computed sequence for powers A=1, B=3, C=5', () => {
    // Hand computation (total 9; priorities start at 0 and stay centered, no rescale needed):
    //  step: +power            → proposer, -9
    //  1: A1  B3  C5  → C  (1, 3,-4)   2: A2 B6 C1  → B (2,-3, 1)   3: A3 B0 C6 → C (3, 0,-3)
    //  4: A4  B3  C2  → A (-5, 3, 2)   5: A-4 B6 C7 → C (-4,6,-2)   6: A-3 B9 C3 → B (-3,0, 3)
    //  7: A-2 B3  C8  → C (-2, 3,-1)   8: A-1 B6 C4 → B (-1,-3,4)   9: A0 B0 C9 → C (0, 0, 0)
    const expected = ['C', 'B', 'C', 'A', 'C', 'B', 'C', 'B', 'C'];
    assert.equal(label(set.proposer()), 'C', 'genesis proposer');
    for (let round = 0; round < expected.length; round++) {
      assert.equal(label(set.proposerForRound(round)), expected[round], `proposer of round ${round}`);
    }
    let s = set;
    for (let height = 1; height < expected.length; height++) {
      s = s.withIncrementedPriority(1);
      assert.equal(label(s.proposer()), expected[height], `proposer of height ${height + 1}`);
    }
    assert.deepEqual(names(set.withIncrementedPriority(3), labels), { A: -5n, B: 3n, C: 2n });
    assert.deepEqual(names(set.withIncrementedPriority(8), labels), { A: 0n, B: 0n, C: 0n });
  });

  it('orders validators by power descending and hashes without priorities', () => {
    assert.deepEqual(set.validators.map(label), ['C', 'B', 'A']);
    assert.equal(set.totalVotingPower, 9n);
    assert.deepEqual(set.hash(), set.withIncrementedPriority(5).hash());
    assert.notDeepEqual(
      set.hash(),
      set.withChanges([{ publicKey: signers[0]!.publicKey, votingPower: 2n }]).hash(),
    );
  });

  it('breaks ties by the smaller address', () => {
    const equal = makeValidators([1, 1]);
    const smaller = [...equal.signers].sort((a, b) => (a.address < b.address ? -1 : 1))[0]!;
    assert.equal(equal.set.proposer().address, smaller.address);
    assert.notEqual(equal.set.proposerForRound(1).address, smaller.address, 'alternates');
  });

  it('rescales with truncating division and centers with a floored average', () => {
    const base = set.validators;
    const withPriorities = (p: bigint[]): ValidatorSet =>
      new ValidatorSet(
        base.map((v, i) => ({ ...v, votingPower: 1n, proposerPriority: p[i] as bigint })),
        base[0]!.address,
      );
    // diff 200 > 2·3: ratio ceil(200/6) = 34; 100/34 = 2, -100/34 = -2 (not -3), 0; avg 0.
    // +1 each: 3, -1, 1 → first proposes, pays 3.
    const rescaled = withPriorities([100n, -100n, 0n]).withIncrementedPriority(1);
    assert.deepEqual(rescaled.validators.map((v) => v.proposerPriority).sort(), [-1n, 0n, 1n].sort());
    assert.equal(rescaled.proposerAddress, base[0]!.address);
    // sum -1 over 3: floored average -1 (truncation would give 0) → 1, 1, 0 → +1 → 2, 2, 1.
    const centered = withPriorities([0n, 0n, -1n]).withIncrementedPriority(1);
    const tie = [base[0]!.address, base[1]!.address].sort()[0];
    assert.equal(centered.proposerAddress, tie);
    const prios = centered.validators.map((v) =>
      v.address === tie ? v.proposerPriority + 3n : v.proposerPriority,
    );
    assert.deepEqual([...prios].sort(), [1n, 2n, 2n]);
  });

  it('gives a new validator priority -1.125 × total power, then centers', () => {
    const extra = makeValidators([1, 3, 5, 7]).signers[3]!;
    const next = set.withChanges([{ publicKey: extra.publicKey, votingPower: 7n }]);
    // Before centering: A0 B0 C0 (centered genesis after one step: 1,3,-4) and D = -(16 + 2) = -18.
    const d = next.getByAddress(addressOfPublicKey(extra.publicKey))!;
    const sum = set.validators.reduce((acc, v) => acc + v.proposerPriority, 0n) - 18n; // -18
    const avg = sum / 4n - (sum % 4n < 0n ? 1n : 0n); // floor(-18/4) = -5
    assert.equal(d.proposerPriority, -18n - avg);
    assert.equal(next.totalVotingPower, 16n);
  });

  it('rejects bad sets and change sets', () => {
    const isSetError = (e: unknown): boolean => hasErrorCode(e, 'INVALID_VALIDATOR_SET');
    assert.throws(() => ValidatorSet.fromGenesis([]), isSetError);
    const key = signers[0]!.publicKey;
    assert.throws(() => ValidatorSet.fromGenesis([{ publicKey: key, votingPower: 0n }]), isSetError);
    assert.throws(
      () =>
        ValidatorSet.fromGenesis([
          { publicKey: key, votingPower: 1n },
          { publicKey: key, votingPower: 2n },
        ]),
      isSetError,
    );
    assert.throws(
      () => set.withChanges(signers.map((s) => ({ publicKey: s.publicKey, votingPower: 0n }))),
      isSetError,
    );
    const stranger = makeValidators([1, 1, 1, 1, 1]).signers[4]!;
    assert.throws(() => set.withChanges([{ publicKey: stranger.publicKey, votingPower: 0n }]), isSetError);
    assert.throws(() => set.withChanges([{ publicKey: key, votingPower: -1n }]), isSetError);
  });

  it('removes a validator and advances like CometBFT updateState', () => {
    const removed = set.withChanges([{ publicKey: signers[2]!.publicKey, votingPower: 0n }]);
    assert.equal(removed.size, 2);
    assert.equal(removed.totalVotingPower, 4n);
    const advanced = ValidatorSet.advance(set, []);
    assert.equal(advanced.proposerAddress, set.proposerForRound(1).address);
  });
});
