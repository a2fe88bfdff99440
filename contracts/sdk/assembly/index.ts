// The Shroud contract SDK for AssemblyScript: Secret CosmWasm v1 ABI (see CONTRACT_ABI.md).
// A contract re-exports the required ABI functions and defines its entry points:
//
//   export { allocate, deallocate, interface_version_8 } from '../../sdk/assembly';
//   export function instantiate(env: u32, info: u32, msg: u32): u32 {
//     return runInstantiate(env, info, msg, onInstantiate);
//   }
export * from './abi';
export * from './json';
export * from './base64';
export * from './uint128';
export * from './sha256';
export * from './types';
export * from './response';
export * from './storage';
export * from './address';
export * from './querier';
export * from './entry';
