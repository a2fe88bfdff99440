// The block the Tendermint engine agrees on (DESIGN.md §6): a header, the txs, the previous
// block's commit and evidence. Its bytes are the consensus core's opaque value; the value id
// (what votes sign) is sha256 of these bytes, and it is also the block hash the RPC shows.
//
// CometBFT placement: the header of block H carries the app hash and the results hash AFTER
// block H-1, so a validator whose own execution of H-1 differs refuses (votes nil on) H.
// Encoding: JSON with a fixed field order (equal blocks are equal bytes), bytes as lowercase
// hex, txs as base64 (a block of 1 MiB of txs stays well under the core's 4 MiB value limit),
// integers as decimal strings. Decoding checks every field: the bytes come from peers.
import { bytesToHex, concatBytes, ED25519_SIGNATURE_BYTES, sha256, utf8Encode } from '../crypto/index.js';
import {
  isQuorum,
  voteSignBytes,
  type Evidence,
  type SignedVote,
  type ValidatorSet,
} from '../consensus/index.js';

/** The +2/3 precommits that committed a block (CometBFT's Commit). */
export interface Commit {
  height: number;
  round: number;
  /** Precommits for the block id, at most one per validator. */
  votes: SignedVote[];
}

/** Evidence recorded in a block: two signed votes of one validator for one (h, r, type). */
export type DuplicateVoteEvidence = Extract<Evidence, { kind: 'DuplicateVote' }>;

export interface ConsensusBlockHeader {
  chainId: string;
  height: bigint;
  timeNanos: bigint;
  /** Consensus address (20 bytes) of the proposer. */
  proposerAddress: Uint8Array;
  /** Id of block height-1 (empty at height 1). */
  lastBlockHash: Uint8Array;
  /** App hash after block height-1 (the state this block executes on); at height 1 the genesis app hash. */
  appHash: Uint8Array;
  /** resultsHash of block height-1's tx results (empty at height 1). */
  lastResultsHash: Uint8Array;
  /** ValidatorSet.hash() of the set that signs this height. */
  validatorsHash: Uint8Array;
  /** sha256 over the concatenated tx hashes. */
  dataHash: Uint8Array;
  /** sha256 of the encoded last commit (empty at height 1). */
  lastCommitHash: Uint8Array;
  /** sha256 of the encoded evidence list. */
  evidenceHash: Uint8Array;
}

export interface ConsensusBlock {
  header: ConsensusBlockHeader;
  txs: Uint8Array[];
  /** The commit of block height-1 (null at height 1). */
  lastCommit: Commit | null;
  evidence: DuplicateVoteEvidence[];
}

const hex = bytesToHex;
type Json = Record<string, unknown>;

/** Why a JSON field is unusable: thrown inside the decoders, caught at their boundary. */
class Malformed extends Error {}

function field(json: unknown, key: string): unknown {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Malformed(key);
  return (json as Json)[key];
}

function hexField(json: unknown, key: string, lengths?: readonly number[]): Uint8Array {
  const value = field(json, key);
  if (typeof value !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(value)) throw new Malformed(key);
  const bytes = Uint8Array.from(Buffer.from(value, 'hex'));
  if (lengths !== undefined && !lengths.includes(bytes.length)) throw new Malformed(key);
  return bytes;
}

function intField(json: unknown, key: string): bigint {
  const value = field(json, key);
  if (typeof value !== 'string' || !/^(?:0|[1-9][0-9]{0,18})$/.test(value)) throw new Malformed(key);
  return BigInt(value);
}

function numberField(json: unknown, key: string, max: number): number {
  const value = field(json, key);
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max)
    throw new Malformed(key);
  return value;
}

function arrayField(json: unknown, key: string, max: number): unknown[] {
  const value = field(json, key);
  if (!Array.isArray(value) || value.length > max) throw new Malformed(key);
  return value;
}

/** A vote as JSON (fixed field order). */
export function voteJson(vote: SignedVote): Json {
  return {
    type: vote.type,
    height: vote.height,
    round: vote.round,
    value_id: vote.valueId === null ? null : hex(vote.valueId),
    validator: vote.validatorAddress,
    signature: hex(vote.signature),
  };
}

