// The VM layer's public face (DESIGN §2, §5): upload validation, the metered contract
// runtime with the Secret-compatible host ABI (CONTRACT_ABI.md), and their types.
// The `shroud/testing` sandbox lives in ./testing/index.ts and is exported separately.

export { VmError } from './errors.js';
export type { VmErrorCode, VmRuntimeCode, VmValidationCode } from './errors.js';
export { WASM_LIMITS, GAS_COSTS } from './limits.js';
export { ALLOWED_IMPORTS, validateContractCode } from './validate.js';
export type { InterfaceVersion, ValidatedCode } from './validate.js';
export { ContractVm } from './runtime/vm.js';
export type { CompiledContract, ContractVmOptions } from './runtime/vm.js';
export type { ModuleCacheStats } from './runtime/cache.js';
export { HOST_GAS, MAX_QUERY_DEPTH } from './host/imports.js';
export { decodeBase64, encodeBase64 } from './runtime/json.js';
export { latin1Bytes } from './runtime/context.js';
export type {
  Attribute,
  CallOutcome,
  CallRequest,
  Coin,
  ContractEnv,
  CosmosMsg,
  EntryPoint,
  Event,
  MessageInfo,
  Querier,
  ReplyOn,
  Response,
  Storage,
  StorageWrite,
  SubMsg,
} from './runtime/types.js';
