// The pure-JS entry point: the same API as index.ts over @noble/@scure only, for browsers
// (no native addon is imported from here). Select it with a `browser` export condition.
export { pureBackend } from './backend-pure.js';
export { createCryptoApi, type CryptoApi } from './api.js';
