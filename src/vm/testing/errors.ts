// Errors of the `shroud/testing` sandbox.

import { ShroudError } from '../../errors.js';

/**
 * The contract returned `Err` (CONTRACT_ABI §1.3). `message` is exactly the contract's error
 * string (e.g. "Generic error: insufficient funds"), so tests can match on it.
 */
export class ContractError extends ShroudError<'CONTRACT_ERROR'> {
  /** Address of the contract that returned the error (the innermost one in a call tree). */
  readonly contract: string;

  constructor(contract: string, message: string) {
    super('CONTRACT_ERROR', message);
    this.contract = contract;
  }
}

export type SandboxErrorCode =
  /** A bank transfer or burn needs more than the account holds. */
  | 'INSUFFICIENT_FUNDS'
  /** No contract at the address. */
  | 'NO_SUCH_CONTRACT'
  /** No code with the id. */
  | 'NO_SUCH_CODE'
  /** A wasm message's code_hash differs from the target's code hash (CONTRACT_ABI §0). */
  | 'CODE_HASH_MISMATCH'
  /** Label empty, longer than 512 bytes, or already used (CONTRACT_ABI §6). */
  | 'INVALID_LABEL'
  /** Migrate / update_admin / clear_admin by someone who is not the admin. */
  | 'UNAUTHORIZED'
  /** A CosmosMsg kind the sandbox does not model (staking, ibc, stargate, ...). */
  | 'UNSUPPORTED_MESSAGE'
  /** Bad arguments to a sandbox method (negative amount, non-JSON message, ...). */
  | 'INVALID_ARGUMENT'
  /** Messages nested deeper than the chain's call-depth limit (100). */
  | 'CALL_DEPTH_EXCEEDED';

/** A failure of the simulated chain itself (bank, addressing, routing), not of a contract. */
export class SandboxError extends ShroudError<SandboxErrorCode> {}
