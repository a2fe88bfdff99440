// The consensus layer's public face (DESIGN.md §2, §6): Tendermint BFT as a pure state machine,
// validator sets with CometBFT's proposer selection, and the write-ahead log.
export { ConsensusError, type ConsensusErrorCode } from './errors.js';
export type {
  CoreConfig,
  CoreStep,
  DropReason,
  Effect,
  Evidence,
  Input,
  OwnSignedMessage,
  RoundStep,
  SignedProposal,
  SignedStateRecord,
  SignedVote,
  Signer,
  SignStep,
  TimeoutConfig,
  UnsafeTestFaults,
  Value,
  VoteType,
} from './core/types.js';
export { DEFAULT_TIMEOUTS } from './core/types.js';
export {
  createConsensusCore,
  DEFAULT_FUTURE_ROUNDS_MAX,
  PROPOSALS_PER_ROUND_MAX,
  type ApplyResult,
  type ConsensusCore,
  type ConsensusState,
  type OwnSignature,
} from './core/apply.js';
export {
  addressOfPublicKey,
  ValidatorSet,
  type Validator,
  type ValidatorUpdate,
} from './core/validator-set.js';
export { isOneThird, isQuorum, valueKey, VoteSet } from './core/vote-set.js';
export { encodeSignBytes, SIGN_DOMAIN_TAG } from './core/sign-bytes.js';
export { proposalSignBytes, voteSignBytes } from './core/messages.js';
export { createEd25519Signer } from './core/signer.js';
export { MemoryWal, replayWal, type AppendOptions, type Wal, type WalEntry } from './wal/wal.js';
export {
  FileWal,
  WAL_ENTRY_BYTES_MAX,
  WAL_FRAME_HEADER_BYTES,
  type FileWalOptions,
  type RotationStep,
} from './wal/file-wal.js';
export { decodeWalEntry, encodeWalEntry } from './wal/codec.js';
