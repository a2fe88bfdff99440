// Crash safety: a child process commits deterministic blocks in a loop and is killed with
// SIGKILL at random moments (mostly in the middle of an fsynced commit, where it spends its
// time). After every kill the parent reopens the store and checks that no reported block
// was lost, nothing is half-applied (the data equals a replay of blocks 1..height), and the
// stored app hash equals the recomputation over the stored data.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Store } from '../../src/store/index.js';
import { killDelaysMs, reportedCommits } from '../helpers/crash.js';
import { applyToModel, blockOps } from './blocks.js';
import { hex, removeDir, stateOf, tempDir } from './helpers.js';
import { referenceAppHash, type StateModel } from './reference.js';

// 30 kills take ~35 s of CPU (mostly the children's tsx start-up); override for longer soaks.
const ITERATIONS = Number(process.env.STORE_CRASH_ITERATIONS ?? 30);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

interface ChildRun {
  /** Height → app hash of every block the child reported as committed. */
  readonly reported: Map<bigint, string>;
}

/**
 * A crash child, spawned ahead of time: it loads its modules (seconds on a busy machine)
 * while the parent checks the previous run, and opens the store only on go().
 */
class CrashChild {
  private readonly process;
  private stdout = '';
  private stderr = '';
  private readonly exited: Promise<string | null>;

  constructor(dir: string) {
    this.process = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/store/crash-child.ts', dir, '--wait-for-go'],
      {
        cwd: repoRoot,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    this.process.stdout.setEncoding('utf8');
    this.process.stderr.setEncoding('utf8');
    this.process.stdout.on('data', (chunk: string) => (this.stdout += chunk));
    this.process.stderr.on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve, reject) => {
      this.process.on('error', reject);
      this.process.on('exit', (_code, signal) => resolve(signal));
    });
  }

  /**
   * Lets the child open the store and commit; SIGKILLs it `delayMs` after its "ready" line,
   * or 5 ms after go when `delayMs` is null (a kill while opening).
   */
  async run(delayMs: number | null): Promise<ChildRun> {
    await this.waitFor('loaded\n');
    this.process.stdin.write('go\n');
    if (delayMs === null) await sleep(5);
    else {
      await this.waitFor('ready ');
      await sleep(delayMs);
    }
    this.process.kill('SIGKILL');
    const signal = await this.exited;
    if (signal !== 'SIGKILL') throw new Error(`crash child exited on its own: ${this.stderr.slice(0, 2000)}`);
    return { reported: reportedCommits(this.stdout) };
  }

  /** Kills the child if still running (cleanup when a check fails). */
  kill(): void {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL');
  }

  private async waitFor(text: string): Promise<void> {
    for (let waited = 0; !this.stdout.includes(text); waited += 10) {
      if (waited > 30_000)
        throw new Error(`crash child did not print ${JSON.stringify(text)}: ${this.stderr.slice(0, 2000)}`);
      if (this.process.exitCode !== null || this.process.signalCode !== null) {
        throw new Error(`crash child died early: ${this.stderr.slice(0, 2000)}`);
      }
      await sleep(10);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('Store: crash safety (SIGKILL during commits)', () => {
  it(
    `survives ${ITERATIONS} kills: no lost block, nothing half-applied, app hash recomputes`,
    { timeout: 240_000 },
    async () => {
      const dir = tempDir();
      let next: CrashChild | undefined = new CrashChild(dir);
      try {
        const model: StateModel = new Map();
        let modelHeight = 0n;
        let previousHeight = 0n;
        const allReported = new Map<bigint, string>();
        const plan = killDelaysMs(20261127, ITERATIONS, 400);
        for (let iteration = 0; iteration < ITERATIONS; iteration++) {
          // Every tenth run is killed during start-up (open, possibly the initial transaction).
          const delay = iteration % 10 === 5 ? null : (plan[iteration] as number);
          const run = await (next as CrashChild).run(delay);
          // Spawn the next child now: its start-up overlaps with the checks below.
          next = iteration + 1 < ITERATIONS ? new CrashChild(dir) : undefined;
          for (const [height, appHash] of run.reported) allReported.set(height, appHash);
          const lastReported = [...run.reported.keys()].reduce((a, h) => (h > a ? h : a), 0n);

          const store = Store.open(dir); // checks root vs app hash and every inner node
          try {
            const { height, appHash } = store.info();
            const where = `iteration ${iteration} (delay ${delay}, height ${height})`;
            assert.ok(
              height >= lastReported,
              `${where}: lost a reported block (last reported ${lastReported})`,
            );
            assert.ok(height >= previousHeight, `${where}: height went back from ${previousHeight}`);
            previousHeight = height;
            const reportedHash = allReported.get(height);
            if (height > 0n && reportedHash !== undefined)
              assert.equal(hex(appHash), reportedHash, `${where}: app hash`);
            for (; modelHeight < height;) {
              modelHeight++;
              applyToModel(model, blockOps(modelHeight));
            }
            assert.equal(hex(store.recomputeAppHash()), hex(appHash), `${where}: recomputed app hash`);
            assert.deepEqual(
              stateOf(store),
              model,
              `${where}: data equals the replay of blocks 1..${height}`,
            );
            if (iteration % 10 === 9)
              assert.equal(hex(referenceAppHash(height, model)), hex(appHash), `${where}: reference`);
          } finally {
            await store.close();
          }
        }
        // The test is only meaningful if the children really committed (and were killed) a lot.
        assert.ok(
          previousHeight >= BigInt(ITERATIONS),
          `only ${previousHeight} blocks committed over ${ITERATIONS} runs`,
        );
      } finally {
        next?.kill();
        removeDir(dir);
      }
    },
  );
});
