// Clock drift bound (issue #6 gap 4): a proposal whose header time is more than the bound ahead
// of a validator's clock, or not after the previous block's time, gets a nil prevote. The rule
// itself (proposalTimeProblem, src/node/block.ts) on both sides of each bound, then in the
// simulator with its virtual clock: a validator whose clock runs past the bound has its
// proposals refused while the others keep deciding; one just inside the bound is never refused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { proposalTimeProblem } from '../../src/node/block.js';
import { runSimulation, SIM_MAX_CLOCK_DRIFT_MS } from './simulator.js';

const MS = 1_000_000n;

describe('proposal time rule', () => {
  const now = 1_800_000_000_000n * MS;
  it('accepts a time up to the drift bound ahead of our clock, refuses one nanosecond more', () => {
    assert.equal(proposalTimeProblem(now + 5000n * MS, null, now, 5000), null, 'exactly at the bound');
    assert.match(proposalTimeProblem(now + 5000n * MS + 1n, null, now, 5000) ?? '', /ahead of our clock/);
    assert.equal(
      proposalTimeProblem(now - 3_600_000n * MS, null, now, 5000),
      null,
      'a time in the past is fine',
    );
  });

  it('requires a time strictly after the previous block', () => {
    const previous = now - 10n * MS;
    assert.equal(proposalTimeProblem(previous + 1n, previous, now, 5000), null, 'one nanosecond after');
    assert.match(proposalTimeProblem(previous, previous, now, 5000) ?? '', /does not increase/);
    assert.match(proposalTimeProblem(previous - 1n, previous, now, 5000) ?? '', /does not increase/);
  });
});

describe('simulator: a validator with a fast clock', () => {
  const seeds = Array.from({ length: 20 }, (_, i) => 7000 + i);

  it('past the bound: its proposals are refused, and the network stays safe and live', () => {
    let refused = 0;
    for (const seed of seeds) {
      // Far enough past the bound that relay delays (≤ 0.4 s) cannot bring it back inside.
      const result = runSimulation({ seed, clockSkewMs: [0, 0, 0, SIM_MAX_CLOCK_DRIFT_MS + 3000] });
      assert.ok(result.ok, `seed ${seed}: ${result.violations.join('; ')} (${result.scenario})`);
      refused += result.stats.timeRefused;
    }
    assert.ok(refused >= seeds.length, `proposals refused for their time: ${refused}`);
  });

  it('a validator with a slow clock refuses proposals but follows the commits (liveness holds for it too)', () => {
    let refused = 0;
    for (const seed of seeds) {
      const result = runSimulation({ seed, clockSkewMs: [-(SIM_MAX_CLOCK_DRIFT_MS + 3000), 0, 0, 0] });
      assert.ok(result.ok, `seed ${seed}: ${result.violations.join('; ')} (${result.scenario})`);
      refused += result.stats.timeRefused;
    }
    assert.ok(refused >= seeds.length, `proposals the slow node refused: ${refused}`);
  });

  it('inside the bound: nothing is refused for its time', () => {
    for (const seed of seeds) {
      const result = runSimulation({ seed, clockSkewMs: [0, 0, 0, SIM_MAX_CLOCK_DRIFT_MS] });
      assert.ok(result.ok, `seed ${seed}: ${result.violations.join('; ')}`);
      assert.equal(result.stats.timeRefused, 0, `seed ${seed}: refused ${result.stats.timeRefused}`);
    }
  });
});
