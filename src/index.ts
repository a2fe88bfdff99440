// Shroud's public entry point: re-exports the layers a library user needs.
export * as crypto from './crypto/index.js';
