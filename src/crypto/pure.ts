// The pure-JS entry point: the backend on @noble/@scure only, to choose it explicitly
// (createCryptoApi(pureBackend)); runs anywhere, no native addon is imported from here.
export { pureBackend } from './backend-pure.js';
export { createCryptoApi, type CryptoApi } from './api.js';
