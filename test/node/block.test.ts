// The Tendermint block format (src/node/block.ts): encoding round trip, refusal of malformed
// peer bytes (never a throw), and commit verification (+2/3 of power, signatures, one vote
// per validator, the right block and height).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ed25519Verify, sha256, utf8Encode } from '../../src/crypto/index.js';
import { makeValidators, signVote } from '../../src/consensus/testing.js';
import {
  commitHash,
  decodeConsensusBlock,
  encodeConsensusBlock,
  evidenceHash,
  proposedBlockProblem,
  txsDataHash,
  verifyCommit,
  type Commit,
  type ConsensusBlock,
  type ProposalContext,
} from '../../src/node/index.js';

const CHAIN = 'shroud-block-test';
const { signers, set } = makeValidators([1, 1, 1, 1]);
const blockId = sha256(utf8Encode('block 7'));

function precommit(i: number, id: Uint8Array | null = blockId, height = 7, round = 0) {
  return signVote(signers[i]!, CHAIN, 'precommit', height, round, id);
}

function sampleBlock(): ConsensusBlock {
  const commit: Commit = { height: 6, round: 1, votes: [0, 1, 2].map((i) => precommit(i, blockId, 6, 1)) };
  const first = precommit(3, blockId, 5, 0);
  const second = precommit(3, sha256(utf8Encode('other')), 5, 0);
  return {
    header: {
      chainId: CHAIN,
      height: 7n,
      timeNanos: 1_800_000_000_000_000_000n,
      proposerAddress: new Uint8Array(20).fill(1),
      lastBlockHash: blockId,
      appHash: new Uint8Array(32).fill(2),
      lastResultsHash: new Uint8Array(32).fill(3),
      validatorsHash: set.hash(),
      dataHash: new Uint8Array(32).fill(4),
      lastCommitHash: new Uint8Array(32).fill(5),
      evidenceHash: new Uint8Array(32).fill(6),
    },
    txs: [utf8Encode('tx one'), new Uint8Array([0, 255, 1])],
    lastCommit: commit,
    evidence: [{ kind: 'DuplicateVote', first, second }],
  };
}

describe('consensus block encoding', () => {
  it('round-trips every field, and equal blocks are equal bytes', () => {
    const block = sampleBlock();
    const bytes = encodeConsensusBlock(block);
    const decoded = decodeConsensusBlock(bytes);
    assert.deepEqual(decoded, block);
    assert.deepEqual(encodeConsensusBlock(decoded), bytes);
  });

  it('returns null (never throws) for malformed bytes', () => {
    const good = JSON.parse(Buffer.from(encodeConsensusBlock(sampleBlock())).toString('utf8')) as {
      header: Record<string, unknown>;
      txs: unknown[];
      last_commit: { votes: Record<string, unknown>[] };
    };
    const variants: [string, (j: typeof good) => void][] = [
      ['height not a decimal string', (j) => (j.header['height'] = 7)],
      ['negative height', (j) => (j.header['height'] = '-1')],
      ['short app hash', (j) => (j.header['app_hash'] = 'abcd')],
      ['uppercase hex', (j) => (j.header['data_hash'] = 'AB'.repeat(32))],
      ['tx not base64', (j) => (j.txs[0] = '***')],
      ['vote with a bad type', (j) => (j.last_commit.votes[0]!['type'] = 'yes')],
      ['vote with a short signature', (j) => (j.last_commit.votes[0]!['signature'] = '00')],
      ['missing header', (j) => delete (j as Partial<typeof good>).header],
    ];
    for (const [name, mutate] of variants) {
      const copy = structuredClone(good);
      mutate(copy);
      assert.equal(decodeConsensusBlock(utf8Encode(JSON.stringify(copy))), null, name);
    }
    assert.equal(decodeConsensusBlock(utf8Encode('not json')), null, 'not JSON');
    assert.equal(decodeConsensusBlock(new Uint8Array([0xff, 0xfe])), null, 'not UTF-8 JSON');
  });
});

describe('verifyCommit', () => {
  const commitOf = (indices: number[], build = (i: number) => precommit(i)): Commit => ({
    height: 7,
    round: 0,
    votes: indices.map(build),
  });

  it('accepts 3 of 4 equal powers and refuses 2 of 4', () => {
    assert.equal(verifyCommit(CHAIN, set, 7, blockId, commitOf([0, 1, 2]), ed25519Verify), null);
    assert.match(verifyCommit(CHAIN, set, 7, blockId, commitOf([0, 1]), ed25519Verify) ?? '', /voting power/);
  });

  it('refuses duplicates, other blocks, nil, other heights and rounds, bad signatures, strangers', () => {
    const stranger = makeValidators([1, 1, 1, 1, 1]).signers[4]!;
    const cases: [string, Commit][] = [
      ['a validator twice', commitOf([0, 1, 1, 2])],
      ['another block', commitOf([0, 1, 2], (i) => precommit(i, sha256(utf8Encode('x'))))],
      ['nil precommits', commitOf([0, 1, 2], (i) => precommit(i, null))],
      ['another height inside', commitOf([0, 1, 2], (i) => precommit(i, blockId, 8))],
      ['another round inside', commitOf([0, 1, 2], (i) => precommit(i, blockId, 7, 1))],
      [
        'a forged signature',
        commitOf([0, 1, 2], (i) => ({ ...precommit(i), signature: new Uint8Array(64).fill(i + 1) })),
      ],
      [
        'a non-validator',
        {
          height: 7,
          round: 0,
          votes: [precommit(0), precommit(1), signVote(stranger, CHAIN, 'precommit', 7, 0, blockId)],
        },
      ],
      ['a commit for another height', { ...commitOf([0, 1, 2]), height: 6 }],
      ['prevotes', commitOf([0, 1, 2], (i) => signVote(signers[i]!, CHAIN, 'prevote', 7, 0, blockId))],
    ];
    for (const [name, commit] of cases) {
      assert.notEqual(verifyCommit(CHAIN, set, 7, blockId, commit, ed25519Verify), null, name);
    }
  });
});

