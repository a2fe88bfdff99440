// config.json `p2p`/`consensus` and node_key.json (issue #6 node): defaults for old homes,
// validation of every new field, persistent peer parsing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_CONSENSUS_CONFIG,
  HOME_FILES,
  formatPersistentPeer,
  loadConfig,
  loadNodeKey,
  parsePersistentPeer,
  writeNodeKey,
} from '../../src/node/index.js';
import { ShroudError } from '../../src/errors.js';

const isHomeInvalid = (e: unknown) => e instanceof ShroudError && e.code === 'HOME_INVALID';
const base = { moniker: 'n', chainId: 'c', blockTimeMs: 1000, rpc: { host: '127.0.0.1', port: 1 } };
const peerId = 'ab'.repeat(20);

function withHome(run: (home: string) => void): void {
  const home = mkdtempSync(join(tmpdir(), 'shroud-config-'));
  try {
    run(home);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

describe('node config', () => {
  it('fills p2p and consensus defaults for a session-1 config (solo engine)', () => {
    withHome((home) => {
      writeFileSync(join(home, HOME_FILES.config), JSON.stringify(base));
      const config = loadConfig(home);
      assert.equal(config.consensus.engine, 'solo');
      assert.deepEqual(config.consensus, DEFAULT_CONSENSUS_CONFIG);
      assert.deepEqual(config.p2p.persistentPeers, []);
    });
  });

  it('keeps given values and completes missing timeouts', () => {
    withHome((home) => {
      const p2p = { host: '0.0.0.0', port: 5000, persistentPeers: [`${peerId}@127.0.0.1:5001`] };
      writeFileSync(
        join(home, HOME_FILES.config),
        JSON.stringify({ ...base, p2p, consensus: { engine: 'tendermint', timeoutCommitMs: 250 } }),
      );
      const config = loadConfig(home);
      assert.deepEqual(config.p2p, p2p);
      assert.equal(config.consensus.engine, 'tendermint');
      assert.equal(config.consensus.timeoutCommitMs, 250);
      assert.equal(config.consensus.timeoutProposeMs, DEFAULT_CONSENSUS_CONFIG.timeoutProposeMs);
      assert.equal(
        config.consensus.maxBlockTxs,
        DEFAULT_CONSENSUS_CONFIG.maxBlockTxs,
        'block tx cap default',
      );
    });
  });

  it('refuses malformed p2p/consensus fields', () => {
    const bad: unknown[] = [
      { p2p: { host: 1, port: 1, persistentPeers: [] } },
      { p2p: { host: 'h', port: 70_000, persistentPeers: [] } },
      { p2p: { host: 'h', port: 1, persistentPeers: 'x' } },
      { p2p: { host: 'h', port: 1, persistentPeers: ['nope@h:1'] } },
      { consensus: { engine: 'pbft' } },
      { consensus: { engine: 'tendermint', timeoutProposeMs: -1 } },
      { consensus: { engine: 'tendermint', timeoutCommitMs: 1.5 } },
      { consensus: { engine: 'tendermint', maxBlockTxs: 0 } },
      { consensus: { engine: 'tendermint', maxBlockTxs: 2.5 } },
      { consensus: { engine: 'tendermint', maxBlockTxs: '500' } },
    ];
    withHome((home) => {
      for (const extra of bad) {
        writeFileSync(join(home, HOME_FILES.config), JSON.stringify({ ...base, ...(extra as object) }));
        assert.throws(() => loadConfig(home), isHomeInvalid, JSON.stringify(extra));
      }
    });
  });

  it('parses and formats persistent peers, refusing bad entries', () => {
    const peer = parsePersistentPeer(`${peerId}@127.0.0.1:26656`);
    assert.deepEqual(peer, { id: peerId, host: '127.0.0.1', port: 26656 });
    assert.equal(formatPersistentPeer(peer), `${peerId}@127.0.0.1:26656`);
    for (const entry of [
      `${peerId}@h:0`,
      `${peerId}@h:65536`,
      `${peerId}@:1`,
      `${peerId.toUpperCase()}@h:1`,
      'x@h:1',
      `${peerId}h:1`,
    ]) {
      assert.throws(() => parsePersistentPeer(entry), isHomeInvalid, entry);
    }
  });

  it('node_key.json round trip, 0600, refuses garbage', () => {
    withHome((home) => {
      assert.throws(() => loadNodeKey(home), isHomeInvalid);
      const seed = new Uint8Array(32).fill(7);
      writeNodeKey(home, seed);
      assert.equal(statSync(join(home, HOME_FILES.nodeKey)).mode & 0o777, 0o600);
      const key = loadNodeKey(home);
      assert.deepEqual(key.seed, seed);
      assert.equal(key.publicKey.length, 32);
      writeFileSync(join(home, HOME_FILES.nodeKey), '{"seed":"zz"}');
      assert.throws(() => loadNodeKey(home), isHomeInvalid);
      assert.throws(() => writeNodeKey(home, new Uint8Array(31)), isHomeInvalid);
    });
  });
});
