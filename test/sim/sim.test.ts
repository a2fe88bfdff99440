// The simulator as part of `npm test`: 1,000 randomized seeds (900 with 4 validators, 100 with
// 7), every invariant checked on every run; plus proof that the simulator catches a broken rule.
// Longer runs: `npm run sim -- --seeds 100000`. A failing seed prints its rerun command.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulation, type SimResult } from './simulator.js';

const SEEDS_4 = 900;
const SEEDS_7 = 100;

function rerun(result: SimResult, nodes: number): string {
  return `seed ${result.seed} failed: ${result.violations.join('; ')}\n  scenario: ${result.scenario}\n  rerun: npm run sim -- --seed ${result.seed} --nodes ${nodes} --verbose`;
}

describe('consensus simulator', () => {
  it(`keeps agreement, validity, no double-sign and liveness after GST on ${SEEDS_4} seeds × 4 validators`, () => {
    let decisions = 0;
    for (let seed = 1; seed <= SEEDS_4; seed++) {
      const result = runSimulation({ seed, nodes: 4 });
      assert.ok(result.ok, rerun(result, 4));
      decisions += result.stats.decisions;
    }
    assert.ok(decisions > SEEDS_4 * 4 * 2, `the runs decided heights (${decisions})`);
  });

  it(`does the same on ${SEEDS_7} seeds × 7 validators`, () => {
    for (let seed = 1_000_001; seed < 1_000_001 + SEEDS_7; seed++) {
      const result = runSimulation({ seed, nodes: 7 });
      assert.ok(result.ok, rerun(result, 7));
    }
  });

  it('reproduces a seed exactly', () => {
    const a = runSimulation({ seed: 42 });
    const b = runSimulation({ seed: 42 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.stats, runSimulation({ seed: 43 }).stats);
  });

  it('exercises the faults it claims to (equivocation, forged signatures, restarts, WAL loss, rounds)', () => {
    let evidence = 0;
    let badSignatures = 0;
    let restarts = 0;
    let maxRound = 0;
    let refused = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const { stats } = runSimulation({ seed });
      evidence += stats.evidence;
      badSignatures += stats.dropped.BAD_SIGNATURE ?? 0;
      restarts += stats.restarts;
      maxRound = Math.max(maxRound, stats.maxRound);
      refused += stats.dropped.DOUBLE_SIGN_REFUSED ?? 0;
    }
    assert.ok(refused > 0, 'nodes that lost WAL entries were refused conflicting signatures');
    assert.ok(evidence > 0, 'the Byzantine node was caught equivocating');
    assert.ok(badSignatures > 0, 'forged signatures were dropped at the boundary');
    assert.ok(restarts > 0, 'nodes restarted from their WAL');
    assert.ok(maxRound >= 2, 'some heights needed several rounds');
  });

  it('the simulator detects a broken lock rule (prevote ignoring lockedValue): seed 574 splits agreement', () => {
    // Gossip slowed to 5 s and commit catch-up off, so a node that missed a decision is not
    // rescued before the next round: the rules alone must keep agreement (and they do, below).
    const options = { seed: 574, continueAfterViolation: true, disableCatchup: true, gossipIntervalMs: 5000 };
    const broken = runSimulation({ ...options, unsafeTestFaults: { ignoreLock: true } });
    assert.ok(
      broken.violations.some((v) => v.startsWith('agreement')),
      `expected an agreement violation, got: ${broken.violations.join('; ')}`,
    );
    const intact = runSimulation(options);
    assert.deepEqual(intact.violations, [], 'the same schedule with the lock rule intact is safe and live');
  });

  it('the simulator detects a broken quorum rule (half the power instead of +2/3): seed 11 splits agreement', () => {
    const result = runSimulation({
      seed: 11,
      unsafeTestFaults: { halfQuorum: true },
      continueAfterViolation: true,
    });
    assert.ok(
      result.violations.some((v) => v.startsWith('agreement')),
      `expected an agreement violation, got: ${result.violations.join('; ')}`,
    );
    assert.ok(runSimulation({ seed: 11 }).ok, 'the same seed passes with the rule intact');
  });
});
