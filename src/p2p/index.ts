// The p2p layer's public face (DESIGN.md §2): authenticated, encrypted TCP connections between
// nodes, multiplexed into channels. Design and wire format: docs/adr/008-p2p.md.
export { P2pError, type P2pErrorCode } from './errors.js';
export {
  DEFAULT_LIMITS,
  MAX_FRAME_PAYLOAD_BYTES,
  MIN_FRAME_PAYLOAD_BYTES,
  type ChannelConfig,
  type P2pDeps,
  type P2pLimits,
  type P2pOptions,
  type PeerAddress,
} from './config.js';
export { NODE_ID_BYTES, isNodeId, nodeIdFromPublicKey } from './node-id.js';
export type { ConnectionStats } from './connection.js';
export {
  P2pNode,
  reconnectDelayMs,
  type ConnectionFailure,
  type MessageHandler,
  type PeerInfo,
} from './node.js';
