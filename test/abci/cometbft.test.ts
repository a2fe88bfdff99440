// Shroud on real CometBFT v0.38 (issue #8 "Must show"): 4 validators on loopback, each a
// `cometbft` process driving its own `shroud abci` process. The SDK deploys the token contract
// and sends encrypted transfers through CometBFT's RPC and decrypts the results; all four
// report the same app hash at every height; the same blocks run on the embedded engine
// (ShroudApp in-process) give the same app hashes; a SIGKILLed node pair restarts and catches
// up through the ABCI handshake (and a node whose app state is wiped replays from height 0).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShroudClient, Wallet } from '../../src/client/index.js';
import { createCometTestnet } from '../../src/cli/abci-commands.js';
import { openApp } from '../../src/abci/index.js';
import { deployToken, setViewingKey, tokenBalance, transferToken } from '../helpers/token.js';
import {
  CometNetwork,
  appHashAfter,
  blockAt,
  cometbftBinary,
  freePorts,
  latestHeight,
  rpc,
  waitFor,
} from './helpers.js';

const VALIDATORS = 4;
const CHAIN_ID = 'shroud-cometbft-test';
const BIN = new URL('../../bin/shroud.js', import.meta.url).pathname;

describe('Shroud on 4 CometBFT v0.38 validators', { timeout: 360_000 }, () => {
  let dir: string;
  let network: CometNetwork;
  let urls: string[];
  let token: string;
  let transferHeight = 0n;

  before(async () => {
    const cometbft = cometbftBinary();
    dir = mkdtempSync(join(tmpdir(), 'shroud-cometbft-'));
    const ports = await freePorts(3 * VALIDATORS);
    const testnet = await createCometTestnet({
      out: dir,
      validators: VALIDATORS,
      chainId: CHAIN_ID,
      accounts: 3,
      ports: Array.from({ length: VALIDATORS }, (_, i) => ({
        p2p: ports[3 * i]!,
        rpc: ports[3 * i + 1]!,
        abci: ports[3 * i + 2]!,
      })),
      timeoutCommitMs: 400,
      logLevel: 'info',
    });
    network = new CometNetwork(testnet, cometbft, dir);
    urls = testnet.nodes.map((n) => n.rpcUrl);
    await Promise.all(testnet.nodes.map((_, i) => network.start(i)));
    await Promise.all(
      urls.map((url) =>
        waitFor(`${url} height 2`, async () => ((await latestHeight(url)) >= 2n ? true : undefined), 60_000),
      ),
    );
  });

  after(async () => {
    await network?.stop();
    // SHROUD_KEEP_TEST_DIR=1 keeps the homes and logs for a post-mortem.
    if (dir !== undefined && process.env['SHROUD_KEEP_TEST_DIR'] !== '1')
      rmSync(dir, { recursive: true, force: true });
    else if (dir !== undefined) console.log(`kept ${dir}`);
  });

  const gas = { gasPrice: { denom: 'ushd', amount: '0.1' }, pollIntervalMs: 100 };

  it('deploys token and transfers privately through CometBFT RPC; the SDK decrypts results', async () => {
    const [first, second] = network.testnet.accounts;
    assert.ok(first !== undefined && second !== undefined, 'the testnet has funded test accounts');
    // Different validators' RPCs for different users: every node serves the same chain.
    const alice = await ShroudClient.connect(urls[0]!, Wallet.fromMnemonic(first.mnemonic), gas);
    const bob = await ShroudClient.connect(urls[2]!, Wallet.fromMnemonic(second.mnemonic), gas);
    assert.equal(alice.chainId, CHAIN_ID);

    token = (
      await deployToken(alice, {
        label: 'cometbft-token',
        holders: [{ address: first.address, amount: '1000' }],
      })
    ).contractAddress;
    const transfer = await transferToken(alice, token, second.address, '250');
    transferHeight = transfer.height;
    const data = transfer.data[0];
    assert.ok(data instanceof Uint8Array, 'the transfer result carries decrypted data');
    assert.match(Buffer.from(data).toString('utf8'), /success/, 'decrypted transfer status');
    await setViewingKey(bob, token, 'bob-key');
    await transferToken(alice, token, second.address, '50');
    // Read back through a third validator's RPC: encrypted query, decrypted answer.
    const carol = await ShroudClient.connect(urls[3]!, Wallet.fromMnemonic(second.mnemonic), gas);
    assert.equal(await tokenBalance(carol, token, second.address, 'bob-key'), '300');

    // The CLI reads through CometBFT's RPC unchanged.
    const cli = (...args: string[]) => {
      const result = spawnSync(process.execPath, [BIN, ...args, '--node', urls[1]!, '--output', 'json'], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(result.status, 0, `shroud ${args.join(' ')}: ${result.stderr}`);
      return JSON.parse(result.stdout) as Record<string, unknown>;
    };
    const balance = cli('query', 'bank', 'balance', second.address);
    assert.equal(balance['denom'], 'ushd');
    assert.match(String(balance['amount']), /^[1-9][0-9]*$/);
    const contract = cli('query', 'compute', 'contract', token);
    assert.equal(contract['label'], 'cometbft-token');
  });

  it('all four validators report the same app hash at every height', async () => {
    const top = (await Promise.all(urls.map(latestHeight))).reduce((a, b) => (a < b ? a : b));
    assert.ok(top > transferHeight, `the chain went past the transfers (height ${top})`);
    for (let h = 1n; h <= top; h += 1n) {
      const hashes = await Promise.all(urls.map((url) => appHashAfter(url, h)));
      assert.equal(new Set(hashes).size, 1, `app hashes after block ${h}: ${hashes.join(' ')}`);
    }
  });

  it('the embedded engine (ShroudApp in-process) gives the same app hashes for the same blocks', async () => {
    // Same genesis, same master seed (node0's sealed seed and sealing key), a fresh state
    // store; every block fed with CometBFT's txs (same order), block time and proposer address
    // — the only block inputs the app reads (README "Engine independence").
    const node0 = network.node(0);
    const state = mkdtempSync(join(tmpdir(), 'shroud-embedded-'));
    const opened = await openApp({
      home: node0.shroudHome,
      genesisPath: join(node0.shroudHome, 'genesis.json'),
      sealedSeedPath: join(node0.shroudHome, 'sealed-seed'),
      statePath: state,
    });
    try {
      const app = opened.app;
      await app.initChain({
        timeNanos: app.genesis.genesisTimeNanos,
        chainId: app.genesis.chainId,
        appStateBytes: opened.genesisBytes,
        validators: [],
        initialHeight: 1n,
      });
      const top = await latestHeight(urls[0]!);
      let withTxs = 0;
      for (let h = 1n; h <= top; h += 1n) {
        const block = await blockAt(urls[0]!, h);
        if (block.txs.length > 0) withTxs += 1;
        const response = await app.finalizeBlock({
          txs: block.txs,
          hash: new Uint8Array(32),
          height: h,
          timeNanos: block.timeNanos,
          proposerAddress: block.proposerAddress,
          misbehavior: [],
        });
        await app.commit();
        const expected = await appHashAfter(urls[0]!, h);
        // The deterministic part of each result (CometBFT's LastResultsHash covers exactly these).
        const results = (await rpc(urls[0]!, 'block_results', { height: h.toString() }))['txs_results'] as
          { code?: number; data?: string; gas_wanted?: string; gas_used?: string }[] | null;
        assert.deepEqual(
          response.txResults.map((r) => [
            r.code,
            Buffer.from(r.data).toString('base64'),
            r.gasWanted.toString(),
            r.gasUsed.toString(),
          ]),
          (results ?? []).map((r) => [r.code ?? 0, r.data ?? '', r.gas_wanted ?? '0', r.gas_used ?? '0']),
          `tx results of block ${h}`,
        );
        assert.equal(
          Buffer.from(response.appHash).toString('hex').toUpperCase(),
          expected,
          `app hash after block ${h}`,
        );
      }
      assert.ok(withTxs >= 4, `the compared blocks hold the private workload (${withTxs} blocks with txs)`);
    } finally {
      await opened.close();
      rmSync(state, { recursive: true, force: true });
    }
  });

  it('a validator whose app state is wiped replays every block from its CometBFT store and agrees', async () => {
    await network.kill(2);
    const node2 = network.node(2);
    rmSync(join(node2.shroudHome, 'data'), { recursive: true, force: true });
    await network.start(2);
    const target = await latestHeight(urls[0]!);
    await waitFor(
      'node2 to replay',
      async () => ((await latestHeight(urls[2]!)) >= target ? true : undefined),
      60_000,
    );
    const log = network.cometLogText(2);
    const replay = [
      ...log.matchAll(/ABCI Replay Blocks\s+module=consensus appHeight=(\d+) storeHeight=(\d+)/g),
    ].pop();
    assert.ok(replay !== undefined, 'CometBFT logged the replay');
    assert.equal(replay[1], '0', 'the wiped app reported height 0 in Info');
    assert.ok(Number(replay[2]) > 5, `CometBFT replayed its stored blocks (store height ${replay[2]})`);
    for (let h = 1n; h <= target; h += 1n) {
      const [ours, theirs] = await Promise.all([appHashAfter(urls[2]!, h), appHashAfter(urls[0]!, h)]);
      assert.equal(ours, theirs, `node2 agrees after block ${h}`);
    }
  });
  let restartTarget = 0n;

  it('a SIGKILLed validator pair restarts: Info reports the committed height, the handshake completes', async () => {
    const [first, second] = network.testnet.accounts;
    assert.ok(first !== undefined && second !== undefined);
    await network.kill(3);
    const killedAt = await latestHeight(urls[0]!);
    // 3 of 4 validators (30 of 40 power) keep committing, with a private transfer in between.
    const alice = await ShroudClient.connect(urls[1]!, Wallet.fromMnemonic(first.mnemonic), gas);
    await transferToken(alice, token, second.address, '7');
    await waitFor(
      '3 more blocks without node3',
      async () => ((await latestHeight(urls[0]!)) >= killedAt + 3n ? true : undefined),
      30_000,
    );
    await network.start(3);
    restartTarget = await latestHeight(urls[0]!);
    await waitFor(
      'node3 to finish its handshake',
      () =>
        Promise.resolve(
          /Completed ABCI Handshake[^\n]*\n[\s\S]*Completed ABCI Handshake/.test(network.cometLogText(3))
            ? true
            : undefined,
        ),
      30_000,
    );
    const log = network.cometLogText(3);
    const infos = [...log.matchAll(/ABCI Handshake App Info\s+module=consensus height=(\d+)/g)];
    assert.equal(infos.length, 2, 'one handshake per start');
    assert.ok(
      Number(infos[1]?.[1]) > 0,
      `after the crash the app reported its committed height (${infos[1]?.[1]})`,
    );
    const replay = [
      ...log.matchAll(/ABCI Replay Blocks\s+module=consensus appHeight=(\d+) storeHeight=(\d+)/g),
    ].pop();
    assert.ok(
      replay !== undefined && Number(replay[1]) >= Number(replay[2]) - 1,
      'app and block store within one block',
    );
  });

  it('the restarted validator catches up (executing the transfer it missed) and agrees on every app hash', async () => {
    const [first, second] = network.testnet.accounts;
    assert.ok(first !== undefined && second !== undefined);
    await waitFor(
      'node3 to catch up',
      async () => ((await latestHeight(urls[3]!)) >= restartTarget ? true : undefined),
      60_000,
    );
    // And it keeps agreeing on new blocks: a private transfer sent through node3 itself.
    const alice = await ShroudClient.connect(urls[3]!, Wallet.fromMnemonic(first.mnemonic), gas);
    const sent = await transferToken(alice, token, second.address, '1');
    const top = sent.height + 1n;
    await Promise.all(
      urls.map((url) =>
        waitFor(
          `${url} past the transfer`,
          async () => ((await latestHeight(url)) >= top ? true : undefined),
          30_000,
        ),
      ),
    );
    for (let h = 1n; h <= top; h += 1n) {
      const hashes = await Promise.all(urls.map((url) => appHashAfter(url, h)));
      assert.equal(new Set(hashes).size, 1, `app hashes after block ${h}: ${hashes.join(' ')}`);
    }
  });
});
