// The app layer's public face (DESIGN.md §2; docs/adr/007-app-state-machine.md).
export { AppError, type AppErrorCode } from './errors.js';
export * from './abci.js';
export {
  DEFAULT_GAS_COSTS,
  POWER_REDUCTION,
  enclavePolicy,
  parseGenesis,
  type AttestationPolicy,
  type GasCosts,
  type Genesis,
  type GenesisAccount,
  type GenesisCoin,
  type GenesisParams,
  type GenesisValidator,
} from './genesis.js';
export {
  APP_VERSION,
  MODULE_ADDRESSES,
  ShroudApp,
  consensusAddress,
  contractAddressOf,
  decodeIndexedTx,
  encodeIndexedTx,
  type IndexedTx,
  type ShroudAppOptions,
  type MempoolCommitLock,
} from './app.js';
export { FifoQueue, SoloDriver, type SoloOptions, type TxQueue } from './solo.js';
export { KEYS, META } from './state.js';