/** The inverse of {@link voteJson}. @throws {Malformed} (internal) on a bad field. */
function voteFromJson(json: unknown): SignedVote {
  const type = field(json, 'type');
  if (type !== 'prevote' && type !== 'precommit') throw new Malformed('type');
  const validator = field(json, 'validator');
  if (typeof validator !== 'string' || !/^[0-9a-f]{40}$/.test(validator)) throw new Malformed('validator');
  return {
    type,
    height: numberField(json, 'height', Number.MAX_SAFE_INTEGER),
    round: numberField(json, 'round', 0x7fff_ffff),
    valueId: field(json, 'value_id') === null ? null : hexField(json, 'value_id', [32]),
    validatorAddress: validator,
    signature: hexField(json, 'signature', [ED25519_SIGNATURE_BYTES]),
  };
}

/** Upper bound on votes in a commit and on evidence entries in a block (STYLE.md §6). */
export const COMMIT_VOTES_MAX = 10_000;
export const BLOCK_EVIDENCE_MAX = 100;

export function commitJson(commit: Commit): Json {
  return { height: commit.height, round: commit.round, votes: commit.votes.map(voteJson) };
}

function commitFromJson(json: unknown): Commit {
  return {
    height: numberField(json, 'height', Number.MAX_SAFE_INTEGER),
    round: numberField(json, 'round', 0x7fff_ffff),
    votes: arrayField(json, 'votes', COMMIT_VOTES_MAX).map(voteFromJson),
  };
}

function evidenceJson(evidence: DuplicateVoteEvidence): Json {
  return { kind: 'DuplicateVote', first: voteJson(evidence.first), second: voteJson(evidence.second) };
}

function evidenceFromJson(json: unknown): DuplicateVoteEvidence {
  if (field(json, 'kind') !== 'DuplicateVote') throw new Malformed('kind');
  return {
    kind: 'DuplicateVote',
    first: voteFromJson(field(json, 'first')),
    second: voteFromJson(field(json, 'second')),
  };
}

/** Bytes of one evidence item (the p2p evidence channel). */
export function encodeEvidence(evidence: DuplicateVoteEvidence): Uint8Array {
  return utf8Encode(JSON.stringify(evidenceJson(evidence)));
}

/** The inverse of {@link encodeEvidence}; null when malformed (signatures are not checked here). */
export function decodeEvidence(bytes: Uint8Array): DuplicateVoteEvidence | null {
  try {
    return evidenceFromJson(JSON.parse(Buffer.from(bytes).toString('utf8')));
  } catch {
    return null;
  }
}

/** Bytes of a commit (stored records and block sync use them too). */
export function encodeCommit(commit: Commit): Uint8Array {
  return utf8Encode(JSON.stringify(commitJson(commit)));
}

/** The inverse of {@link encodeCommit}; null when the bytes are not a well-formed commit. */
export function decodeCommit(bytes: Uint8Array): Commit | null {
  try {
    return commitFromJson(JSON.parse(Buffer.from(bytes).toString('utf8')));
  } catch {
    return null;
  }
}

/** The header's lastCommitHash of a commit. */
export function commitHash(commit: Commit | null): Uint8Array {
  return commit === null ? new Uint8Array(0) : sha256(encodeCommit(commit));
}

/** The header's evidenceHash. */
export function evidenceHash(evidence: readonly DuplicateVoteEvidence[]): Uint8Array {
  return sha256(utf8Encode(JSON.stringify(evidence.map(evidenceJson))));
}

/** sha256 over the concatenated tx hashes (the header's dataHash). */
export function txsDataHash(txHashes: readonly Uint8Array[]): Uint8Array {
  return sha256(concatBytes(...txHashes));
}

