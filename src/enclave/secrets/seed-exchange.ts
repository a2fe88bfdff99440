// Seed exchange for a permissionless join (DESIGN.md §4): every validator's enclave encrypts
// the master seed to a newly attested enclave's registration key, deterministically (all
// validators must store the same bytes on chain). The key is unique per registration key
// (ECDH with it), so a deterministic IV never repeats under one key.
// Blob layout: AES-256-GCM(seed) || tag(16); associated data = the registration public key.

import {
  aesGcmDecrypt,
  aesGcmEncrypt,
  concatBytes,
  hkdfSha256,
  hmacSha256,
  x25519SharedSecret,
} from '../../crypto/index.js';
import type { X25519KeyPair } from '../../crypto/index.js';
import { EnclaveError } from '../errors.js';
import { LABELS, SEED_KDF_SALT } from './labels.js';
import { MASTER_SEED_BYTES } from './network-secrets.js';

export const ENCRYPTED_SEED_BYTES = MASTER_SEED_BYTES + 16;

function exchangeCipher(
  ourPrivateKey: Uint8Array,
  theirPublicKey: Uint8Array,
  registrationPublicKey: Uint8Array,
) {
  const shared = x25519SharedSecret(ourPrivateKey, theirPublicKey);
  const key = hkdfSha256(
    shared,
    SEED_KDF_SALT,
    concatBytes(LABELS.seedExchangeCipherKey, registrationPublicKey),
    32,
  );
  const iv = hmacSha256(key, LABELS.seedExchangeIv).subarray(0, 12);
  return { key, iv };
}

/** Validator side: encrypts the seed to a verified node's registration key. */
export function encryptSeedForNode(
  seed: Uint8Array,
  seedExchangeKeyPair: X25519KeyPair,
  registrationPublicKey: Uint8Array,
): Uint8Array {
  const { key, iv } = exchangeCipher(
    seedExchangeKeyPair.privateKey,
    registrationPublicKey,
    registrationPublicKey,
  );
  return aesGcmEncrypt(key, iv, seed, registrationPublicKey);
}

/**
 * New node side: decrypts the seed the network encrypted to this enclave.
 * @throws EnclaveError SEED_EXCHANGE_FAILED when the blob is not for this enclave or was altered.
 */
export function decryptSeedFromNetwork(
  encryptedSeed: Uint8Array,
  registrationKeyPair: X25519KeyPair,
  seedExchangePublicKey: Uint8Array,
): Uint8Array {
  if (encryptedSeed.byteLength !== ENCRYPTED_SEED_BYTES) {
    throw new EnclaveError('SEED_EXCHANGE_FAILED', `encrypted seed must be ${ENCRYPTED_SEED_BYTES} bytes`);
  }
  try {
    const { key, iv } = exchangeCipher(
      registrationKeyPair.privateKey,
      seedExchangePublicKey,
      registrationKeyPair.publicKey,
    );
    return aesGcmDecrypt(key, iv, encryptedSeed, registrationKeyPair.publicKey);
  } catch {
    throw new EnclaveError(
      'SEED_EXCHANGE_FAILED',
      'the encrypted seed does not open with this enclave’s registration key: it was made for another node, or for another network',
    );
  }
}
