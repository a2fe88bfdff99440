// Decoded-block reuse (bench/RESULTS.md "consensus", session 3): the block store keeps the last
// few blocks it decoded and decodeConsensusBlock decodes a bytes object once. What must hold:
// a load never returns a block other than the one stored at that height now (after a
// re-save, a truncation, or many other heights loaded in between).
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex, sha256, utf8Encode } from '../../src/crypto/index.js';
import { makeValidators } from '../../src/consensus/testing.js';
import {
  BlockStore,
  decodeConsensusBlock,
  encodeConsensusBlock,
  type StoredBlock,
} from '../../src/node/index.js';
import { decodeBlock, encodeBlock } from '../../src/node/blockstore.js';
import { testConsensusBlock, testStoredBlock } from './stored-blocks.js';

const CHAIN = 'shroud-decode-cache';
const { set } = makeValidators([1]);

const consensusBlock = (height: number, txs: Uint8Array[]) =>
  testConsensusBlock({ chainId: CHAIN, validators: set, height, txs });
const stored = (height: number, tag: string) =>
  testStoredBlock({ chainId: CHAIN, validators: set, height, txs: [utf8Encode(`${tag} tx at ${height}`)] });

const txText = (block: StoredBlock | undefined) =>
  block === undefined ? 'none' : new TextDecoder().decode(block.txs[0]);

describe('block store: recently decoded blocks', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('loads of many heights, in any order, each return that height', async () => {
    dir = mkdtempSync(join(tmpdir(), 'shroud-decode-cache-'));
    const blocks = BlockStore.open(dir);
    try {
      for (let h = 1; h <= 12; h++) await blocks.save(stored(h, 'first'));
      const order = [12, 11, 12, 1, 5, 12, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 1, 9];
      for (const h of order) {
        const block = blocks.load(BigInt(h));
        assert.equal(block?.header.height, BigInt(h), `height of load(${h})`);
        assert.equal(txText(block), `first tx at ${h}`, `txs of load(${h})`);
      }
      assert.equal(blocks.load(13n), undefined, 'nothing above the top');
      assert.equal(blocks.load(12n), blocks.load(12n), 'a recent block is decoded once (same object)');
    } finally {
      await blocks.close();
    }
  });

  it('the block a save keeps equals the one decoded from disk (consensus record included)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'shroud-decode-cache-'));
    const block = testStoredBlock({
      chainId: CHAIN,
      validators: set,
      height: 1,
      txs: [utf8Encode('a'), utf8Encode('b'.repeat(3000))],
    });
    let kept: StoredBlock | undefined;
    const first = BlockStore.open(dir);
    try {
      await first.save(block);
      kept = first.load(1n);
    } finally {
      await first.close();
    }
    const reopened = BlockStore.open(dir);
    try {
      const fromDisk = reopened.load(1n);
      assert.ok(kept !== undefined && fromDisk !== undefined);
      assert.ok(kept.consensus !== undefined, 'the test block has a consensus record');
      assert.deepEqual(kept, fromDisk);
    } finally {
      await reopened.close();
    }
  });

  it('a re-saved height loads its new block; a truncated one loads nothing', async () => {
    dir = mkdtempSync(join(tmpdir(), 'shroud-decode-cache-'));
    const blocks = BlockStore.open(dir);
    try {
      for (let h = 1; h <= 3; h++) await blocks.save(stored(h, 'first'));
      assert.equal(txText(blocks.load(3n)), 'first tx at 3', 'cached now');
      await blocks.save(stored(3, 'second'));
      assert.equal(txText(blocks.load(3n)), 'second tx at 3', 'after a re-save');
      assert.equal(txText(blocks.load(2n)), 'first tx at 2');
      await blocks.truncateAbove(1n);
      assert.equal(blocks.load(2n), undefined, 'height 2 truncated');
      assert.equal(blocks.load(3n), undefined, 'height 3 truncated');
      assert.equal(txText(blocks.load(1n)), 'first tx at 1', 'height 1 kept');
      await blocks.save(stored(2, 'third'));
      assert.equal(txText(blocks.load(2n)), 'third tx at 2', 'saved again after the truncation');
    } finally {
      await blocks.close();
    }
  });
});

describe('decodeConsensusBlock: one decode per bytes object', () => {
  it('the same bytes give the same block; equal bytes in another array give an equal block', () => {
    const bytes = encodeConsensusBlock(consensusBlock(4, [utf8Encode('a'), utf8Encode('b')]));
    const first = decodeConsensusBlock(bytes);
    assert.ok(first !== null, 'decodes');
    assert.equal(decodeConsensusBlock(bytes), first, 'same object for the same bytes');
    const copy = decodeConsensusBlock(Uint8Array.from(bytes));
    assert.notEqual(copy, first, 'a copy is decoded on its own');
    assert.deepEqual(copy, first, 'to the same content');
    assert.deepEqual(
      first.txs.map((tx) => new TextDecoder().decode(tx)),
      ['a', 'b'],
    );
  });

  it('malformed bytes are null every time (never a throw)', () => {
    const bytes = utf8Encode('{"header": 5}');
    assert.equal(decodeConsensusBlock(bytes), null, 'first decode');
    assert.equal(decodeConsensusBlock(bytes), null, 'second decode (cached)');
    const good = encodeConsensusBlock(consensusBlock(5, []));
    const bad = good.slice();
    bad[bad.length - 1] = 0x7b; // '{' instead of the closing brace
    assert.ok(decodeConsensusBlock(good) !== null, 'the good one decodes');
    assert.equal(decodeConsensusBlock(bad), null, 'its corrupted copy does not');
  });
});

describe('block store encoding: hex of long byte arrays', () => {
  it('txs of every length are the bytesToHex text and decode back', () => {
    const lengths = [0, 1, 63, 64, 65, 1000, 70_000];
    const base = stored(1, 'x');
    const whole = Uint8Array.from({ length: 80_000 }, (_, i) => (i * 37 + 11) & 255);
    // Views at an offset into a larger buffer too: only their own bytes may be encoded.
    const txs = lengths.map((n, i) => whole.subarray(i, i + n));
    const block = { ...base, txs, header: { ...base.header, txHashes: txs.map((tx) => sha256(tx)) } };
    const json = JSON.parse(new TextDecoder().decode(encodeBlock(block))) as { txs: string[] };
    lengths.forEach((n, i) => {
      assert.equal(json.txs[i], bytesToHex(txs[i]!), `hex text of a ${n}-byte tx`);
    });
    const back = decodeBlock(encodeBlock(block));
    lengths.forEach((n, i) => assert.deepEqual([...back.txs[i]!], [...txs[i]!], `bytes of a ${n}-byte tx`));
  });
});
