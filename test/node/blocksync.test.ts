// Block sync (issue #6 gap 2), real processes on loopback: a one-validator network runs ahead by
// BLOCKS_BEHIND blocks, then a full node (a copy of the validator's home before its first block,
// with its own node key and a validator key outside the set, so it holds the network seed but
// never signs) starts and catches up. Checks: it reaches the validator's height and agrees on
// every block hash and app hash; the catch-up rate (blocks/s) is printed for bench/RESULTS.md.
// A hostile peer (an in-process P2pNode the follower dials) claims a far height and answers the
// follower's requests with blocks whose commits are signed by a stranger: the follower must
// drop it (disconnect) and still catch up from the honest validator.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex, randomBytes, sha256, utf8Encode } from '../../src/crypto/index.js';
import { createEd25519Signer, encodeWalEntry } from '../../src/consensus/index.js';
import { signVote } from '../../src/consensus/testing.js';
import { P2pNode } from '../../src/p2p/index.js';
import {
  CHANNELS,
  HOME_FILES,
  formatPersistentPeer,
  initNetwork,
  writeNodeKey,
  type NetworkDescription,
} from '../../src/node/index.js';
import { BIN, exitOf, freePortBase, heightOf, pollFor, rpcGet } from '../network/helpers.js';

const BLOCKS_BEHIND = Number(process.env['SHROUD_SYNC_BLOCKS'] ?? '120');
const WITH_HOSTILE_PEER = process.env['SHROUD_SYNC_HOSTILE'] !== '0';

/** A peer that announces a far height and answers block requests with forged commits, once. */
async function startHostilePeer(chainId: string): Promise<{ node: P2pNode; dropped: () => number }> {
  const stranger = createEd25519Signer(randomBytes(32));
  let disconnects = 0;
  const node = await P2pNode.start({
    listenAddress: { host: '127.0.0.1', port: 0 },
    nodeKey: randomBytes(32),
    networkId: chainId,
    persistentPeers: [],
    channels: Object.values(CHANNELS).map((id) => ({
      id,
      name: `c${id}`,
      maxMessageBytes: 8 << 20,
      sendQueueMessages: 1000,
      sendQueueBytes: 64 << 20,
      priority: 1,
    })),
  });
  const status = (height: number) => {
    const bytes = new Uint8Array(9);
    bytes[0] = 1;
    new DataView(bytes.buffer).setBigUint64(1, BigInt(height));
    return bytes;
  };
  node.onPeerConnected((peer) =>
    node.send(peer.id, CHANNELS.blockSync, status(disconnects > 0 ? 1 : 1_000_000)),
  );
  node.onPeerDisconnected(() => disconnects++);
  node.on(CHANNELS.blockSync, (peer, bytes) => {
    if (bytes[0] !== 3 || bytes.length !== 11 || disconnects > 0) return;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const from = Number(view.getBigUint64(1));
    for (let height = from; height < from + view.getUint16(9); height++) {
      const blockBytes = utf8Encode(`forged block ${height}`);
      const value = { id: sha256(blockBytes), bytes: blockBytes };
      const payload = encodeWalEntry({
        kind: 'input',
        input: {
          kind: 'CommitReceived',
          height,
          round: 0,
          value,
          commit: [signVote(stranger, chainId, 'precommit', height, 0, value.id)],
        },
      });
      const message = new Uint8Array(payload.length + 1);
      message[0] = 2;
      message.set(payload, 1);
      node.send(peer, CHANNELS.blockSync, message);
    }
  });
  return { node, dropped: () => disconnects };
}

interface BlockJson {
  result?: { block_id: { hash: string }; block: { header: { app_hash: string } } };
}

