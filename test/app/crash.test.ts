// Crash safety of the whole app (issue #5): a child node commits deterministic blocks (token
// upload, instantiate, encrypted transfers, bank sends) with a durable store and is SIGKILLed
// at random moments. After every kill: no reported block lost, the stored app hash is the
// reported one and recomputes from the data, and every committed block's tx results are
// indexed. At the end a reference node that never crashed replays the same blocks and must
// reach the same app hash at every reported height (so nothing was half-applied).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesToHex } from '../../src/crypto/index.js';
import { txHash } from '../../src/codec/index.js';
import { Store } from '../../src/store/index.js';
import { META, decodeIndexedTx, parseGenesis } from '../../src/app/index.js';
import { killDelaysMs, reportedCommits } from '../helpers/crash.js';
import { crashBlockTxs, crashUsers } from './crash-blocks.js';
import { genesisJson, initChain, openNode, runBlock, tempDir } from './helpers.js';

// Each child pays a tsx start-up and an enclave worker start (~2-4 s on the shared machine).
const ITERATIONS = Number(process.env.APP_CRASH_ITERATIONS ?? 8);
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function runChild(home: string, delayMs: number): Promise<Map<bigint, string>> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/app/crash-child.ts', home], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<string | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  );
  try {
    for (let waited = 0; !stdout.includes('ready '); waited += 10) {
      if (waited > 60_000 || child.exitCode !== null)
        throw new Error(`child did not start: ${stderr.slice(0, 2000)}`);
      await sleep(10);
    }
    await sleep(delayMs);
  } finally {
    child.kill('SIGKILL');
  }
  const signal = await exited;
  if (signal !== 'SIGKILL') throw new Error(`child exited on its own: ${stderr.slice(0, 2000)}`);
  return reportedCommits(stdout);
}

describe('app: crash safety (SIGKILL during blocks)', () => {
  it(`survives ${ITERATIONS} kills with no lost or half-applied block`, { timeout: 480_000 }, async () => {
    const home = tempDir('crash');
    const setup = await openNode({ home, makeGenesis: (keys) => genesisJson(keys, crashUsers()) });
    writeFileSync(join(home, 'genesis.json'), setup.genesisText);
    await setup.close();
    const io = parseGenesis(setup.genesisText).network.ioPublicKey;

    const allReported = new Map<bigint, string>();
    let previous = 0n;
    const schedule = killDelaysMs(20261127, ITERATIONS, 700);
    for (let iteration = 0; iteration < schedule.length; iteration++) {
      const delay = schedule[iteration] as number;
      const reported = await runChild(home, delay);
      for (const [h, hash] of reported) allReported.set(h, hash);
      const last = [...reported.keys()].reduce((a, h) => (h > a ? h : a), 0n);
      const store = Store.open(join(home, 'data'));
      try {
        const { height, appHash } = store.info();
        const where = `iteration ${iteration} (delay ${delay} ms, height ${height})`;
        assert.ok(height >= last, `${where}: lost reported block ${last}`);
        assert.ok(height >= previous, `${where}: went back from ${previous}`);
        previous = height;
        const expected = allReported.get(height);
        if (expected !== undefined) assert.equal(bytesToHex(appHash), expected, `${where}: app hash`);
        assert.equal(bytesToHex(store.recomputeAppHash()), bytesToHex(appHash), `${where}: recomputed`);
        for (let h = 1n; h <= height; h++) {
          for (const tx of crashBlockTxs(h, io)) {
            const bytes = store.getMeta(META.tx(txHash(tx)));
            assert.ok(bytes, `${where}: tx of block ${h} indexed`);
            const indexed = decodeIndexedTx(bytes);
            assert.equal(indexed.height, h, `${where}: block ${h}`);
            assert.equal(indexed.result.code, 0, `${where}: block ${h}: ${indexed.result.log}`);
          }
        }
      } finally {
        await store.close();
      }
      // On a saturated machine every child may die before its first commit (kills land 0-700
      // ms after start-up): add a few longer runs, checked the same way, until the chain has
      // blocks with contract calls.
      const extra = schedule.length - ITERATIONS;
      if (iteration === schedule.length - 1 && previous < 3n && extra < 6) schedule.push(2_000 * (extra + 1));
    }
    assert.ok(previous >= 3n, `the children committed blocks with contract calls (height ${previous})`);

    // A node that never crashed, same seed, replays every block.
    const reference = tempDir('crash-ref');
    copyFileSync(join(home, 'sealing.key'), join(reference, 'sealing.key'));
    writeFileSync(join(reference, 'sealed-seed'), readFileSync(join(home, 'sealed-seed')));
    const node = await openNode({ home: reference, genesisText: setup.genesisText });
    try {
      await initChain(node);
      for (let h = 1n; h <= previous; h++) {
        const response = await runBlock(node, crashBlockTxs(h, io), { skipPrepare: true });
        const expected = allReported.get(h);
        if (expected !== undefined)
          assert.equal(bytesToHex(response.appHash), expected, `reference at height ${h}`);
      }
      const crashed = Store.open(join(home, 'data'));
      try {
        assert.equal(
          bytesToHex(node.store.info().appHash),
          bytesToHex(crashed.info().appHash),
          'final state',
        );
      } finally {
        await crashed.close();
      }
    } finally {
      await node.close();
    }
  });
});
