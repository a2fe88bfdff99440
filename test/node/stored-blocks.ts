// Tendermint blocks as the block store keeps them, for block store tests: a consensus block
// with fixed header fields, and its stored form (what BlockStore.save takes).
import { sha256 } from '../../src/crypto/index.js';
import type { ValidatorSet } from '../../src/consensus/index.js';
import {
  encodeConsensusBlock,
  evidenceHash,
  type ConsensusBlock,
  type DuplicateVoteEvidence,
  type StoredBlock,
} from '../../src/node/index.js';

export interface TestBlockSpec {
  chainId: string;
  /** The set whose hash the header names. */
  validators: ValidatorSet;
  height: number;
  txs?: Uint8Array[];
  evidence?: DuplicateVoteEvidence[];
}

/** A consensus block of `height` (no last commit) with fixed hashes, time from the height. */
export function testConsensusBlock(spec: TestBlockSpec): ConsensusBlock {
  const evidence = spec.evidence ?? [];
  return {
    header: {
      chainId: spec.chainId,
      height: BigInt(spec.height),
      timeNanos: 1_800_000_000_000_000_000n + BigInt(spec.height),
      proposerAddress: new Uint8Array(20).fill(1),
      lastBlockHash: new Uint8Array(32).fill(2),
      appHash: new Uint8Array(32).fill(3),
      lastResultsHash: new Uint8Array(32).fill(4),
      validatorsHash: spec.validators.hash(),
      dataHash: new Uint8Array(32).fill(5),
      lastCommitHash: new Uint8Array(32).fill(6),
      evidenceHash: evidenceHash(evidence),
    },
    txs: spec.txs ?? [],
    lastCommit: null,
    evidence,
  };
}

/** That block as stored (encoded consensus block, empty results, a commit with no votes). */
export function testStoredBlock(spec: TestBlockSpec): Omit<StoredBlock, 'sizeBytes'> {
  const block = testConsensusBlock(spec);
  const bytes = encodeConsensusBlock(block);
  return {
    header: {
      chainId: spec.chainId,
      height: BigInt(spec.height),
      timeNanos: block.header.timeNanos,
      proposerAddress: block.header.proposerAddress,
      lastBlockHash: block.header.lastBlockHash,
      appHash: new Uint8Array(32),
      resultsHash: new Uint8Array(32),
      dataHash: block.header.dataHash,
      txHashes: block.txs.map((tx) => sha256(tx)),
    },
    hash: sha256(bytes),
    txs: block.txs,
    results: [],
    finalizeEvents: [],
    commitSignature: new Uint8Array(64),
    commitTimeNanos: block.header.timeNanos,
    consensus: { block: bytes, commit: { height: spec.height, round: 0, votes: [] }, validatorUpdates: [] },
  };
}
