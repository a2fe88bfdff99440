#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with Node's test runner (TypeScript through tsx), one
// `node --test` process per file, two files at a time (SHROUD_TEST_JOBS, default 2), except the
// files in ALONE, which run with nothing beside them. Each file's report is printed whole when it
// ends (never interleaved); the end gives the totals, the failed files and the slowest files.
// Usage: npm test [-- PATH...]   (paths narrow the run to files or folders; one file runs as is)
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

const root = new URL('..', import.meta.url).pathname;
const targets = process.argv.slice(2);
const roots = targets.length > 0 ? targets : ['src', 'test'];

/**
 * Files that start networks of processes (several validators, CometBFT) and wait for them with
 * timeouts: beside another file on a 2-core machine they would share the cores with it and wait
 * longer. They run one at a time with nothing else running. A prefix matches a folder.
 */
const ALONE = [
  'test/e2e/',
  'test/network/',
  'test/node/multiprocess.test.ts',
  'test/node/blocksync.test.ts',
  'test/abci/cometbft.test.ts',
  'test/cli/tutorial.test.ts',
];

/**
 * The slowest of the other files (measured, session 5), started first so that the two lanes end
 * together rather than one running a long file alone at the end. Only an order: a file not listed
 * runs after them, a listed one that is gone is skipped.
 */
const SLOW_FIRST = [
  'test/store/crash.test.ts',
  'test/app/crash.test.ts',
  'test/rpc/sdk.test.ts',
  'test/store/store.test.ts',
  'test/node/wal-crash.test.ts',
  'test/app/pipeline-review.test.ts',
  'test/enclave/join.test.ts',
  'test/rpc/async.test.ts',
  'test/sim/sim.test.ts',
  'test/enclave/batch.test.ts',
  'test/rpc/comet38.test.ts',
  'test/enclave/execution.test.ts',
  'test/node/fatal.test.ts',
  'test/node/full-block.test.ts',
  'test/app/pipeline.test.ts',
];

// A hung test fails after 10 minutes instead of holding CI (tests with their own `timeout` keep it).
const NODE_ARGS = ['--import', 'tsx', '--test', '--test-timeout=600000', '--test-reporter=spec'];

/** @param {string} path */
function collect(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) throw new Error(`run-tests: no such file or folder: ${path}`);
  if (stat.isFile()) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) return [];
    const child = join(path, entry.name);
    if (entry.isDirectory()) return collect(child);
    return entry.name.endsWith('.test.ts') ? [child] : [];
  });
}

const files = [...new Set(roots.flatMap((r) => collect(join(root, r))))].map((f) => relative(root, f)).sort();
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
if (files.length === 1) {
  const result = spawnSync(process.execPath, [...NODE_ARGS, files[0]], { cwd: root, stdio: 'inherit' });
  process.exit(result.status ?? 1);
}

const jobs = Math.max(1, Number(process.env.SHROUD_TEST_JOBS ?? 2) || 1);
const alone = (/** @type {string} */ f) => ALONE.some((prefix) => f === prefix || f.startsWith(prefix));
const rank = (/** @type {string} */ f) => {
  const i = SLOW_FIRST.indexOf(f);
  return i === -1 ? SLOW_FIRST.length : i;
};
// The files run alone first, then the rest, the slow ones leading.
const queue = [
  ...files.filter(alone),
  ...files.filter((f) => !alone(f)).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)),
];

/** @type {{ file: string, seconds: number, code: number | null, signal: string | null }[]} */
const done = [];
const totals = { tests: 0, suites: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
/** @type {Set<import('node:child_process').ChildProcess>} */
const running = new Set();
const started = performance.now();

/**
 * Runs one file in its own `node --test`; prints its report whole when it ends.
 * @param {string} file
 * @returns {Promise<void>}
 */
function runFile(file) {
  return new Promise((resolve) => {
    const begin = performance.now();
    const child = spawn(process.execPath, [...NODE_ARGS, file], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? (process.stdout.isTTY ? '1' : '0') },
    });
    running.add(child);
    /** @type {Buffer[]} */
    const out = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => out.push(chunk));
    child.on('close', (code, signal) => {
      running.delete(child);
      const seconds = (performance.now() - begin) / 1000;
      const text = Buffer.concat(out).toString();
      // The spec reporter's summary of this file: "ℹ pass 12" and so on.
      for (const match of text.matchAll(/^ℹ (tests|suites|pass|fail|cancelled|skipped|todo) (\d+)$/gm)) {
        totals[/** @type {keyof typeof totals} */ (match[1])] += Number(match[2]);
      }
      const failed = code !== 0;
      process.stdout.write(
        `\n── ${file} (${seconds.toFixed(1)} s)${failed ? ` FAILED (${signal ?? `exit ${code}`})` : ''}\n`,
      );
      process.stdout.write(text);
      done.push({ file, seconds, code, signal });
      resolve();
    });
  });
}

/**
 * Runs the queue in order: up to `jobs` files at a time, but a file in ALONE only once nothing
 * else runs, and nothing beside it.
 * @returns {Promise<void>}
 */
function runQueue() {
  return new Promise((finish) => {
    let active = 0;
    let aloneActive = false;
    const pump = () => {
      while (queue.length > 0 && !aloneActive) {
        const file = /** @type {string} */ (queue[0]);
        if (alone(file) ? active > 0 : active >= jobs) break;
        queue.shift();
        active++;
        aloneActive = alone(file);
        void runFile(file).then(() => {
          active--;
          aloneActive = false;
          pump();
        });
      }
      if (queue.length === 0 && active === 0) finish();
    };
    pump();
  });
}

for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(signal, () => {
    for (const child of running) child.kill(signal);
    process.exit(signal === 'SIGINT' ? 130 : 143); // 128 + the signal's number, as a shell reports it
  });
}

await runQueue();

const failed = done.filter((d) => d.code !== 0);
const slowest = [...done].sort((a, b) => b.seconds - a.seconds).slice(0, 15);
console.log(
  `\n══ ${done.length} files in ${((performance.now() - started) / 1000).toFixed(1)} s, ${jobs} at a time`,
);
console.log(
  Object.entries(totals)
    .map(([k, v]) => `${k} ${v}`)
    .join(', '),
);
console.log('slowest files:');
for (const d of slowest) console.log(`  ${d.seconds.toFixed(1).padStart(6)} s  ${d.file}`);
if (failed.length > 0) {
  console.log('failed files:');
  for (const d of failed) console.log(`  ${d.file} (${d.signal ?? `exit ${d.code}`})`);
}
process.exit(failed.length > 0 ? 1 : 0);
