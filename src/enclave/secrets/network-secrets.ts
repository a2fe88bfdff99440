// The network's secrets, all derived from the 32-byte master seed (DESIGN.md §3). Only the
// public halves (`NetworkPublicKeys`) ever leave the enclave.

import { hkdfSha256, x25519KeyPairFromSeed, type X25519KeyPair } from '../../crypto/index.js';
import { EnclaveError } from '../errors.js';
import { LABELS, SEED_KDF_SALT } from './labels.js';

export const MASTER_SEED_BYTES = 32;

export interface NetworkSecrets {
  readonly ioKeyPair: X25519KeyPair;
  readonly stateKeyMaterial: Uint8Array;
  readonly callbackSecret: Uint8Array;
  readonly randomnessSecret: Uint8Array;
  readonly seedExchangeKeyPair: X25519KeyPair;
}

export interface NetworkPublicKeys {
  /** Users encrypt transactions and queries to this key. */
  readonly ioPublicKey: Uint8Array;
  /** New nodes' enclaves decrypt their copy of the seed with ECDH against this key. */
  readonly seedExchangePublicKey: Uint8Array;
}

/**
 * Derives every network secret from the master seed with HKDF-SHA256 and distinct labels.
 * @throws EnclaveError NOT_INITIALIZED if the seed is not 32 bytes.
 */
export function deriveNetworkSecrets(masterSeed: Uint8Array): NetworkSecrets {
  if (masterSeed.byteLength !== MASTER_SEED_BYTES) {
    throw new EnclaveError('NOT_INITIALIZED', `master seed must be ${MASTER_SEED_BYTES} bytes`);
  }
  const derive = (info: Uint8Array) => hkdfSha256(masterSeed, SEED_KDF_SALT, info, 32);
  return {
    ioKeyPair: x25519KeyPairFromSeed(derive(LABELS.ioKey)),
    stateKeyMaterial: derive(LABELS.stateKeyMaterial),
    callbackSecret: derive(LABELS.callbackSecret),
    randomnessSecret: derive(LABELS.randomnessSecret),
    seedExchangeKeyPair: x25519KeyPairFromSeed(derive(LABELS.seedExchangeKey)),
  };
}

export function publicKeysOf(secrets: NetworkSecrets): NetworkPublicKeys {
  return {
    ioPublicKey: secrets.ioKeyPair.publicKey,
    seedExchangePublicKey: secrets.seedExchangeKeyPair.publicKey,
  };
}
