// Typed errors of the store layer. Callers branch on `code`, never on the message. Messages
// name what went wrong and what to do; they never carry keys or values (state is opaque and
// may be sensitive even when encrypted: key patterns leak structure).
import { ShroudError } from '../errors.js';

/**
 * Codes of {@link StoreError}, with the policy for each:
 * - `HEIGHT_MISMATCH`: `beginBlock`/`commit` for a height other than last committed + 1.
 *   A caller bug or a replay confusion: do not retry with the same height; re-read `info()`.
 * - `CORRUPT`: stored height, app hash or tree nodes do not agree with each other, or the
 *   store's format version is unknown. Stop the node: the data directory needs a restore or a
 *   resync; never continue on it.
 * - `CLOSED`: the store was closed; open it again.
 * - `ALREADY_OPEN`: this process already has a Store open on that directory (two instances
 *   would each keep their own height and tree in memory and overwrite each other's blocks);
 *   share the open instance or close it first.
 * - `BATCH_FINISHED`: the block batch was already committed or discarded; begin a new block.
 * - `BATCH_IN_PROGRESS`: `beginBlock` while another block batch is open; commit or discard it.
 * - `CHECKPOINT_INVALID`: `revert`/`release` of a checkpoint that is not the innermost open
 *   one of this batch (checkpoints nest like a stack). A caller bug.
 * - `CHECKPOINT_OPEN`: `commit`/`hash` while a checkpoint is still open: release or revert it
 *   first, so the committed state is never a half-finished transaction.
 * - `INVALID_KEY`: key is not a Uint8Array of 1..MAX_KEY_BYTES bytes (or a metadata name is
 *   not 1..MAX_META_NAME_BYTES of UTF-8).
 * - `INVALID_VALUE`: value is not a Uint8Array of at most MAX_VALUE_BYTES bytes.
 * - `IO_ERROR`: LMDB failed (disk full, permissions, map size). Nothing of the block was
 *   written (the transaction aborted); the batch stays open so the caller may retry `commit`.
 */
export type StoreErrorCode =
  | 'HEIGHT_MISMATCH'
  | 'CORRUPT'
  | 'CLOSED'
  | 'ALREADY_OPEN'
  | 'BATCH_FINISHED'
  | 'BATCH_IN_PROGRESS'
  | 'CHECKPOINT_INVALID'
  | 'CHECKPOINT_OPEN'
  | 'INVALID_KEY'
  | 'INVALID_VALUE'
  | 'IO_ERROR';

/** Error of the store layer; see {@link StoreErrorCode} for each code's meaning and policy. */
export class StoreError extends ShroudError<StoreErrorCode> {}