describe('proposedBlockProblem (ValidateValue against our own state)', () => {
  const previousHash = sha256(utf8Encode('block 6'));
  const ourAppHash = new Uint8Array(32).fill(9);
  const ourResults = new Uint8Array(32).fill(8);
  const lastCommit: Commit = {
    height: 6,
    round: 0,
    votes: [0, 1, 2].map((i) => precommit(i, previousHash, 6, 0)),
  };
  const proposer = set.validators[0]!;

  function proposal(change: (b: ConsensusBlock) => void = () => undefined): Uint8Array {
    const txs = [utf8Encode('tx a'), utf8Encode('tx b')];
    const block: ConsensusBlock = {
      header: {
        chainId: CHAIN,
        height: 7n,
        timeNanos: 2_000n,
        proposerAddress: Buffer.from(proposer.address, 'hex'),
        lastBlockHash: previousHash,
        appHash: ourAppHash,
        lastResultsHash: ourResults,
        validatorsHash: set.hash(),
        dataHash: txsDataHash(txs.map((tx) => sha256(tx))),
        lastCommitHash: commitHash(lastCommit),
        evidenceHash: evidenceHash([]),
      },
      txs,
      lastCommit,
      evidence: [],
    };
    change(block);
    return encodeConsensusBlock(block);
  }

  const ctx: ProposalContext = {
    chainId: CHAIN,
    height: 7,
    appHash: ourAppHash,
    previous: { hash: previousHash, timeNanos: 1_000n, resultsHash: ourResults, validators: set },
    validators: set,
    verify: ed25519Verify,
    evidenceProblem: () => null,
  };

  it('accepts a block built on our state', () => {
    assert.equal(proposedBlockProblem(proposal(), ctx), null);
  });

  it('refuses a block whose app hash or results hash differs from our execution', () => {
    assert.match(
      proposedBlockProblem(
        proposal((b) => (b.header.appHash = new Uint8Array(32).fill(1))),
        ctx,
      ) ?? '',
      /app hash differs/,
    );
    assert.match(
      proposedBlockProblem(
        proposal((b) => (b.header.lastResultsHash = new Uint8Array(32))),
        ctx,
      ) ?? '',
      /results hash differs/,
    );
    // The same block is refused by a validator whose own app hash differs.
    assert.match(
      proposedBlockProblem(proposal(), { ...ctx, appHash: new Uint8Array(32).fill(7) }) ?? '',
      /app hash/,
    );
  });

  it('refuses every inconsistent header field or body', () => {
    const weak: Commit = { ...lastCommit, votes: lastCommit.votes.slice(0, 2) };
    const cases: [string, (b: ConsensusBlock) => void][] = [
      ['another chain', (b) => (b.header.chainId = 'other')],
      ['another height', (b) => (b.header.height = 8n)],
      ['another parent', (b) => (b.header.lastBlockHash = blockId)],
      ['another validator set', (b) => (b.header.validatorsHash = new Uint8Array(32))],
      ['a stranger proposer', (b) => (b.header.proposerAddress = new Uint8Array(20))],
      ['time not increasing', (b) => (b.header.timeNanos = 1_000n)],
      ['a tx added after hashing', (b) => b.txs.push(utf8Encode('smuggled'))],
      ['last commit swapped after hashing', (b) => (b.lastCommit = weak)],
      [
        'a last commit without quorum',
        (b) => {
          b.lastCommit = weak;
          b.header.lastCommitHash = commitHash(weak);
        },
      ],
      [
        'no last commit',
        (b) => {
          b.lastCommit = null;
          b.header.lastCommitHash = commitHash(null);
        },
      ],
      ['evidence hash of other evidence', (b) => (b.header.evidenceHash = new Uint8Array(32))],
    ];
    for (const [name, change] of cases) {
      assert.notEqual(proposedBlockProblem(proposal(change), ctx), null, name);
    }
    assert.equal(proposedBlockProblem(utf8Encode('{}'), ctx), 'malformed block');
  });

  it('refuses evidence the evidence check refuses', () => {
    const first = precommit(3, blockId, 5, 0);
    const second = precommit(3, previousHash, 5, 0);
    const withEvidence = proposal((b) => {
      b.evidence = [{ kind: 'DuplicateVote', first, second }];
      b.header.evidenceHash = evidenceHash(b.evidence);
    });
    assert.equal(proposedBlockProblem(withEvidence, ctx), null);
    assert.match(
      proposedBlockProblem(withEvidence, { ...ctx, evidenceProblem: () => 'bad signature' }) ?? '',
      /evidence: bad signature/,
    );
  });
});
