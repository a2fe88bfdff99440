// The stack meter stops runaway recursion at the same depth whatever V8 does: baseline
// compiler only, optimizing compiler only, or a V8 stack half the default size — also when
// every level runs functions outside the meter up to STACK_HEADROOM.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { STACK_FRAME_BASE } from '../../src/vm/instrument.js';
import { MAX_STACK_COST } from '../../src/vm/limits.js';

const probe = fileURLToPath(new URL('./stack-depth-probe.ts', import.meta.url));
const expected = {
  thin: { depth: Math.floor(MAX_STACK_COST / (STACK_FRAME_BASE + 2)), ours: true },
  fat: { depth: Math.floor(MAX_STACK_COST / (STACK_FRAME_BASE + 100 + 5000 + 100)), ours: true },
  // f (cost 4 + max operand height 2) is metered; g1 and g2 (functions 0 and 1) are not.
  headroom: { depth: Math.floor(MAX_STACK_COST / (STACK_FRAME_BASE + 2)), ours: true, unmetered: [0, 1] },
};

describe('stack meter across V8 configurations', () => {
  for (const flags of [[], ['--liftoff-only'], ['--no-liftoff'], ['--stack-size=480']]) {
    it(`same depth with node ${flags.join(' ') || '(default flags)'}`, () => {
      const run = spawnSync(process.execPath, [...flags, '--import', 'tsx', probe], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(run.status, 0, `probe failed: ${run.stderr}`);
      assert.deepEqual(JSON.parse(run.stdout), expected);
    });
  }
});
