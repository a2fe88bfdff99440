// Typed errors of the mempool layer. Expected refusals of a transaction (duplicate, full, failed
// check, ...) are *results* (`AddResult`), never exceptions (STYLE.md §5): they are the hot path
// of gossip. `MempoolError` is for caller and application bugs only.
import { ShroudError } from '../errors.js';

/**
 * Codes of {@link MempoolError}, with the policy for each:
 * - `INVALID_CONFIG`: a limit in `MempoolConfig` is missing, not a positive safe integer, or
 *   inconsistent (`maxTxBytes > maxBytes`). Fix the node configuration.
 * - `INVALID_ARGUMENT`: a method got a malformed argument (tx not a Uint8Array, height not
 *   above the last update, negative reap limit). A bug in the caller.
 * - `INVALID_CHECK_RESULT`: the application's `checkTx` returned a result the mempool cannot
 *   order by (gasWanted ≤ 0, negative fee or sequence, empty sender). A bug in the app: the
 *   transaction is not added.
 * - `CHECK_TX_THREW`: the application's `checkTx` threw instead of returning `{ ok: false }`.
 *   A bug in the app; the original error is the `cause`. The transaction is not added.
 */
export type MempoolErrorCode =
  'INVALID_CONFIG' | 'INVALID_ARGUMENT' | 'INVALID_CHECK_RESULT' | 'CHECK_TX_THREW';

export class MempoolError extends ShroudError<MempoolErrorCode> {}

/** Programmer-error assertion (TIGER_STYLE): a failure is a bug in this layer. */
export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`mempool invariant broken: ${message}`);
}
