// The node layer's public face (DESIGN.md §2 node/): home directory, block store, solo node.
export { NodeError, type NodeErrorCode } from './errors.js';
export {
  DEFAULT_DENOM,
  DEFAULT_RPC_PORT,
  HOME_FILES,
  initHome,
  loadConfig,
  loadTestAccounts,
  loadValidatorKey,
  type InitHomeOptions,
  type InitHomeResult,
  type NodeConfig,
  type TestAccount,
} from './home.js';
export {
  BlockStore,
  blockHash,
  commitSignBytes,
  decodeBlock,
  encodeBlock,
  type BlockHeader,
  type StoredBlock,
  type TxLocation,
} from './blockstore.js';
export {
  PendingQueue,
  startSoloNode,
  type BlockListener,
  type SoloNode,
  type StartSoloNodeOptions,
} from './node.js';
