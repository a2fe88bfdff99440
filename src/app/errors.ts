// Typed errors of the app layer (DESIGN.md §2). Operating errors of a transaction are not
// thrown: they become a tx result code (see `TxCode` in abci.ts). AppError is for what a
// caller must fix: a bad genesis file, a call out of order, a store that does not match genesis.
import { ShroudError } from '../errors.js';

/**
 * Codes of {@link AppError}:
 * - `GENESIS_INVALID`: a genesis field is missing or malformed; the message names the field.
 *   Fix the genesis file; nothing was written.
 * - `GENESIS_MISMATCH`: the store was initialized from another genesis (other chain id).
 *   Use the right home directory or genesis file.
 * - `ALREADY_INITIALIZED`: `initChain` on a store that already has committed blocks.
 * - `NOT_INITIALIZED`: a block call before `initChain`.
 * - `OUT_OF_ORDER`: ABCI calls in the wrong order (finalizeBlock twice, commit without a
 *   block, a height other than last + 1). A driver bug: re-read `info()`.
 * - `INVALID_REQUEST`: a malformed request from the driver (bad proposer address, bad time).
 */
export type AppErrorCode =
  | 'GENESIS_INVALID'
  | 'GENESIS_MISMATCH'
  | 'ALREADY_INITIALIZED'
  | 'NOT_INITIALIZED'
  | 'OUT_OF_ORDER'
  | 'INVALID_REQUEST';

export class AppError extends ShroudError<AppErrorCode> {
  /** For GENESIS_INVALID: the JSON path of the offending field (e.g. `params.block_gas_limit`). */
  readonly field: string | undefined;

  constructor(code: AppErrorCode, message: string, field?: string) {
    super(code, message);
    this.field = field;
  }
}
