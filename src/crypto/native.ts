// The native entry point: the backend on libsecp256k1, libsodium and OpenSSL, to choose it
// explicitly (benchmarks, backend comparison tests). Node only.
export { createNativeBackend, nativeBackend } from './backend-native.js';
export {
  aeadAddon,
  aeadAddonStatus,
  loadAeadAddon,
  AEAD_ADDON_ABI_VERSION,
  type AeadAddon,
  type AeadAddonStatus,
} from './aead-native.js';
export { createCryptoApi, type CryptoApi } from './api.js';
