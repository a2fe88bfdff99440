// Typed errors of the client SDK. Callers branch on `code` (or `instanceof` of the subclasses
// below); messages say what to do and never carry keys or decrypted plaintext — except
// `ContractError.contractMessage`, which is the user's own decrypted output, kept out of
// `message` so that logging the error does not leak it.
import { ShroudError } from '../errors.js';

/**
 * Codes of {@link ClientError}:
 * - `INVALID_ARGUMENT`: a caller-side mistake (bad address, amount, key length...). Fix the call.
 * - `RPC_HTTP`: the server answered with a non-2xx HTTP status. Check the URL; retry later for 5xx.
 * - `RPC_NETWORK`: the request did not reach the server (refused, DNS, reset). Check the node runs.
 * - `RPC_TIMEOUT`: no answer within the timeout. Retry, or raise `timeoutMs`.
 * - `RPC_MALFORMED_RESPONSE`: the answer is not JSON or not the CometBFT 0.38 shape expected.
 *   Policy: the node is incompatible or faulty; do not retry blindly.
 * - `RPC_ERROR`: a JSON-RPC error object (`rpcCode`, `rpcData` carry it).
 * - `QUERY_FAILED`: an `abci_query` answered with a non-zero code (not found, bad request).
 * - `RESULT_DECRYPT_FAILED`: an encrypted output did not open with this transaction's key:
 *   tampered, from another transaction, or the wrong key. Policy: do not trust the result.
 * - `RESULT_MALFORMED`: a transaction result that does not follow the result layout (docs/sdk.md).
 * - `TX_NOT_FOUND`: the transaction was not included before the wait timed out.
 * - `CONTRACT_ERROR`, `OUT_OF_GAS`, `INSUFFICIENT_FUNDS`, `TX_REJECTED`: see the subclasses.
 */
export type ClientErrorCode =
  | 'INVALID_ARGUMENT'
  | 'RPC_HTTP'
  | 'RPC_NETWORK'
  | 'RPC_TIMEOUT'
  | 'RPC_MALFORMED_RESPONSE'
  | 'RPC_ERROR'
  | 'QUERY_FAILED'
  | 'RESULT_DECRYPT_FAILED'
  | 'RESULT_MALFORMED'
  | 'TX_NOT_FOUND'
  | 'CONTRACT_ERROR'
  | 'OUT_OF_GAS'
  | 'INSUFFICIENT_FUNDS'
  | 'TX_REJECTED';

/** The base error of `shroud/client`. */
export class ClientError extends ShroudError<ClientErrorCode> {}

/** A JSON-RPC level failure; `rpcCode`/`rpcData` are the server's error object when there was one. */
export class RpcError extends ClientError {
  readonly rpcCode: number | undefined;
  readonly rpcData: string | undefined;
  readonly httpStatus: number | undefined;

  constructor(
    code: Extract<ClientErrorCode, `RPC_${string}`>,
    message: string,
    details: { rpcCode?: number; rpcData?: string; httpStatus?: number; cause?: unknown } = {},
  ) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.rpcCode = details.rpcCode;
    this.rpcData = details.rpcData;
    this.httpStatus = details.httpStatus;
  }
}

/** Public facts of a failed transaction, shared by the failure subclasses. */
export interface TxFailureInfo {
  /** Uppercase hex tx hash, when known. */
  txHash?: string;
  /** ABCI result code (non-zero). */
  resultCode: number;
  codespace: string;
  log: string;
  gasWanted?: bigint;
  gasUsed?: bigint;
}

/** A transaction the chain refused or reverted for a reason other than those below. */
export class TxRejectedError extends ClientError {
  readonly resultCode: number;
  readonly codespace: string;
  readonly log: string;
  readonly txHash: string | undefined;

  constructor(info: TxFailureInfo, code: ClientErrorCode = 'TX_REJECTED', message?: string) {
    super(
      code,
      message ??
        `transaction rejected (codespace "${info.codespace}", code ${info.resultCode}): ${info.log.slice(0, 300)}`,
    );
    this.resultCode = info.resultCode;
    this.codespace = info.codespace;
    this.log = info.log;
    this.txHash = info.txHash;
  }
}

/** The transaction ran out of gas: its effects were reverted, the fee was charged. Raise the gas limit. */
export class OutOfGasError extends TxRejectedError {
  readonly gasWanted: bigint | undefined;
  readonly gasUsed: bigint | undefined;

  constructor(info: TxFailureInfo) {
    super(
      info,
      'OUT_OF_GAS',
      `out of gas (wanted ${String(info.gasWanted ?? '?')}, used ${String(info.gasUsed ?? '?')}): raise the gas limit`,
    );
    this.gasWanted = info.gasWanted;
    this.gasUsed = info.gasUsed;
  }
}

/** The sender's balance cannot pay the fee or the funds/amount sent. Top up the account. */
export class InsufficientFundsError extends TxRejectedError {
  constructor(info: TxFailureInfo) {
    super(info, 'INSUFFICIENT_FUNDS', `insufficient funds: ${info.log.slice(0, 300)}`);
  }
}

/**
 * The contract returned an error. `contractMessage` is its decrypted text (the contract's own
 * `Err`), readable only with this transaction's key; it is not part of `message`.
 */
export class ContractError extends TxRejectedError {
  readonly contractMessage: string;
  /** Index of the failing message in the transaction. */
  readonly messageIndex: number;

  constructor(info: TxFailureInfo, contractMessage: string, messageIndex: number) {
    super(
      info,
      'CONTRACT_ERROR',
      `the contract returned an error (message ${messageIndex}); read error.contractMessage`,
    );
    this.contractMessage = contractMessage;
    this.messageIndex = messageIndex;
  }
}
