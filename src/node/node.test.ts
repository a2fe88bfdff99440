// Node layer: home files and their modes, the block store's encoding and crash truncation, the
// lock file, restart from the same home.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasErrorCode } from '../errors.js';
import { sha256, utf8Encode } from '../crypto/index.js';
import { BlockStore, blockHash, decodeBlock, encodeBlock, type StoredBlock } from './blockstore.js';
import { HOME_FILES, initHome } from './home.js';
import { startSoloNode } from './node.js';

const temp = (label: string) => mkdtempSync(join(tmpdir(), `shroud-node-${label}-`));

function sampleBlock(height: bigint, txs: Uint8Array[]): Omit<StoredBlock, 'sizeBytes'> {
  const header = {
    chainId: 'c',
    height,
    timeNanos: 1_700_000_000_123_456_789n + height,
    proposerAddress: new Uint8Array(20).fill(1),
    lastBlockHash: height === 1n ? new Uint8Array(0) : new Uint8Array(32).fill(2),
    appHash: new Uint8Array(32).fill(3),
    resultsHash: new Uint8Array(32).fill(4),
    dataHash: new Uint8Array(32).fill(5),
    txHashes: txs.map((tx) => sha256(tx)),
  };
  return {
    header,
    hash: blockHash(header),
    txs,
    results: txs.map(() => ({
      code: 0,
      data: Uint8Array.of(9),
      log: '',
      gasWanted: 10n,
      gasUsed: 7n,
      events: [{ type: 'transfer', attributes: [{ key: 'amount', value: '5ushd', index: true }] }],
      codespace: '',
    })),
    finalizeEvents: [],
    commitSignature: new Uint8Array(64).fill(6),
    commitTimeNanos: header.timeNanos,
  };
}

describe('block store', () => {
  it('round-trips a block byte-for-byte and hashes headers deterministically', () => {
    const block = sampleBlock(3n, [utf8Encode('tx-a'), utf8Encode('tx-b')]);
    const bytes = encodeBlock(block);
    const decoded = decodeBlock(bytes);
    assert.deepEqual(encodeBlock(decoded), bytes);
    assert.deepEqual(blockHash(decoded.header), block.hash);
    const changed = { ...block.header, height: 4n };
    assert.notDeepEqual(blockHash(changed), block.hash, 'the height is hashed');
  });

  it('refuses a corrupt record with BLOCK_STORE_CORRUPT', () => {
    for (const text of ['', '{', '{"header":null}', '[]']) {
      assert.throws(
        () => decodeBlock(utf8Encode(text)),
        (e: unknown) => hasErrorCode(e, 'BLOCK_STORE_CORRUPT'),
        `record ${JSON.stringify(text)}`,
      );
    }
  });

  it('saves, finds txs by hash and truncates uncommitted heights', async () => {
    const dir = temp('blocks');
    const store = BlockStore.open(dir);
    try {
      assert.equal(store.height(), 0n);
      await store.save(sampleBlock(1n, [utf8Encode('one')]));
      await store.save(sampleBlock(2n, [utf8Encode('two')]));
      assert.equal(store.height(), 2n);
      assert.deepEqual(store.findTx(sha256(utf8Encode('two'))), { height: 2n, index: 0 });
      await store.truncateAbove(1n);
      assert.equal(store.height(), 1n);
      assert.equal(store.load(2n), undefined);
      assert.equal(store.findTx(sha256(utf8Encode('two'))), undefined, 'index entry dropped');
      assert.deepEqual(store.findTx(sha256(utf8Encode('one'))), { height: 1n, index: 0 });
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('node home and solo node', () => {
  it('writes secrets 0600, refuses a second init, locks the home, restarts at the same chain', async () => {
    const home = temp('home');
    try {
      const result = await initHome(home, { chainId: 'home-test', accounts: 2 });
      assert.equal(result.accounts.length, 2);
      for (const file of [
        HOME_FILES.sealedSeed,
        HOME_FILES.validatorKey,
        HOME_FILES.authoritySeed,
        HOME_FILES.accounts,
        'sealing.key',
      ]) {
        assert.equal(statSync(join(home, file)).mode & 0o777, 0o600, `${file} is 0600`);
      }
      const genesis = readFileSync(join(home, HOME_FILES.genesis), 'utf8');
      for (const account of result.accounts) {
        assert.ok(genesis.includes(account.address), `${account.name} funded`);
        assert.ok(!genesis.includes(account.mnemonic), `${account.name} mnemonic not in genesis`);
      }
      assert.ok(
        !genesis.includes(readFileSync(join(home, HOME_FILES.authoritySeed), 'utf8')),
        'authority seed not in genesis',
      );
      await assert.rejects(initHome(home), (e: unknown) => hasErrorCode(e, 'HOME_EXISTS'));

      const node = await startSoloNode(home, { blockTimeMs: 100 });
      let first: Uint8Array;
      try {
        first = (await node.waitForHeight(2n, 20_000)).hash;
        await assert.rejects(startSoloNode(home), (e: unknown) => hasErrorCode(e, 'HOME_LOCKED'));
      } finally {
        await node.stop();
      }
      // A stale lock of a dead process does not block a restart.
      writeFileSync(join(home, HOME_FILES.lock), '999999999');
      const again = await startSoloNode(home, { blockTimeMs: 100 });
      try {
        const top = again.blocks.height();
        assert.ok(top >= 2n, 'the block store survived the restart');
        assert.deepEqual(again.blocks.load(2n)?.hash, first, 'same block 2');
        const next = await again.waitForHeight(top + 1n, 20_000);
        assert.deepEqual(next.header.lastBlockHash, again.blocks.load(top)?.hash, 'the chain continues');
      } finally {
        await again.stop();
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('refuses a genesis with initial_height > 1 (CometBFT only) with HOME_INVALID, before taking the lock', async () => {
    const home = temp('initial-height');
    try {
      await initHome(home, { chainId: 'height-test', accounts: 1 });
      const path = join(home, HOME_FILES.genesis);
      const genesis = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      writeFileSync(path, JSON.stringify({ ...genesis, initial_height: '7' }));
      await assert.rejects(
        startSoloNode(home),
        (e: unknown) =>
          hasErrorCode(e, 'HOME_INVALID') && e instanceof Error && /shroud abci/.test(e.message),
      );
      assert.throws(() => statSync(join(home, HOME_FILES.lock)), 'no lock left behind');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('refuses a home without genesis with HOME_INVALID', async () => {
    const home = temp('empty');
    try {
      await assert.rejects(startSoloNode(home), (e: unknown) => hasErrorCode(e, 'HOME_INVALID'));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
