// Sealing: the master seed is stored on disk only encrypted under the platform sealing key
// (DESIGN.md §4; software mode: a 0600 file in the node home, or a key from the environment).
// Blob layout: version(1) = 0x01 || iv(12) || AES-256-GCM(seed) || tag(16).

import { aesGcmDecrypt, aesGcmEncrypt, concatBytes, randomBytes } from '../../crypto/index.js';
import { EnclaveError } from '../errors.js';
import { LABELS } from './labels.js';
import { MASTER_SEED_BYTES } from './network-secrets.js';

const SEALED_VERSION = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const SEALED_SEED_BYTES = 1 + IV_BYTES + MASTER_SEED_BYTES + TAG_BYTES;
export const SEALING_KEY_BYTES = 32;

function checkSealingKey(sealingKey: Uint8Array): void {
  if (sealingKey.byteLength !== SEALING_KEY_BYTES) {
    throw new EnclaveError('SEALING_KEY_MALFORMED', `sealing key must be ${SEALING_KEY_BYTES} bytes`);
  }
}

/**
 * Seals the master seed. Not consensus-critical, so the IV is random (a fresh one per seal).
 * @throws EnclaveError SEALING_KEY_MALFORMED.
 */
export function sealSeed(seed: Uint8Array, sealingKey: Uint8Array): Uint8Array {
  checkSealingKey(sealingKey);
  if (seed.byteLength !== MASTER_SEED_BYTES) {
    throw new EnclaveError('NOT_INITIALIZED', `master seed must be ${MASTER_SEED_BYTES} bytes`);
  }
  const iv = randomBytes(IV_BYTES);
  const header = Uint8Array.of(SEALED_VERSION);
  const sealed = aesGcmEncrypt(sealingKey, iv, seed, concatBytes(LABELS.sealing, header));
  return concatBytes(header, iv, sealed);
}

/**
 * Opens a sealed seed.
 * @throws EnclaveError SEALED_BLOB_MALFORMED when the blob has the wrong size or version;
 *   UNSEAL_FAILED when it does not open with this key (another node's blob, or tampered).
 */
export function unsealSeed(blob: Uint8Array, sealingKey: Uint8Array): Uint8Array {
  checkSealingKey(sealingKey);
  if (blob.byteLength !== SEALED_SEED_BYTES || blob[0] !== SEALED_VERSION) {
    throw new EnclaveError(
      'SEALED_BLOB_MALFORMED',
      `sealed seed must be ${SEALED_SEED_BYTES} bytes starting with version ${SEALED_VERSION}; the file is corrupt or not a Shroud sealed seed`,
    );
  }
  const header = blob.subarray(0, 1);
  const iv = blob.subarray(1, 1 + IV_BYTES);
  try {
    return aesGcmDecrypt(sealingKey, iv, blob.subarray(1 + IV_BYTES), concatBytes(LABELS.sealing, header));
  } catch {
    throw new EnclaveError(
      'UNSEAL_FAILED',
      'the sealed seed does not open with this node’s sealing key: it was sealed by another node or has been tampered with',
    );
  }
}
