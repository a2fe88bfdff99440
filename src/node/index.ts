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
  type ConsensusRecord,
  type StoredBlock,
  type TxLocation,
} from './blockstore.js';
export {
  PendingQueue,
  startSoloNode,
  type BlockListener,
  type ChainNode,
  type NodePeer,
  type PendingView,
  type SoloNode,
  type StartSoloNodeOptions,
  type ValidatorInfo,
} from './node.js';
export {
  decodeConsensusBlock,
  encodeConsensusBlock,
  verifyCommit,
  type Commit,
  type ConsensusBlock,
  type ConsensusBlockHeader,
} from './block.js';
export { CHANNELS } from './consensus-driver.js';
export { startConsensusNode, type StartConsensusNodeOptions } from './consensus-node.js';
export {
  NETWORK_FILES,
  acceptRegisteredSeed,
  addNode,
  defaultTimeouts,
  initNetwork,
  loadNetwork,
  nodeIdentity,
  nodePorts,
  type AddNodeOptions,
  type AddedNode,
  type ConsensusTimeouts,
  type InitNetworkOptions,
  type NetworkDescription,
  type NetworkNode,
} from './network.js';