describe('block sync: a full node N blocks behind catches up', () => {
  let root = '';
  let net: NetworkDescription;
  const children: ChildProcess[] = [];
  let followerRpc = '';
  let validatorRpc = '';
  let hostile: Awaited<ReturnType<typeof startHostilePeer>> | undefined;

  const start = (home: string) => {
    const child = spawn(process.execPath, [BIN, 'start', '--home', home], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    return child;
  };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'shroud-sync-'));
    const portBase = await freePortBase(2);
    net = await initNetwork(root, {
      validators: 1,
      chainId: 'shroud-sync',
      portBase,
      blockTimeMs: 20,
      timeouts: {
        timeoutProposeMs: 1000,
        timeoutPrevoteMs: 500,
        timeoutPrecommitMs: 500,
        timeoutCommitMs: 20,
      },
    });
    const validator = net.nodes[0]!;
    validatorRpc = `http://127.0.0.1:${validator.rpcPort}`;
    const follower = join(root, 'follower');
    cpSync(validator.home, follower, { recursive: true });
    writeNodeKey(follower, randomBytes(32));
    writeFileSync(
      join(follower, HOME_FILES.validatorKey),
      JSON.stringify({ seed: bytesToHex(randomBytes(32)) }),
      { mode: 0o600 },
    );
    const configPath = join(follower, HOME_FILES.config);
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as {
      moniker: string;
      rpc: { port: number };
      p2p: { port: number; persistentPeers: string[] };
    };
    config.moniker = 'follower';
    config.rpc.port = portBase + 10;
    config.p2p.port = portBase + 11;
    config.p2p.persistentPeers = [
      formatPersistentPeer({ id: validator.nodeId, host: '127.0.0.1', port: validator.p2pPort }),
    ];
    if (WITH_HOSTILE_PEER) {
      hostile = await startHostilePeer('shroud-sync');
      config.p2p.persistentPeers.push(
        formatPersistentPeer({ id: hostile.node.id, host: '127.0.0.1', port: hostile.node.listenPort }),
      );
    }
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    followerRpc = `http://127.0.0.1:${portBase + 10}`;
    start(validator.home);
  });

  after(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exitOf(child, 30_000).catch(() => child.kill('SIGKILL'));
      }
    }
    await hostile?.node.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it(`catches up ${BLOCKS_BEHIND} blocks and agrees on every block`, async () => {
    await pollFor(
      `validator at height >= ${BLOCKS_BEHIND}`,
      async () => ((await heightOf(validatorRpc)) ?? 0) >= BLOCKS_BEHIND || undefined,
      180_000,
      100,
    );
    const target = (await heightOf(validatorRpc))!;
    start(join(root, 'follower'));
    const first = 5;
    const startedAt = await pollFor(
      `follower at height >= ${first}`,
      async () => (((await heightOf(followerRpc)) ?? 0) >= first ? performance.now() : undefined),
      120_000,
      20,
    );
    const reachedAt = await pollFor(
      `follower at height >= ${target}`,
      async () => (((await heightOf(followerRpc)) ?? 0) >= target ? performance.now() : undefined),
      240_000,
      20,
    );
    const blocksPerSecond = ((target - first) / (reachedAt - startedAt)) * 1000;
    console.log(
      `block sync: ${target - first} blocks in ${(reachedAt - startedAt).toFixed(0)} ms = ${blocksPerSecond.toFixed(1)} blocks/s (load ${loadavg()[0]!.toFixed(1)})`,
    );
    for (let h = 1; h <= target; h++) {
      const [a, b] = await Promise.all([
        rpcGet<BlockJson>(validatorRpc, `/block?height=${h}`),
        rpcGet<BlockJson>(followerRpc, `/block?height=${h}`),
      ]);
      assert.equal(b.result?.block_id.hash, a.result?.block_id.hash, `block hash at ${h}`);
      assert.equal(b.result?.block.header.app_hash, a.result?.block.header.app_hash, `app hash at ${h}`);
    }
    if (hostile !== undefined)
      assert.ok(hostile.dropped() >= 1, 'the peer sending forged commits was dropped');
    // It keeps following once caught up.
    const now = (await heightOf(validatorRpc))!;
    await pollFor(
      'follower follows new blocks',
      async () => ((await heightOf(followerRpc)) ?? 0) >= now + 3 || undefined,
      60_000,
      50,
    );
  });
});
