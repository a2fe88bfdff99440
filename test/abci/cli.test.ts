// `shroud cometbft-genesis` and `shroud abci` as real processes: the files written are the ones
// the pinned cometbft binary reads (node id and validator key read back with its own
// `show-node-id` / `show-validator`), the two genesis files agree, and `shroud abci` refuses a
// missing home or a bad address with a message saying what to do.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cometbftBinary } from './helpers.js';

const BIN = new URL('../../bin/shroud.js', import.meta.url).pathname;

function shroud(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
}

describe('shroud cometbft-genesis / shroud abci (CLI)', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'shroud-abci-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes Shroud and CometBFT homes that cometbft itself reads back', () => {
    const cometbft = cometbftBinary();
    const out = join(dir, 'net');
    const result = shroud(
      'cometbft-genesis',
      '--out',
      out,
      '--validators',
      '2',
      '--chain-id',
      'cli-chain',
      '--base-port',
      '36600',
      '--abci',
      'unix',
    );
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /created 2 validators of chain cli-chain/);
    const testnet = JSON.parse(readFileSync(join(out, 'cometbft', 'testnet.json'), 'utf8')) as {
      nodes: { name: string; shroudHome: string; cometHome: string; nodeId: string; abciAddress: string }[];
    };
    assert.equal(testnet.nodes.length, 2);
    for (const node of testnet.nodes) {
      const id = spawnSync(cometbft, ['show-node-id', '--home', node.cometHome], { encoding: 'utf8' });
      assert.equal(id.stdout.trim(), node.nodeId, `${node.name}: cometbft reads node_key.json`);
      const shown = spawnSync(cometbft, ['show-validator', '--home', node.cometHome], { encoding: 'utf8' });
      const pub = (JSON.parse(shown.stdout) as { value: string }).value;
      const key = JSON.parse(readFileSync(join(node.shroudHome, 'validator_key.json'), 'utf8')) as {
        seed: string;
      };
      assert.ok(key.seed.length === 64, `${node.name}: the Shroud home keeps the validator seed`);
      const cometGenesis = JSON.parse(
        readFileSync(join(node.cometHome, 'config', 'genesis.json'), 'utf8'),
      ) as {
        chain_id: string;
        validators: { pub_key: { value: string }; power: string }[];
        app_state: unknown;
      };
      assert.ok(
        cometGenesis.validators.some((v) => v.pub_key.value === pub && v.power === '10'),
        `${node.name}: its CometBFT key is a genesis validator with power 10`,
      );
      assert.deepEqual(
        cometGenesis.app_state,
        JSON.parse(readFileSync(join(node.shroudHome, 'genesis.json'), 'utf8')),
        `${node.name}: app_state is the Shroud genesis`,
      );
      assert.match(node.abciAddress, /^unix:\/\//);
      const toml = readFileSync(join(node.cometHome, 'config', 'config.toml'), 'utf8');
      assert.ok(toml.includes(`proxy_app = "${node.abciAddress}"`), `${node.name}: proxy_app`);
      for (const secret of ['priv_validator_key.json', 'node_key.json']) {
        assert.equal(
          statSync(join(node.cometHome, 'config', secret)).mode & 0o777,
          0o600,
          `${secret} is 0600`,
        );
      }
    }
    // `cometbft` validates the genesis and config it would start with.
    const check = spawnSync(cometbft, ['show-validator', '--home', testnet.nodes[1]!.cometHome], {
      encoding: 'utf8',
    });
    assert.equal(check.status, 0, check.stderr);
    // A second run into the same directory refuses to overwrite the network.
    const again = shroud('cometbft-genesis', '--out', out, '--validators', '2');
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already holds a network/);
  });

  it('refuses bad options of cometbft-genesis', () => {
    const cases: [string[], RegExp][] = [
      [['--validators', '0'], /--validators must be an integer 1-100/],
      [['--abci', 'grpc'], /--abci must be tcp or unix/],
      [['--base-port', '80'], /--base-port must be an integer/],
    ];
    for (const [args, message] of cases) {
      const result = shroud('cometbft-genesis', '--out', join(dir, 'bad'), ...args);
      assert.equal(result.status, 2, `${args.join(' ')}: usage error`);
      assert.match(result.stderr, message, args.join(' '));
    }
  });

  it('shroud abci refuses a missing home and a bad address', () => {
    const missing = shroud('abci', '--home', join(dir, 'nowhere'));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /genesis\.json is missing: create the homes with `shroud cometbft-genesis`/);
    const home = join(dir, 'net', 'node0');
    const bad = shroud('abci', '--home', home, '--address', 'http://127.0.0.1:1');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /bad ABCI address .*tcp:\/\/127\.0\.0\.1:26658/);
    // The failed start released the home's lock.
    assert.throws(() => statSync(join(home, 'node.lock')), /ENOENT/);
  });
});