/** The block's bytes (the consensus value). */
export function encodeConsensusBlock(block: ConsensusBlock): Uint8Array {
  const h = block.header;
  return utf8Encode(
    JSON.stringify({
      header: {
        chain_id: h.chainId,
        height: h.height.toString(),
        time: h.timeNanos.toString(),
        proposer: hex(h.proposerAddress),
        last_block_hash: hex(h.lastBlockHash),
        app_hash: hex(h.appHash),
        last_results_hash: hex(h.lastResultsHash),
        validators_hash: hex(h.validatorsHash),
        data_hash: hex(h.dataHash),
        last_commit_hash: hex(h.lastCommitHash),
        evidence_hash: hex(h.evidenceHash),
      },
      txs: block.txs.map((tx) => Buffer.from(tx).toString('base64')),
      last_commit: block.lastCommit === null ? null : commitJson(block.lastCommit),
      evidence: block.evidence.map(evidenceJson),
    }),
  );
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes and shape-checks a block from a peer. Never throws: null means malformed (the
 * caller treats the value as invalid, so its validator votes nil).
 */
export function decodeConsensusBlock(bytes: Uint8Array): ConsensusBlock | null {
  // The same value's bytes are decoded several times per height (validation, execution, the
  // block store's record, the RPC's header and evidence): once per bytes object now. Values
  // are never mutated (their id is their hash); callers share the result and must not mutate it.
  const known = decodedBlocks.get(bytes);
  if (known !== undefined) return known;
  const block = decodeConsensusBlockUncached(bytes);
  decodedBlocks.set(bytes, block);
  return block;
}

/** Decodes by bytes object; a WeakMap, so an entry lives as long as its bytes do. */
const decodedBlocks = new WeakMap<Uint8Array, ConsensusBlock | null>();

function decodeConsensusBlockUncached(bytes: Uint8Array): ConsensusBlock | null {
  try {
    const json: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    const h = field(json, 'header');
    const chainId = field(h, 'chain_id');
    if (typeof chainId !== 'string') throw new Malformed('chain_id');
    const header: ConsensusBlockHeader = {
      chainId,
      height: intField(h, 'height'),
      timeNanos: intField(h, 'time'),
      proposerAddress: hexField(h, 'proposer', [20]),
      lastBlockHash: hexField(h, 'last_block_hash', [0, 32]),
      appHash: hexField(h, 'app_hash', [32]),
      lastResultsHash: hexField(h, 'last_results_hash', [0, 32]),
      validatorsHash: hexField(h, 'validators_hash', [32]),
      dataHash: hexField(h, 'data_hash', [32]),
      lastCommitHash: hexField(h, 'last_commit_hash', [0, 32]),
      evidenceHash: hexField(h, 'evidence_hash', [32]),
    };
    const txs = arrayField(json, 'txs', 1_000_000).map((tx) => {
      if (typeof tx !== 'string' || !BASE64.test(tx)) throw new Malformed('txs');
      return Uint8Array.from(Buffer.from(tx, 'base64'));
    });
    const last = field(json, 'last_commit');
    return {
      header,
      txs,
      lastCommit: last === null ? null : commitFromJson(last),
      evidence: arrayField(json, 'evidence', BLOCK_EVIDENCE_MAX).map(evidenceFromJson),
    };
  } catch {
    return null;
  }
}

/**
 * Checks that `commit` holds > 2/3 of `set`'s voting power of valid precommits for `blockId`
 * at `height` (each validator counted once, signatures verified over the core's sign bytes).
 * Returns what is wrong, or null when the commit is valid.
 */
export function verifyCommit(
  chainId: string,
  set: ValidatorSet,
  height: number,
  blockId: Uint8Array,
  commit: Commit,
  verify: (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array) => boolean,
): string | null {
  if (commit.height !== height) return `commit is for height ${commit.height}, not ${height}`;
  const seen = new Set<string>();
  let power = 0n;
  const id = hex(blockId);
  for (const vote of commit.votes) {
    const validator = set.getByAddress(vote.validatorAddress);
    if (validator === undefined) return `precommit by ${vote.validatorAddress}, not a validator`;
    if (seen.has(vote.validatorAddress)) return `two precommits by ${vote.validatorAddress}`;
    if (
      vote.type !== 'precommit' ||
      vote.height !== height ||
      vote.round !== commit.round ||
      vote.valueId === null ||
      hex(vote.valueId) !== id
    ) {
      return `a precommit by ${vote.validatorAddress} is not for this block`;
    }
    if (!verify(voteSignBytes(chainId, vote), vote.signature, validator.publicKey))
      return `bad signature by ${vote.validatorAddress}`;
    seen.add(vote.validatorAddress);
    power += validator.votingPower;
  }
  return isQuorum(power, set.totalVotingPower) ? null : `only ${power}/${set.totalVotingPower} voting power`;
}

/** Our own state a proposed block at `height` must match (ValidateValue). */
export interface ProposalContext {
  chainId: string;
  height: number;
  /** Our app hash after height - 1. */
  appHash: Uint8Array;
  /** Our block height - 1, its results hash and the set that signed it; null at height 1. */
  previous: {
    hash: Uint8Array;
    timeNanos: bigint;
    resultsHash: Uint8Array;
    validators: ValidatorSet;
  } | null;
  /** The set of `height`. */
  validators: ValidatorSet;
  verify: (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array) => boolean;
  /** Checks one evidence item (signatures against its height's set); null when valid. */
  evidenceProblem: (evidence: DuplicateVoteEvidence) => string | null;
}

/** Default bound on how far a proposal's header time may run ahead of a validator's clock. */
export const DEFAULT_MAX_CLOCK_DRIFT_MS = 5000;

/**
 * What is wrong with a proposal's header time, or null (issue #6 gap 4): it must be after the
 * previous block's time (`previousTimeNanos`, null at height 1), and at most `maxClockDriftMs`
 * ahead of the validator's clock `nowNanos` (a proposer with a fast clock would otherwise push
 * every later block time into the future, as block times must increase). A time in the past is
 * accepted: our clock may be fast, and the previous-time rule already orders blocks. Applies
 * to proposals only — a block that already holds +2/3 precommits (block sync) is final, and a
 * node with a slow clock must still follow it. Pure, so the simulator uses it with its clock.
 */
export function proposalTimeProblem(
  timeNanos: bigint,
  previousTimeNanos: bigint | null,
  nowNanos: bigint,
  maxClockDriftMs: number,
): string | null {
  if (previousTimeNanos !== null && timeNanos <= previousTimeNanos) return 'time does not increase';
  if (timeNanos > nowNanos + BigInt(maxClockDriftMs) * 1_000_000n)
    return `time is more than ${maxClockDriftMs} ms ahead of our clock`;
  return null;
}

/** Byte equality (constant-time is not needed: everything compared here is public). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/**
 * What is wrong with a proposed block, or null. The header must match OUR state: previous block
 * id, app hash and results hash after the previous block (a validator whose own execution
 * differs refuses the block, DESIGN.md §6), the validators hash; the data, last-commit and
 * evidence hashes must match the body; the last commit must hold +2/3 of the previous height's
 * set; the time must increase; the proposer must be a validator. Pure: no I/O.
 */
export function proposedBlockProblem(bytes: Uint8Array, ctx: ProposalContext): string | null {
  const block = decodeConsensusBlock(bytes);
  if (block === null) return 'malformed block';
  const h = block.header;
  const previous = ctx.previous;
  if (h.chainId !== ctx.chainId || h.height !== BigInt(ctx.height)) return 'wrong chain id or height';
  if ((previous === null) !== (ctx.height === 1)) return 'our previous block is missing';
  if (!sameBytes(h.lastBlockHash, previous?.hash ?? new Uint8Array(0))) return 'last block id differs';
  if (!sameBytes(h.appHash, ctx.appHash)) return 'app hash differs from ours';
  if (!sameBytes(h.lastResultsHash, previous?.resultsHash ?? new Uint8Array(0)))
    return 'results hash differs from ours';
  if (!sameBytes(h.validatorsHash, ctx.validators.hash())) return 'validators hash differs';
  if (ctx.validators.getByAddress(hex(h.proposerAddress)) === undefined) return 'proposer is not a validator';
  if (previous !== null && h.timeNanos <= previous.timeNanos) return 'time does not increase';
  if (!sameBytes(h.dataHash, txsDataHash(block.txs.map((tx) => sha256(tx))))) return 'data hash mismatch';
  if (!sameBytes(h.lastCommitHash, commitHash(block.lastCommit))) return 'last commit hash mismatch';
  if (!sameBytes(h.evidenceHash, evidenceHash(block.evidence))) return 'evidence hash mismatch';
  if (previous !== null) {
    if (block.lastCommit === null) return 'missing last commit';
    const bad = verifyCommit(
      ctx.chainId,
      previous.validators,
      ctx.height - 1,
      previous.hash,
      block.lastCommit,
      ctx.verify,
    );
    if (bad !== null) return `last commit: ${bad}`;
  } else if (block.lastCommit !== null) return 'a first block has no last commit';
  for (const evidence of block.evidence) {
    const bad = ctx.evidenceProblem(evidence);
    if (bad !== null) return `evidence: ${bad}`;
  }
  return null;
}
