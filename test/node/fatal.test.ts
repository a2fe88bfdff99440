// A node stops on failed execution (issue #6 gap 5), real processes: a one-validator Tendermint
// network whose app throws in finalizeBlock three heights after its last block (then, on the
// next run, in commit, after the block was saved) — as an enclave or disk failure would. Each time the node
// must exit non-zero with a clear log line, sign nothing for a later height (signed_state.json),
// and on restart without the fault resume through the WAL/handshake path: the block the app
// never committed is dropped and decided again, and the chain continues with no gap.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockStore, HOME_FILES, initNetwork, type NetworkDescription } from '../../src/node/index.js';
import { BIN, exitOf, freePortBase, heightOf, pollFor } from '../network/helpers.js';

const CHILD = new URL('./fail-child.ts', import.meta.url).pathname;

function signedHeight(home: string): number {
  const path = join(home, HOME_FILES.wal, 'signed_state.json');
  return (JSON.parse(readFileSync(path, 'utf8')) as { height: number }).height;
}

async function storedHeight(home: string): Promise<bigint> {
  const blocks = BlockStore.open(join(home, HOME_FILES.blocks));
  try {
    return blocks.height();
  } finally {
    await blocks.close();
  }
}

/** Runs the node with a fault; resolves with its exit code and stderr once it stopped by itself. */
function runFaulty(
  home: string,
  failIn: string,
  failAt: number,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, 'start', '--home', home], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, FAIL_IN: failIn, FAIL_AT: String(failAt) },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(guard);
      resolve({ code, stderr });
    });
  });
}

describe('a node whose app fails during execution', () => {
  let root = '';
  let net: NetworkDescription;
  let home = '';

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'shroud-fatal-'));
    net = await initNetwork(root, {
      validators: 1,
      chainId: 'shroud-fatal',
      portBase: await freePortBase(1),
      blockTimeMs: 50,
      timeouts: {
        timeoutProposeMs: 1000,
        timeoutPrevoteMs: 500,
        timeoutPrecommitMs: 500,
        timeoutCommitMs: 50,
      },
    });
    home = net.nodes[0]!.home;
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  for (const failIn of ['finalize', 'commit'] as const) {
    it(`stops cleanly when ${failIn} throws, and resumes after a restart`, async () => {
      const failAt = Number(await storedHeight(home)) + 3;
      const run = await runFaulty(home, failIn, failAt);
      assert.notEqual(run.code, 0, `non-zero exit (stderr: ${run.stderr.slice(-500)})`);
      assert.match(
        run.stderr,
        /a decided block could not be executed; the node stopped/,
        'a clear line on stderr',
      );
      const log = readFileSync(join(home, HOME_FILES.log), 'utf8');
      assert.match(log, /executing a decided block failed; consensus halted/, 'and in node.log');
      assert.ok(signedHeight(home) <= failAt, `nothing signed past height ${failAt}: ${signedHeight(home)}`);
      assert.ok((await storedHeight(home)) <= BigInt(failAt), 'no block stored past the failure');

      const node = spawn(process.execPath, [BIN, 'start', '--home', home], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      try {
        const url = `http://127.0.0.1:${net.nodes[0]!.rpcPort}`;
        await pollFor(
          `height >= ${failAt + 2} after the restart`,
          async () => ((await heightOf(url)) ?? 0) >= failAt + 2 || undefined,
          120_000,
          100,
        );
      } finally {
        node.kill('SIGTERM');
        assert.equal(await exitOf(node, 30_000), 0, 'a clean stop');
      }
      const top = await storedHeight(home);
      const blocks = BlockStore.open(join(home, HOME_FILES.blocks));
      try {
        for (let h = 1n; h <= top; h++) {
          const block = blocks.load(h);
          assert.ok(block?.consensus !== undefined, `block ${h} stored with its commit`);
          if (h > 1n) {
            assert.deepEqual(
              block.header.lastBlockHash,
              blocks.load(h - 1n)!.hash,
              `block ${h} links to ${h - 1n}`,
            );
          }
        }
      } finally {
        await blocks.close();
      }
    });
  }
});
