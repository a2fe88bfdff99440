// Typed errors of the consensus layer (STYLE.md: typed errors for operating errors, assertions
// for programming errors). Peer faults are never thrown: apply() reports them as `Dropped` effects.
import { ShroudError } from '../errors.js';

/**
 * Codes of {@link ConsensusError}:
 * - `INVALID_ARGUMENT`: a caller passed a malformed value (wrong length, negative height, ...);
 *   a programming error in the driver.
 * - `INVALID_VALIDATOR_SET`: empty set, duplicate address, zero or too large voting power, or a
 *   change set that would leave the set empty. Policy: reject the block/genesis that carried it.
 * - `WAL_CORRUPTED`: a WAL frame in the middle of the log fails its CRC or length check (a torn
 *   tail is not an error: it is truncated). Policy: stop the node; an operator must inspect it.
 * - `WAL_IO`: reading, writing or syncing the WAL file failed. Policy: stop the node.
 */
export type ConsensusErrorCode = 'INVALID_ARGUMENT' | 'INVALID_VALIDATOR_SET' | 'WAL_CORRUPTED' | 'WAL_IO';

export class ConsensusError extends ShroudError<ConsensusErrorCode> {}

/** Programmer-error assertion (TIGER_STYLE): a failed assertion is a bug in this layer, not a peer fault. */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`consensus invariant broken: ${message}`);
}
