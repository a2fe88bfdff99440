// `shroud/testing`: run contracts in an in-memory chain from unit tests (docs/contracts.md).

export { ContractSandbox } from './sandbox.js';
export type { BlockInfo, CoinInput, SandboxOptions } from './sandbox.js';
export { ContractError, SandboxError } from './errors.js';
export type { SandboxErrorCode } from './errors.js';
export { VmError } from '../errors.js';
export type { Coin, CosmosMsg, Event, Response, SubMsg } from '../runtime/types.js';
