// `shroud/client`: the SDK (DESIGN.md §2). It imports only `crypto/` and `codec/` below it, so
// it bundles for browsers (the crypto layer swaps to its pure-JS backend there: ADR 001).
export {
  ClientError,
  ContractError,
  InsufficientFundsError,
  OutOfGasError,
  RpcError,
  TxRejectedError,
  type ClientErrorCode,
  type TxFailureInfo,
} from './errors.js';
export { Wallet, type WalletOptions } from './wallet.js';
export {
  buildTx,
  buildCreateValidatorTx,
  buildDelegateTx,
  buildExecuteTx,
  buildInstantiateTx,
  buildMigrateTx,
  buildRegisterNodeTx,
  buildSendTx,
  buildStoreCodeTx,
  buildUndelegateTx,
  contractPlaintext,
  type BuiltTx,
  type ClientMessage,
  type Coin,
  type CoinInput,
  type TxOptions,
} from './tx.js';
export {
  BARE_ENCRYPTED_KEY,
  CALL_DEPTH_ATTRIBUTE,
  ENCRYPTED_ATTRIBUTE_PREFIX,
  MESSAGE_INDEX_ATTRIBUTE,
  RESULT_CODES,
  decryptTxResult,
  failureOf,
  type AbciEvent,
  type AbciEventAttribute,
  type DecryptedAttribute,
  type DecryptedEvent,
  type DecryptedTxResult,
  type TxResultInfo,
} from './result.js';
export { decryptQueryResult, encryptQuery, type EncryptedQuery } from './query.js';
export {
  RpcClient,
  type AbciQueryResponse,
  type BlockResponse,
  type BroadcastSyncResult,
  type GenesisResponse,
  type NodeStatus,
  type RpcClientOptions,
  type TxResponse,
} from './rpc.js';
export {
  ShroudClient,
  eventAttribute,
  gasFee,
  type Account,
  type CallOptions,
  type ChainParams,
  type CodeInfo,
  type ContractInfo,
  type ShroudClientOptions,
  type TxOutcome,
} from './client.js';
