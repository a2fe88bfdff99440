// `shroud devnet` as a real process (issue #7 "Local network"): spawn it on a free loopback port,
// wait for "ready" and a committed block (timed: must be < 60 s), read devnet.json, check
// `status` over HTTP and through `shroud status`, then SIGINT it and check a clean exit that
// released the home's lock; a second start on the same home reuses the chain.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../../bin/shroud.js', import.meta.url).pathname;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${text}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (pattern.test(text)) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve(text);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`devnet exited early with ${code}; output:\n${text}`));
    });
  });
}

function exitOf(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('did not exit after SIGINT')), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

interface StatusBody {
  result: { node_info: { network: string }; sync_info: { latest_block_height: string } };
}

describe('shroud devnet (real process)', () => {
  it('reaches ready with a committed block in < 60 s, serves status, stops cleanly on SIGINT', async () => {
    const root = mkdtempSync(join(tmpdir(), 'shroud-devnet-'));
    const port = await freePort();
    const started = Date.now();
    const child = spawn(
      process.execPath,
      [BIN, 'devnet', '--home', root, '--rpc-port', String(port), '--block-time', '300'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const output = await waitForOutput(child, /ready — block \d+ committed/, 60_000);
      const elapsedMs = Date.now() - started;
      assert.ok(elapsedMs < 60_000, `ready after ${elapsedMs} ms`);
      console.log(`# devnet ready with a committed block after ${elapsedMs} ms`);
      assert.match(output, /SINGLE validator/, 'says plainly it is a single validator');

      const devnet = JSON.parse(readFileSync(join(root, 'devnet.json'), 'utf8')) as {
        chain_id: string;
        nodes: { name: string; home: string; pid: number; rpc_url: string }[];
        accounts: { name: string; address: string; mnemonic: string }[];
      };
      assert.equal(devnet.nodes.length, 1);
      assert.equal(devnet.nodes[0]?.pid, child.pid);
      assert.equal(devnet.nodes[0]?.rpc_url, `http://127.0.0.1:${port}`);
      assert.ok(devnet.accounts.length >= 4, 'test accounts');
      for (const account of devnet.accounts) {
        assert.match(account.address, /^shroud1/, `${account.name} address`);
        assert.equal(account.mnemonic.split(' ').length, 24, `${account.name} mnemonic`);
      }

      const status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as StatusBody;
      assert.equal(status.result.node_info.network, devnet.chain_id);
      assert.ok(Number(status.result.sync_info.latest_block_height) >= 1, 'a committed block');

      const cli = spawnSync(
        process.execPath,
        [BIN, 'status', '--node', `http://127.0.0.1:${port}`, '--output', 'json'],
        {
          encoding: 'utf8',
          timeout: 30_000,
        },
      );
      assert.equal(cli.status, 0, cli.stderr);
      assert.equal((JSON.parse(cli.stdout) as StatusBody['result']).node_info.network, devnet.chain_id);

      const second = spawnSync(
        process.execPath,
        [BIN, 'start', '--home', join(root, 'node0'), '--rpc-port', String(await freePort())],
        {
          encoding: 'utf8',
          timeout: 30_000,
        },
      );
      assert.notEqual(second.status, 0, 'a second process cannot open the same home');
      assert.match(second.stderr, /in use by process/);

      child.kill('SIGINT');
      assert.equal(await exitOf(child, 20_000), 0, 'clean exit code');
      assert.equal(existsSync(join(root, 'node0', 'node.lock')), false, 'lock released');
      assert.equal(existsSync(join(root, 'devnet.json')), false, 'devnet.json removed on stop');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }

    // Reuse: the same home comes back at a later height.
    const again = spawn(
      process.execPath,
      [BIN, 'devnet', '--home', root, '--rpc-port', String(port), '--block-time', '300'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      const output = await waitForOutput(again, /ready — block \d+ committed/, 60_000);
      assert.match(output, /reusing/);
      const height = Number(/ready — block (\d+)/.exec(output)?.[1]);
      assert.ok(height > 1, `resumed at height ${height}`);
      again.kill('SIGINT');
      assert.equal(await exitOf(again, 20_000), 0);
    } finally {
      if (again.exitCode === null) again.kill('SIGKILL');
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('answers usage errors and --help with exit codes', () => {
    const help = spawnSync(process.execPath, [BIN, 'devnet', '--help'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--block-time/);
    const bad = spawnSync(
      process.execPath,
      [BIN, 'devnet', '--rpc-port', 'abc', '--home', join(tmpdir(), 'never')],
      {
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--rpc-port must be/);
    const unreachable = spawnSync(process.execPath, [BIN, 'status', '--node', 'http://127.0.0.1:1'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(unreachable.status, 1);
    assert.match(unreachable.stderr, /cannot reach a node/);
  });
});
