// The RPC layer's public face (DESIGN.md §2 rpc/): CometBFT 0.38 JSON-RPC + Shroud REST routes.
export { RPC_CODES, RpcServerError, type RpcServerErrorCode } from './errors.js';
export { METHODS, rfc3339Nanos } from './methods.js';
export { parseQuery, matches, type Condition } from './query.js';
export { startRpcServer, type RpcServer, type RpcServerOptions } from './server.js';
