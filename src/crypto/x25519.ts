// X25519 key agreement (RFC 7748 §5, §6.1).
import type { CryptoBackend } from './backend.js';
import { assertBytes } from './checks.js';
import { CryptoError } from './errors.js';

export const X25519_KEY_BYTES = 32;

/** An X25519 key pair. `privateKey` is the 32-byte scalar before clamping (RFC 7748 §5). */
export interface X25519KeyPair {
  privateKey: Uint8Array;
  publicKey: Uint8Array;
}

/** The X25519 functions of one backend. */
export function createX25519(backend: CryptoBackend) {
  function x25519KeyPairFromSeed(seed: Uint8Array): X25519KeyPair {
    assertBytes('seed', seed, X25519_KEY_BYTES);
    const privateKey = seed.slice();
    return { privateKey, publicKey: backend.x25519PublicKey(privateKey) };
  }
  return {
    /**
     * The key pair whose private key is `seed` (any 32 bytes; clamped when used).
     * @throws {CryptoError} INVALID_LENGTH unless `seed` is 32 bytes.
     */
    x25519KeyPairFromSeed,
    /** A fresh random key pair. */
    generateX25519KeyPair: (): X25519KeyPair => {
      return x25519KeyPairFromSeed(backend.randomBytes(X25519_KEY_BYTES));
    },
    /**
     * X25519(privateKey, peerPublicKey). Any 32-byte peer key is accepted (RFC 7748 §5: the
     * top bit is masked), but an all-zero result is rejected as §6.1 recommends: it means the
     * peer sent a low-order point and the "secret" would be known to everyone.
     * @throws {CryptoError} LOW_ORDER_POINT for a low-order peer key; INVALID_LENGTH unless
     *   both keys are 32 bytes.
     */
    x25519SharedSecret: (privateKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array => {
      assertBytes('privateKey', privateKey, X25519_KEY_BYTES);
      assertBytes('peerPublicKey', peerPublicKey, X25519_KEY_BYTES);
      const shared = backend.x25519(privateKey, peerPublicKey);
      if (shared === null) {
        throw new CryptoError(
          'LOW_ORDER_POINT',
          'peerPublicKey is a low-order point (shared secret would be all zero): reject this key',
        );
      }
      return shared;
    },
  };
}
