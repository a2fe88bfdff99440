// The native entry point: the backend on libsecp256k1, libsodium and OpenSSL, to choose it
// explicitly (benchmarks, backend comparison tests). Node only.
export { nativeBackend } from './backend-native.js';
export { createCryptoApi, type CryptoApi } from './api.js';
