// Four validator processes on loopback (issue #6 "Must show"): each is `shroud start --home`
// on a home from initNetwork (one genesis; the seed reached validators 1-3 through the enclave
// join). The SDK deploys the token contract and sends encrypted transfers; SIGKILL of one
// validator leaves 3/4 of the power, which keeps committing; SIGKILL of a second leaves 2/4,
// which must not commit; restarting one resumes commits; restarting the last catches it up,
// and all four then agree on every block hash and app hash.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShroudClient, Wallet } from '../../src/client/index.js';
import { hexToBytes, randomBytes, sha256, utf8Encode } from '../../src/crypto/index.js';
import { createEd25519Signer } from '../../src/consensus/index.js';
import { signVote } from '../../src/consensus/testing.js';
import { P2pNode } from '../../src/p2p/index.js';
import {
  CHANNELS,
  HOME_FILES,
  encodeEvidence,
  initNetwork,
  type NetworkDescription,
} from '../../src/node/index.js';
import { deployToken, setViewingKey, tokenBalance, transferToken } from '../helpers/token.js';
import { BIN, exitOf, freePortBase, heightOf, pollFor, rpcGet } from '../network/helpers.js';

const BLOCK_TIME_MS = 250;

interface BlockJson {
  result?: {
    block_id: { hash: string };
    block: { header: { app_hash: string; height: string; last_commit_hash: string } };
  };
}

