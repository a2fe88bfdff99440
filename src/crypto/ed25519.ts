// ed25519 (RFC 8032) for node and consensus keys. Verification semantics (see
// docs/adr/001-crypto-scheme.md): libsodium's strict rules, enforced here, above the backend,
// so both backends accept exactly the same signatures:
//   - S must be canonical (S < L), RFC 8032 §5.1.7 step 1;
//   - A must be a canonical encoding (y < p) and not of small order;
//   - R must not be of small order; a non-canonical R never matches (the check re-encodes);
//   - the cofactorless equation encode([S]B − [k]A) == R (backend).
// This rejects what ZIP-215 accepts (non-canonical A/R, small-order keys); for a chain whose
// keys all come from honest key generation, strict rejection costs nothing and removes the
// weak-key and malleability edge cases.
import type { CryptoBackend } from './backend.js';
import { assertBytes, assertUint8Array } from './checks.js';

export const ED25519_SEED_BYTES = 32;
export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

/** An ed25519 key pair: the 32-byte RFC 8032 private key ("seed") and its public key. */
export interface Ed25519KeyPair {
  seed: Uint8Array;
  publicKey: Uint8Array;
}

const FIELD_PRIME = 2n ** 255n - 19n;
const GROUP_ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;
// y-coordinates (mod p) of the points of order 1, 2, 4 and 8 (RFC 7748 §4.1 curve, as
// listed in libsodium's small-order blacklist): y = 0 and 1 and p − 1 and the two order-8 ys.
const SMALL_ORDER_Y = new Set<bigint>([
  0n,
  1n,
  FIELD_PRIME - 1n,
  2707385501144840649318225287225658788936804267575313519463743609750303402022n,
  55188659117513257062467267217118295137698188065244968500265048394206261417927n,
]);

function bytesToNumberLE(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

/** The 255-bit y of a point encoding (the top bit is the sign of x). */
function encodedY(encoding: Uint8Array): bigint {
  return bytesToNumberLE(encoding) & (2n ** 255n - 1n);
}

/** True when the encoding's y (reduced mod p) is that of a point of order ≤ 8, whatever its x sign. */
export function isSmallOrderEncoding(encoding: Uint8Array): boolean {
  return SMALL_ORDER_Y.has(encodedY(encoding) % FIELD_PRIME);
}

/** The signature pre-checks shared by both backends (file header). */
export function passesStrictChecks(signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (bytesToNumberLE(signature.subarray(32, 64)) >= GROUP_ORDER) return false;
  if (isSmallOrderEncoding(signature.subarray(0, 32))) return false;
  if (encodedY(publicKey) >= FIELD_PRIME) return false;
  return !isSmallOrderEncoding(publicKey);
}

/** The ed25519 functions of one backend. */
export function createEd25519(backend: CryptoBackend) {
  function ed25519KeyPairFromSeed(seed: Uint8Array): Ed25519KeyPair {
    assertBytes('seed', seed, ED25519_SEED_BYTES);
    return { seed: seed.slice(), publicKey: backend.ed25519PublicKey(seed) };
  }
  return {
    /**
     * The key pair of a 32-byte RFC 8032 private key.
     * @throws {CryptoError} INVALID_LENGTH unless seed is 32 bytes.
     */
    ed25519KeyPairFromSeed,
    /** A fresh random key pair. */
    generateEd25519KeyPair: (): Ed25519KeyPair => {
      return ed25519KeyPairFromSeed(backend.randomBytes(ED25519_SEED_BYTES));
    },
    /**
     * Signs `message` (RFC 8032 §5.1.6, deterministic).
     * @throws {CryptoError} INVALID_LENGTH unless seed is 32 bytes; INVALID_ARGUMENT for a non-bytes message.
     */
    ed25519Sign: (message: Uint8Array, seed: Uint8Array): Uint8Array => {
      assertUint8Array('message', message);
      assertBytes('seed', seed, ED25519_SEED_BYTES);
      return backend.ed25519Sign(message, seed);
    },
    /**
     * Verifies with the strict rules of this file's header; false for any invalid signature
     * or key encoding.
     * @throws {CryptoError} INVALID_LENGTH / INVALID_ARGUMENT only for wrong types or lengths.
     */
    ed25519Verify: (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean => {
      assertUint8Array('message', message);
      assertBytes('signature', signature, ED25519_SIGNATURE_BYTES);
      assertBytes('publicKey', publicKey, ED25519_PUBLIC_KEY_BYTES);
      if (!passesStrictChecks(signature, publicKey)) return false;
      return backend.ed25519Verify(message, signature, publicKey);
    },
  };
}
