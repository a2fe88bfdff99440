// Contract state at rest (DESIGN.md §3, CONTRACT_ABI.md §5).
// - Per-contract key: HKDF(state key material, info = label || contract address bytes). The code
//   hash is deliberately left out: a migrated contract keeps reading its own state.
// - Key on disk: HMAC-SHA256(contract key, label || plaintext key): one-way, so no iteration.
// - Value: AES-256-GCM with a synthetic IV = HMAC(contract key, label || disk key || salt ||
//   value)[0..12] (identical on every validator, never repeated for different values), and
//   associated data = contract address || disk key, so a value cannot move to another slot or
//   contract. The caller's salt (block height, time, call counter) makes re-written equal
//   values look different on disk. Layout: version(1) = 0x01 || iv(12) || ciphertext || tag(16).

import { concatBytes, hkdfSha256, hmacSha256, sivOpen, sivSeal } from '../../crypto/index.js';
import { EnclaveError } from '../errors.js';
import { LABELS, SEED_KDF_SALT } from './labels.js';

const VALUE_VERSION = 0x01;
const IV_BYTES = 12;
const OVERHEAD_BYTES = 1 + IV_BYTES + 16;

/** The key every state operation of one contract uses. */
export function contractStateKey(stateKeyMaterial: Uint8Array, contractAddress: Uint8Array): Uint8Array {
  return hkdfSha256(
    stateKeyMaterial,
    SEED_KDF_SALT,
    concatBytes(LABELS.contractStateKey, contractAddress),
    32,
  );
}

/**
 * The storage key written to disk for a contract's plaintext key. On Node with the native addon
 * the HMAC runs from the contract key's saved pad states (src/crypto/aead-native.ts): pass the
 * same `contractKey` array every time (the executor caches one per contract) to reuse them.
 */
export function diskKey(contractKey: Uint8Array, plaintextKey: Uint8Array): Uint8Array {
  return hmacSha256(contractKey, concatBytes(LABELS.storageKey, plaintextKey));
}

/**
 * The stored form of one value: version || synthetic IV || AES-256-GCM(value) || tag, with
 * IV = HMAC(contractKey, label || disk key || salt || value)[0..12] and AAD = version ||
 * contract address || disk key: src/crypto/siv.ts's seal, one native call on Node when the
 * addon is built (7 of these per token transfer, issue #4).
 */
export function encryptStateValue(
  contractKey: Uint8Array,
  contractAddress: Uint8Array,
  storageKey: Uint8Array,
  value: Uint8Array,
  salt: Uint8Array,
): Uint8Array {
  return sivSeal(
    contractKey,
    VALUE_VERSION,
    LABELS.storageValueIv,
    storageKey,
    salt,
    value,
    contractAddress,
    storageKey,
  );
}

/**
 * @throws EnclaveError STATE_VALUE_MALFORMED (wrong layout) or STATE_VALUE_TAMPERED (does not
 *   open for this contract and key: altered, or moved from another slot or contract).
 */
export function decryptStateValue(
  contractKey: Uint8Array,
  contractAddress: Uint8Array,
  storageKey: Uint8Array,
  blob: Uint8Array,
): Uint8Array {
  if (blob.byteLength < OVERHEAD_BYTES || blob[0] !== VALUE_VERSION) {
    throw new EnclaveError('STATE_VALUE_MALFORMED', 'stored contract value has an unknown layout');
  }
  try {
    return sivOpen(contractKey, VALUE_VERSION, contractAddress, storageKey, blob);
  } catch {
    throw new EnclaveError(
      'STATE_VALUE_TAMPERED',
      'stored contract value does not open for this contract and key: the store was altered',
    );
  }
}