describe('4 validator processes (Tendermint over TCP)', () => {
  let root = '';
  let net: NetworkDescription;
  const children: (ChildProcess | undefined)[] = [];
  const url = (i: number) => `http://127.0.0.1:${net.nodes[i]!.rpcPort}`;

  const start = (i: number) => {
    const child = spawn(process.execPath, [BIN, 'start', '--home', net.nodes[i]!.home], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children[i] = child;
  };
  const kill = async (i: number) => {
    const child = children[i]!;
    child.kill('SIGKILL');
    await exitOf(child, 10_000);
    children[i] = undefined;
  };
  const heightAtLeast = (i: number, height: number, timeoutMs: number) =>
    pollFor(
      `node${i} at height >= ${height}`,
      async () => {
        const h = await heightOf(url(i));
        return h !== undefined && h >= height ? h : undefined;
      },
      timeoutMs,
      100,
    );

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'shroud-4val-'));
    net = await initNetwork(root, {
      validators: 4,
      chainId: 'shroud-4val',
      portBase: await freePortBase(4),
      blockTimeMs: BLOCK_TIME_MS,
      timeouts: { timeoutProposeMs: 1000, timeoutPrevoteMs: 500, timeoutPrecommitMs: 500 },
    });
    for (let i = 0; i < 4; i++) start(i);
  });

  after(async () => {
    for (const child of children) child?.kill('SIGTERM');
    for (const child of children) if (child !== undefined) await exitOf(child, 15_000).catch(() => undefined);
    // SHROUD_KEEP_HOMES=1 keeps the homes (node.log of each node) to inspect a failure.
    if (root !== '' && process.env['SHROUD_KEEP_HOMES'] !== '1')
      rmSync(root, { recursive: true, force: true });
    else console.log(`# homes kept in ${root}`);
  });

  it('commits encrypted contract txs, survives one crash, halts without quorum, recovers and agrees', async () => {
    const t0 = Date.now();
    for (let i = 0; i < 4; i++) await heightAtLeast(i, 2, 30_000);
    console.log(`# 4 validators committed height 2 after ${Date.now() - t0} ms`);

    // RPC of a consensus node: 4 validators, a commit signed by >= 3 of them, 3 peers.
    const validators = await rpcGet<{ result: { count: string } }>(url(0), '/validators?height=2');
    assert.equal(validators.result.count, '4');
    const commit = await rpcGet<{
      result: { signed_header: { commit: { signatures: { block_id_flag: number }[] } } };
    }>(url(1), '/commit?height=2');
    const signed = commit.result.signed_header.commit.signatures.filter((s) => s.block_id_flag === 2).length;
    assert.ok(signed >= 3, `commit of height 2 carries ${signed} signatures`);
    const peers = await rpcGet<{ result: { n_peers: string } }>(url(2), '/net_info');
    assert.equal(peers.result.n_peers, '3');

    // The SDK against node 3 (its txs reach the other proposers through mempool gossip).
    const [first, second] = net.accounts;
    assert.ok(first !== undefined && second !== undefined, 'test accounts');
    const options = { gasPrice: { denom: 'ushd', amount: '0.1' }, pollIntervalMs: 100 };
    const alice = await ShroudClient.connect(url(3), Wallet.fromMnemonic(first.mnemonic), options);
    const tDeploy = Date.now();
    const { contractAddress } = await deployToken(alice, {
      label: 'four-validators',
      holders: [{ address: first.address, amount: '1000' }],
    });
    const tTransfer = Date.now();
    await transferToken(alice, contractAddress, second.address, '100');
    console.log(
      `# token deployed in ${tTransfer - tDeploy} ms; one encrypted transfer committed in ${Date.now() - tTransfer} ms`,
    );
    const bob = await ShroudClient.connect(url(1), Wallet.fromMnemonic(second.mnemonic), options);
    await setViewingKey(bob, contractAddress, 'bob-key');

    // Evidence: this test process joins as a peer and reports node3 equivocating at height 1
    // (two precommits for different blocks, signed with node3's validator key). The nodes
    // verify it, gossip it, and a proposer records it in a block.
    const seed = (
      JSON.parse(readFileSync(join(net.nodes[3]!.home, HOME_FILES.validatorKey), 'utf8')) as { seed: string }
    ).seed;
    const byzantine = createEd25519Signer(hexToBytes(seed));
    const [voteA, voteB] = ['a', 'b'].map((v) =>
      signVote(byzantine, 'shroud-4val', 'precommit', 1, 7, sha256(utf8Encode(v))),
    );
    const reporter = await P2pNode.start({
      listenAddress: { host: '127.0.0.1', port: 0 },
      nodeKey: randomBytes(32),
      networkId: 'shroud-4val',
      persistentPeers: [{ id: net.nodes[0]!.nodeId, host: '127.0.0.1', port: net.nodes[0]!.p2pPort }],
      channels: Object.values(CHANNELS).map((id) => ({
        id,
        name: `c${id}`,
        maxMessageBytes: 8 << 20,
        sendQueueMessages: 1000,
        sendQueueBytes: 64 << 20,
        priority: 1,
      })),
    });
    try {
      await pollFor(
        'the reporter connected',
        () => (reporter.isConnected(net.nodes[0]!.nodeId) ? true : undefined),
        10_000,
      );
      const from = (await heightOf(url(0)))!;
      reporter.send(
        net.nodes[0]!.nodeId,
        CHANNELS.evidence,
        encodeEvidence({ kind: 'DuplicateVote', first: voteA!, second: voteB! }),
      );
      const recorded = await pollFor(
        'evidence recorded in a block',
        async () => {
          const top = (await heightOf(url(1)))!;
          for (let h = from; h <= top; h++) {
            const block = await rpcGet<{
              result: {
                block: { evidence: { evidence: { value: { vote_a: { validator_address: string } } }[] } };
              };
            }>(url(1), `/block?height=${h}`);
            const found = block.result.block.evidence.evidence[0];
            if (found !== undefined) return { h, validator: found.value.vote_a.validator_address };
          }
          return undefined;
        },
        20_000,
        250,
      );
      assert.equal(recorded.validator, byzantine.address.toUpperCase(), 'the evidence names node3');
      console.log(`# equivocation evidence recorded in block ${recorded.h}`);
    } finally {
      await reporter.stop();
    }

    // SIGKILL one: 3 of 4 equal powers (> 2/3) keep committing, an encrypted transfer included;
    // node3 executes it later, on restart (cold enclave caches: its gas and results must match).
    await kill(3);
    const afterOne = (await heightOf(url(0)))!;
    await heightAtLeast(0, afterOne + 3, 30_000);
    const viaZero = await ShroudClient.connect(url(0), Wallet.fromMnemonic(first.mnemonic), options);
    await transferToken(viaZero, contractAddress, second.address, '50');

    // SIGKILL a second: 2 of 4 is no quorum. Absence of commits can only be observed over a
    // window: 4 target block times plus timeouts, with one block allowed in flight at the kill.
    await kill(2);
    const stalled = Math.max((await heightOf(url(0)))!, (await heightOf(url(1)))!);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const during = Math.max((await heightOf(url(0)))!, (await heightOf(url(1)))!);
    assert.ok(during <= stalled + 1, `no quorum, yet height went ${stalled} → ${during}`);

    // Restart one: 3 of 4 again, commits resume.
    start(2);
    await heightAtLeast(0, during + 2, 30_000);
    // Restart the last: it catches up through block sync and joins consensus.
    start(3);
    const top = (await heightOf(url(0)))!;
    await heightAtLeast(3, top + 1, 30_000);

    // Agreement: every node has the same block hash and app hash at every height.
    const common = Math.min(...(await Promise.all([0, 1, 2, 3].map(async (i) => (await heightOf(url(i)))!))));
    for (let h = 1; h <= common; h++) {
      const blocks = await Promise.all(
        [0, 1, 2, 3].map((i) => rpcGet<BlockJson>(url(i), `/block?height=${h}`)),
      );
      const [reference] = blocks;
      for (const [i, block] of blocks.entries()) {
        assert.equal(
          block.result?.block_id.hash,
          reference?.result?.block_id.hash,
          `block hash of node${i} at ${h}`,
        );
        assert.equal(
          block.result?.block.header.app_hash,
          reference?.result?.block.header.app_hash,
          `app hash of node${i} at ${h}`,
        );
      }
    }
    // An encrypted query answered by the node that caught up: its state has the transfer.
    const viaThree = await ShroudClient.connect(url(3), Wallet.fromMnemonic(second.mnemonic), options);
    assert.equal(
      await tokenBalance(viaThree, contractAddress, second.address, 'bob-key'),
      '150',
      'the caught-up node executed both encrypted transfers',
    );
    console.log(`# agreed on ${common} blocks; whole scenario ${Date.now() - t0} ms`);
  });
});
