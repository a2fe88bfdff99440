// The in-process private validator: an ed25519 key held in memory. A remote signer (KMS/HSM)
// would implement the same Signer interface synchronously from a local cache, or the core would
// grow a Sign effect; see docs/adr/004-consensus-core.md.
import { ed25519KeyPairFromSeed, ed25519Sign } from '../../crypto/index.js';
import type { Signer } from './types.js';
import { addressOfPublicKey } from './validator-set.js';

/**
 * A signer for the ed25519 key derived from a 32-byte seed (RFC 8032 private key).
 * @throws {CryptoError} INVALID_LENGTH if the seed is not 32 bytes.
 * @example const signer = createEd25519Signer(seed); signer.sign(voteSignBytes(chainId, vote));
 */
export function createEd25519Signer(seed: Uint8Array): Signer & { readonly publicKey: Uint8Array } {
  const keys = ed25519KeyPairFromSeed(seed);
  return {
    address: addressOfPublicKey(keys.publicKey),
    publicKey: keys.publicKey,
    sign: (signBytes) => ed25519Sign(signBytes, keys.seed),
  };
}
