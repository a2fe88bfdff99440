// The store layer's public face (DESIGN.md §2; docs/adr/005-store-and-app-hash.md). Other
// layers import only this file.
export { StoreError, type StoreErrorCode } from './errors.js';
export { Store, STORE_FORMAT_VERSION, type StoreInfo, type StoreOptions } from './store.js';
export { BlockBatch, type Checkpoint, type Entry, type KeyRange } from './batch.js';
export { MAX_KEY_BYTES, MAX_META_NAME_BYTES, MAX_VALUE_BYTES } from './limits.js';
export {
  BUCKET_COUNT,
  GENESIS_APP_HASH,
  TREE_DEPTH,
  verifyProof,
  type ProofEntry,
  type StoreProof,
} from './hash.js';
// Shared with the app's signature worker (one way to start a worker from source or compiled).
