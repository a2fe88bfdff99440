// `shroud devnet` as a real process (issue #7 "Local network"): spawn it on free loopback ports,
// wait for "ready" and a committed block (timed: must be < 60 s), read devnet.json (each node
// its own `shroud start` process), check `status` over HTTP and through `shroud status`, then
// SIGINT it and check a clean exit that released the homes' locks; a second start on the same
// directory reuses the chain; SIGKILL of the devnet itself takes its nodes down (no orphans).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BIN,
  alive,
  exitOf,
  freePortBase,
  heightOf,
  pollFor,
  status,
  waitForOutput,
  type DevnetFile,
} from '../network/helpers.js';
import { initNetwork } from '../../src/node/index.js';

function devnet(root: string, args: string[]): ChildProcess {
  return spawn(process.execPath, [BIN, 'devnet', '--home', root, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const readDevnet = (root: string) =>
  JSON.parse(readFileSync(join(root, 'devnet.json'), 'utf8')) as DevnetFile;

describe('shroud devnet (real processes)', () => {
  it('one validator: ready with a committed block in < 60 s, serves status, stops cleanly, resumes', async () => {
    const root = mkdtempSync(join(tmpdir(), 'shroud-devnet-'));
    const base = await freePortBase(1);
    const started = Date.now();
    const args = ['--validators', '1', '--port-base', String(base), '--block-time', '300'];
    const child = devnet(root, args);
    try {
      const output = await waitForOutput(child, /ready — block \d+ committed/, 60_000);
      const elapsedMs = Date.now() - started;
      assert.ok(elapsedMs < 60_000, `ready after ${elapsedMs} ms`);
      console.log(`# 1-validator devnet ready with a committed block after ${elapsedMs} ms`);
      assert.match(output, /solo \(a single validator/, 'says plainly which engine runs');

      const file = readDevnet(root);
      assert.equal(file.nodes.length, 1);
      const node = file.nodes[0]!;
      assert.notEqual(node.pid, child.pid, 'the node runs in its own process');
      assert.ok(alive(node.pid), 'node process alive');
      assert.equal(node.rpc_url, `http://127.0.0.1:${base}`);
      assert.equal(node.p2p_port, base + 1);
      assert.equal(node.home, join(root, 'node0'));
      assert.ok(file.accounts.length >= 4, 'test accounts');
      for (const account of file.accounts) {
        assert.match(account.address, /^shroud1/, `${account.name} address`);
        assert.equal(account.mnemonic.split(' ').length, 24, `${account.name} mnemonic`);
      }

      const result = await status(node.rpc_url);
      assert.equal(result?.node_info.network, file.chain_id);
      assert.ok(Number(result?.sync_info.latest_block_height) >= 1, 'a committed block');

      const cli = spawnSync(process.execPath, [BIN, 'status', '--node', node.rpc_url, '--output', 'json'], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(cli.status, 0, cli.stderr);
      assert.equal(
        (JSON.parse(cli.stdout) as { node_info: { network: string } }).node_info.network,
        file.chain_id,
      );

      const second = spawnSync(process.execPath, [BIN, 'start', '--home', node.home], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.notEqual(second.status, 0, 'a second process cannot open the same home');
      assert.match(second.stderr, /in use by process/);

      child.kill('SIGINT');
      assert.equal(await exitOf(child, 30_000), 0, 'clean exit code');
      assert.equal(alive(node.pid), false, 'the node process is gone');
      assert.equal(existsSync(join(node.home, 'node.lock')), false, 'lock released');
      assert.equal(existsSync(join(root, 'devnet.json')), false, 'devnet.json removed on stop');
      assert.match(
        readFileSync(join(node.home, 'process.log'), 'utf8'),
        /stopped cleanly/,
        'node stopped cleanly',
      );
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }

    // Reuse: the same directory comes back at a later height.
    const again = devnet(root, args);
    try {
      const output = await waitForOutput(again, /ready — block \d+ committed/, 60_000);
      assert.match(output, /reusing/);
      const height = Number(/ready — block (\d+)/.exec(output)?.[1]);
      assert.ok(height > 1, `resumed at height ${height}`);
      again.kill('SIGINT');
      assert.equal(await exitOf(again, 30_000), 0);
    } finally {
      if (again.exitCode === null) again.kill('SIGKILL');
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('default: 4 validator processes agree on blocks, ready in < 60 s, all stop on SIGINT', async () => {
    const root = mkdtempSync(join(tmpdir(), 'shroud-devnet-4-'));
    const base = await freePortBase(4);
    const started = Date.now();
    const child = devnet(root, ['--port-base', String(base)]);
    try {
      const output = await waitForOutput(child, /ready — block \d+ committed/, 60_000);
      const elapsedMs = Date.now() - started;
      console.log(`# 4-validator devnet ready with a committed block after ${elapsedMs} ms`);
      assert.ok(elapsedMs < 60_000, `ready after ${elapsedMs} ms`);
      assert.match(output, /tendermint \(4 validator processes/);
      const file = readDevnet(root);
      assert.equal(file.nodes.length, 4, 'four nodes');
      assert.equal(new Set(file.nodes.map((n) => n.pid)).size, 4, 'four processes');
      for (const [i, node] of file.nodes.entries()) {
        assert.equal(node.rpc_url, `http://127.0.0.1:${base + 10 * i}`, `node${i} RPC`);
        assert.equal(node.p2p_port, base + 10 * i + 1, `node${i} p2p`);
        assert.ok(node.validator, `node${i} validator`);
      }
      // Every node reaches height 3 and they agree on its hash.
      const hashes = await Promise.all(
        file.nodes.map((node) =>
          pollFor(
            `${node.name} at height 3`,
            async () => {
              if (((await heightOf(node.rpc_url)) ?? 0) < 3) return undefined;
              const body = (await (await fetch(`${node.rpc_url}/block?height=3`)).json()) as {
                result: { block_id: { hash: string } };
              };
              return body.result.block_id.hash;
            },
            60_000,
          ),
        ),
      );
      assert.equal(new Set(hashes).size, 1, `one block at height 3: ${hashes.join(' ')}`);
      child.kill('SIGINT');
      assert.equal(await exitOf(child, 60_000), 0, 'clean exit');
      for (const node of file.nodes) {
        assert.equal(alive(node.pid), false, `${node.name} stopped`);
        assert.equal(existsSync(join(node.home, 'node.lock')), false, `${node.name} lock released`);
      }
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a SIGKILLed devnet takes its node processes down (no orphans)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'shroud-devnet-orphans-'));
    const base = await freePortBase(1);
    const child = devnet(root, ['--validators', '1', '--port-base', String(base), '--block-time', '300']);
    try {
      await waitForOutput(child, /ready — block \d+ committed/, 60_000);
      const { nodes } = readDevnet(root);
      child.kill('SIGKILL');
      await exitOf(child, 10_000);
      for (const node of nodes) {
        await pollFor(
          `${node.name} (pid ${node.pid}) to exit`,
          () => (alive(node.pid) ? undefined : true),
          30_000,
        );
        assert.equal(await heightOf(node.rpc_url), undefined, `${node.name} RPC closed`);
        assert.match(
          readFileSync(join(node.home, 'process.log'), 'utf8'),
          /SIGTERM/,
          `${node.name} stopped on SIGTERM`,
        );
      }
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      for (const pid of existsSync(join(root, 'devnet.json'))
        ? readDevnet(root).nodes.map((n) => n.pid)
        : []) {
        if (alive(pid)) process.kill(pid, 'SIGKILL');
      }
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a node that cannot start is named with its log; a broken config.json is named', async () => {
    const root = mkdtempSync(join(tmpdir(), 'shroud-devnet-broken-'));
    try {
      await initNetwork(root, { validators: 1, portBase: await freePortBase(1), engine: 'solo' });
      const sealed = join(root, 'node0', 'sealed-seed');
      writeFileSync(sealed, readFileSync(sealed).subarray(0, 10)); // a torn sealed seed
      const run = spawnSync(process.execPath, [BIN, 'devnet', '--home', root], {
        encoding: 'utf8',
        timeout: 90_000,
      });
      assert.equal(run.status, 1, `exit code; output:\n${run.stdout}${run.stderr}`);
      assert.match(run.stderr, /node0 exited during startup; the end of .*node0\/process\.log/);
      assert.ok(run.stderr.split('\n').length > 2, 'the log tail is shown');
      assert.equal(existsSync(join(root, 'devnet.json')), false, 'devnet.json removed');

      writeFileSync(join(root, 'node0', 'config.json'), '{"chainId": 5}');
      const broken = spawnSync(process.execPath, [BIN, 'devnet', '--home', root], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(broken.status, 1);
      assert.match(broken.stderr, /node0\/config\.json.*HOME_INVALID/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('answers usage errors, busy ports and --help with exit codes', async () => {
    const help = spawnSync(process.execPath, [BIN, 'devnet', '--help'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(help.status, 0);
    for (const flag of ['--validators', '--block-time', '--port-base', '--reset']) {
      assert.ok(help.stdout.includes(flag), `--help names ${flag}`);
    }
    const never = join(tmpdir(), 'shroud-never-created');
    for (const [args, pattern] of [
      [['--port-base', 'abc'], /--port-base must be/],
      [['--validators', '0'], /--validators must be/],
      [['--validators', '21'], /--validators must be/],
      [['--block-time', 'abc'], /--block-time must be/],
    ] as const) {
      const bad = spawnSync(process.execPath, [BIN, 'devnet', '--home', never, ...args], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(bad.status, 2, `${args.join(' ')}: exit code`);
      assert.match(bad.stderr, pattern, args.join(' '));
    }
    assert.equal(existsSync(never), false, 'nothing created on usage errors');

    // A busy RPC port is named, and nothing is left running.
    const root = mkdtempSync(join(tmpdir(), 'shroud-devnet-busy-'));
    const base = await freePortBase(1);
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(base, '127.0.0.1', resolve));
    try {
      const busy = spawnSync(
        process.execPath,
        [BIN, 'devnet', '--home', root, '--validators', '1', '--port-base', String(base)],
        {
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      assert.equal(busy.status, 1);
      assert.match(busy.stderr, new RegExp(`RPC port ${base} is in use`));
    } finally {
      blocker.close();
      rmSync(root, { recursive: true, force: true });
    }

    const unreachable = spawnSync(process.execPath, [BIN, 'status', '--node', 'http://127.0.0.1:1'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(unreachable.status, 1);
    assert.match(unreachable.stderr, /cannot reach a node/);
  });
});
