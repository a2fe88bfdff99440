// Assembles the whole public API over one backend. index.ts binds it to the native backend;
// the browser SDK binds it to the pure one (see docs/adr/001-crypto-scheme.md).
import { createAead } from './aead.js';
import type { CryptoBackend } from './backend.js';
import { assertInteger, assertUint8Array } from './checks.js';
import { createEd25519 } from './ed25519.js';
import { createEnvelope } from './envelope.js';
import { createHashes } from './hash.js';
import { createHkdf } from './hkdf.js';
import { createSecp256k1 } from './secp256k1.js';
import { createSiv } from './siv.js';
import { createWallet } from './wallet.js';
import { createX25519 } from './x25519.js';

/** Upper bound of one randomBytes call (1 MiB): larger requests are a bug. */
export const RANDOM_BYTES_MAX = 1 << 20;

/** Every backend-dependent function of the crypto layer, bound to `backend`. */
export function createCryptoApi(backend: CryptoBackend) {
  return {
    backendName: backend.name,
    /**
     * Cryptographically secure random bytes.
     * @throws {CryptoError} INVALID_ARGUMENT unless length is an integer in [0, 2^20].
     */
    randomBytes: (length: number): Uint8Array => {
      assertInteger('length', length, 0, RANDOM_BYTES_MAX);
      return backend.randomBytes(length);
    },
    /**
     * Compares in time independent of the contents; arrays of different lengths are unequal.
     * @throws {CryptoError} INVALID_ARGUMENT unless both are Uint8Arrays.
     */
    constantTimeEqual: (a: Uint8Array, b: Uint8Array): boolean => {
      assertUint8Array('a', a);
      assertUint8Array('b', b);
      return a.length === b.length && backend.timingSafeEqual(a, b);
    },
    ...createHashes(backend),
    ...createHkdf(backend),
    ...createAead(backend),
    ...createSiv(backend),
    ...createX25519(backend),
    ...createEnvelope(backend),
    ...createSecp256k1(backend),
    ...createEd25519(backend),
    ...createWallet(backend),
  };
}

export type CryptoApi = ReturnType<typeof createCryptoApi>;
