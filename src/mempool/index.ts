// The mempool layer's public face (DESIGN.md §2): checked, prioritized, bounded pending
// transactions, re-checked after each commit. Other layers import only from here.
export { MempoolError, type MempoolErrorCode } from './errors.js';
export {
  Mempool,
  reapsBefore,
  type AddRejectReason,
  type AddResult,
  type CheckMode,
  type CheckResult,
  type MempoolApp,
  type MempoolConfig,
  type MempoolDeps,
  type MempoolTx,
  type NewTxEvent,
  type Rational,
  type RemovalReason,
  type RemovedTxEvent,
  type ReapLimits,
  type UpdateResult,
} from './mempool.js';
export { checkResultFromResponse, mempoolAppFromAbci, type CheckTxResponseLike } from './abci.js';
