// Crash safety of the rotating WAL (issue #6 gap 1): a validator's host (wal-crash-child.ts) is
// killed with SIGKILL many times — at random moments and at each step of a WAL rotation — and
// restarted on the same directory. After every restart: it resumes at the height after its last
// decided block and at a round no lower than any message it released or its signed-state
// record; it never released two different messages for one (height, round, step); no decided
// block is lost or changed; at most three WAL segments exist (two, plus one a crash mid-rotation
// can leave until the next rotation).
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RotationStep } from '../../src/consensus/index.js';

const CHILD = new URL('./wal-crash-child.ts', import.meta.url).pathname;
const ITERATIONS = 24;
const STEPS: RotationStep[] = ['synced-old', 'created', 'written', 'deleted-one', 'done'];

interface Run {
  resume: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Starts the child; kills it `killAfterMs` after it printed RESUME (if given); resolves on exit. */
function runChild(dir: string, env: Record<string, string>, killAfterMs?: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, 'seed-7'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let out = '';
    let err = '';
    const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stdout.on('data', (chunk: Buffer) => {
      const before = out.includes('RESUME');
      out += chunk.toString();
      if (!before && out.includes('RESUME') && killAfterMs !== undefined) {
        setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      const resume = /RESUME [^\n]*/.exec(out)?.[0] ?? '';
      if (code !== 0 && signal === null) reject(new Error(`child failed (${code}): ${err.slice(-2000)}`));
      else resolve({ resume, code, signal });
    });
  });
}

function readBlocks(dir: string): string[] {
  const path = join(dir, 'blocks.log');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0);
}

/** (height/round/step) → sign bytes of every message released; throws on a conflicting pair. */
function checkSent(dir: string): Map<string, string> {
  const released = new Map<string, string>();
  const path = join(dir, 'sent.log');
  if (!existsSync(path)) return released;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.length === 0) continue;
    const [key = '', bytes = ''] = line.split(' ');
    const earlier = released.get(key);
    assert.ok(earlier === undefined || earlier === bytes, `double sign at ${key}`);
    released.set(key, bytes);
  }
  return released;
}

describe('WAL rotation under SIGKILL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shroud-walcrash-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`restarts correctly after ${ITERATIONS} kills (random moments and every rotation step)`, async () => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let blocksBefore: string[] = [];
    const rotationKills = new Set<string>();
    for (let i = 0; i < ITERATIONS; i++) {
      const byHook = i % 2 === 1;
      const step = STEPS[Math.floor(i / 2) % STEPS.length]!;
      const env: Record<string, string> = byHook
        ? { CRASH_AT_STEP: step, CRASH_AFTER_ROTATIONS: String(1 + Math.floor(random() * 3)) }
        : {};
      const releasedBefore = checkSent(dir); // what the previous runs sent, before this restart
      const run = await runChild(dir, env, byHook ? undefined : 20 + Math.floor(random() * 400));
      const [, height, round, , last, recordHeight, recordRound] = run.resume.split(' ').map(Number);
      const label = `iteration ${i} (${byHook ? `hook ${step}` : 'random kill'}): ${run.resume}`;
      assert.equal(run.signal, 'SIGKILL', `${label}: killed`);
      if (byHook) rotationKills.add(step);
      assert.equal(last, blocksBefore.length, `${label}: child saw every decided block`);
      assert.equal(height, last + 1, `${label}: resumes after the last decided block`);
      assert.ok(
        height > recordHeight! || (height === recordHeight && round! >= recordRound!),
        `${label}: not behind the signed-state record`,
      );
      checkSent(dir);
      const roundsReleased = [...releasedBefore.keys()]
        .map((key) => key.split('/').map(Number))
        .filter(([h]) => h === height)
        .map(([, r]) => r!);
      assert.ok(
        round! >= Math.max(0, ...roundsReleased),
        `${label}: resumes at or after its last released round`,
      );

      const blocks = readBlocks(dir);
      assert.deepEqual(
        blocks.slice(0, blocksBefore.length),
        blocksBefore,
        `${label}: no block lost or changed`,
      );
      blocks.forEach((line, index) =>
        assert.equal(line.split(' ')[0], String(index + 1), `${label}: heights in order`),
      );
      blocksBefore = blocks;
      const segments = readdirSync(dir).filter((name) => name.startsWith('wal'));
      assert.ok(segments.length <= 3, `${label}: WAL segments ${segments.join(',')}`);
    }
    assert.equal(rotationKills.size, STEPS.length, 'a kill at every rotation step');
    assert.ok(
      blocksBefore.length >= ITERATIONS / 2,
      `progress across restarts: ${blocksBefore.length} blocks`,
    );

    // A last clean run from the same directory reaches its target.
    const clean = await runChild(dir, { CHILD_HEIGHTS: '3' });
    assert.equal(clean.code, 0, 'a clean run after the crashes finishes');
    assert.equal(readBlocks(dir).length, blocksBefore.length + 3, 'and decides 3 more blocks');
    checkSent(dir);
  });
});
