// Wasm binary tooling for the VM layer: bounded reader/writer, module parser, body decoder.
export { WasmReader, parseError } from './reader.js';
export { WasmWriter } from './writer.js';
export * from './opcodes.js';
export * from './module.js';
export * from './code.js';
