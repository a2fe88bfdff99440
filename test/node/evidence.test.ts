// Evidence persistence (issue #6 gap 3): committed duplicate-vote evidence is indexed in the
// block store, so after a restart (the store closed and reopened, a fresh pool, as a restarted
// node has) the pool neither pools nor proposes evidence already on chain, and a proposal that
// carries it again is refused; evidence older than the max age is dropped. Truncating the block
// store (a block the app never committed) forgets its evidence too.
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256, utf8Encode } from '../../src/crypto/index.js';
import { makeValidators, signVote } from '../../src/consensus/testing.js';
import { BlockStore, type DuplicateVoteEvidence } from '../../src/node/index.js';
import { EvidencePool, evidenceKey } from '../../src/node/evidence-pool.js';
import { testStoredBlock } from './stored-blocks.js';

const CHAIN = 'shroud-evidence-test';
const { signers, set } = makeValidators([1, 1, 1, 1]);

function duplicate(validator: number, height: number): DuplicateVoteEvidence {
  const a = sha256(utf8Encode(`a${height}`));
  const b = sha256(utf8Encode(`b${height}`));
  return {
    kind: 'DuplicateVote',
    first: signVote(signers[validator]!, CHAIN, 'prevote', height, 0, a),
    second: signVote(signers[validator]!, CHAIN, 'prevote', height, 0, b),
  };
}

/** A stored Tendermint block of `height` carrying `evidence`. */
const storedBlock = (height: number, evidence: DuplicateVoteEvidence[]) =>
  testStoredBlock({ chainId: CHAIN, validators: set, height, evidence });

describe('evidence persisted in the block store', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('after a restart, evidence already on chain is neither pooled, proposed nor accepted again', async () => {
    dir = mkdtempSync(join(tmpdir(), 'shroud-evidence-'));
    const onChain = duplicate(3, 2);
    const pending = duplicate(2, 3);
    let blocks = BlockStore.open(dir);
    let pool = new EvidencePool({ committedAt: (key) => blocks.evidenceHeight(key) });
    assert.equal(pool.add(onChain, 3), 'added');
    assert.deepEqual(pool.forProposal(4), [onChain], 'proposed while pending');
    await blocks.save(storedBlock(1, []));
    await blocks.save(storedBlock(2, []));
    await blocks.save(storedBlock(3, []));
    await blocks.save(storedBlock(4, [onChain]));
    pool.remove([onChain]);
    await blocks.close();

    // Restart: a new store handle and an empty pool (the old in-memory set is gone).
    blocks = BlockStore.open(dir);
    pool = new EvidencePool({ committedAt: (key) => blocks.evidenceHeight(key) });
    assert.equal(blocks.evidenceHeight(evidenceKey(onChain)), 4n, 'indexed with its block height');
    assert.equal(pool.add(onChain, 5), 'committed', 'gossip of it again is not pooled');
    assert.equal(pool.add(pending, 5), 'added');
    assert.deepEqual(pool.forProposal(5), [pending], 'only evidence not on chain is proposed');
    assert.equal(pool.problem(onChain, 5), 'committed', "another proposer's block carrying it is refused");
    assert.equal(pool.problem(pending, 5), null);

    // The block that carried it is dropped (never committed by the app): the evidence is pending again.
    await blocks.truncateAbove(3n);
    assert.equal(
      blocks.evidenceHeight(evidenceKey(onChain)),
      undefined,
      'truncation removes the index entry',
    );
    assert.equal(pool.add(onChain, 4), 'added');
    await blocks.close();
  });

  it('drops evidence older than the max age, on both sides of the bound', () => {
    dir = mkdtempSync(join(tmpdir(), 'shroud-evidence-'));
    const pool = new EvidencePool({ committedAt: () => undefined, maxAgeHeights: 10 });
    const ev = duplicate(1, 5);
    assert.equal(pool.problem(ev, 15), null, 'exactly max age: still valid');
    assert.equal(pool.problem(ev, 16), 'expired', 'one height more: expired');
    assert.equal(pool.add(ev, 16), 'expired', 'not pooled');
    assert.equal(pool.add(ev, 15), 'added');
    assert.deepEqual(pool.forProposal(15), [ev]);
    assert.deepEqual(pool.forProposal(16), [], 'not proposed once expired');
    assert.equal(pool.size, 0, 'and removed from the pool');
  });

  it('keeps evidence of the current height for a later block, and bounds the pool', () => {
    dir = mkdtempSync(join(tmpdir(), 'shroud-evidence-'));
    const pool = new EvidencePool({ committedAt: () => undefined, poolMax: 2 });
    const current = duplicate(0, 7);
    assert.equal(pool.add(current, 7), 'added');
    assert.equal(pool.add(current, 7), 'known', 'a repeat is not pooled twice');
    assert.deepEqual(pool.forProposal(7), [], 'not in a block of its own height');
    assert.deepEqual(pool.forProposal(8), [current], 'in the next one');
    assert.equal(pool.add(duplicate(1, 7), 7), 'added');
    assert.equal(pool.add(duplicate(2, 7), 7), 'full', 'bounded');
  });
});
