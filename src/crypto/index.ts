// The crypto layer's public face (DESIGN.md §2, §3). Other layers import only this file.
// Functions are bound to the default backend: native (libsecp256k1, libsodium, OpenSSL) on
// Node, pure JS in browser bundles (default-backend.browser.ts). `nativeBackend` and
// `pureBackend` are not re-exported here, so a browser bundle never pulls in an addon:
// import them from './native.js' / './pure.js' to choose explicitly.
import { createCryptoApi } from './api.js';
import { defaultBackend } from './default-backend.js';

export { CryptoError, type CryptoErrorCode } from './errors.js';
export { bytesToHex, concatBytes, hexToBytes, utf8Decode, utf8Encode } from './bytes.js';
export { BECH32_MAX_LENGTH, decodeBech32WithPrefix, fromBech32, toBech32 } from './bech32.js';
export { AES_KEY_BYTES, GCM_IV_BYTES, GCM_TAG_BYTES } from './aead.js';
export { SIV_OVERHEAD_BYTES, type AeadKey } from './siv.js';
export { X25519_KEY_BYTES, type X25519KeyPair } from './x25519.js';
export {
  OUTPUT_LABEL_MAX_BYTES,
  TX_ENVELOPE_MIN_BYTES,
  TX_HASH_BYTES,
  TX_KDF_SALT,
  TX_KEY_BYTES,
  TX_NONCE_BYTES,
  type DecryptedTxInput,
  type DecryptTxInputArgs,
  type EncryptedTxInput,
  type EncryptTxInputArgs,
  type ParsedTxEnvelope,
} from './envelope.js';
export {
  SECP256K1_MESSAGE_HASH_BYTES,
  SECP256K1_PRIVATE_KEY_BYTES,
  SECP256K1_SIGNATURE_BYTES,
} from './secp256k1.js';
export {
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SEED_BYTES,
  ED25519_SIGNATURE_BYTES,
  type Ed25519KeyPair,
} from './ed25519.js';
export {
  ADDRESS_PREFIX,
  COIN_TYPE,
  HD_PATH,
  type AccountKey,
  type AccountKeyOptions,
  type HdKey,
} from './wallet.js';
export { HKDF_SHA256_MAX_LENGTH } from './hkdf.js';
export type { CryptoBackend } from './backend.js';
export { createCryptoApi, RANDOM_BYTES_MAX, type CryptoApi } from './api.js';
export { defaultBackend };

const api = createCryptoApi(defaultBackend);

export const {
  randomBytes,
  constantTimeEqual,
  sha256,
  sha512,
  ripemd160,
  hmacSha256,
  hkdfSha256,
  aesGcmEncrypt,
  aesGcmDecrypt,
  sivSeal,
  sivOpen,
  aeadKey,
  x25519KeyPairFromSeed,
  generateX25519KeyPair,
  x25519SharedSecret,
  deriveTxKey,
  deriveInputIv,
  deriveOutputIv,
  parseTxEnvelope,
  encryptTxInput,
  decryptTxInput,
  encryptTxOutput,
  decryptTxOutput,
  secp256k1PublicKey,
  secp256k1ConvertPublicKey,
  secp256k1Sign,
  secp256k1SignRecoverable,
  secp256k1Verify,
  secp256k1RecoverPublicKey,
  ed25519KeyPairFromSeed,
  generateEd25519KeyPair,
  ed25519Sign,
  ed25519Verify,
  addressFromPublicKey,
  generateMnemonic,
  validateMnemonic,
  mnemonicToSeed,
  deriveHdKey,
  accountKeyFromMnemonic,
  txEncryptionKeyPair,
} = api;
