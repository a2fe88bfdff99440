// The node layer's public face (DESIGN.md §2 node/): home directory, block store, solo node.
export { NodeError, type NodeErrorCode } from './errors.js';
export {
  DEFAULT_CONSENSUS_CONFIG,
  DEFAULT_DENOM,
  DEFAULT_P2P_CONFIG,
  DEFAULT_P2P_PORT,
  DEFAULT_RPC_PORT,
  HOME_FILES,
  formatPersistentPeer,
  initHome,
  loadConfig,
  loadNodeKey,
  loadTestAccounts,
  loadValidatorKey,
  parsePersistentPeer,
  writeNodeKey,
  type ConsensusConfig,
  type ConsensusEngine,
  type InitHomeOptions,
  type P2pConfig,
  type PersistentPeerAddress,
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
