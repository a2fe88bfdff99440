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
import { hexToBytes } from './bytes.js';
import { assertBytes, assertUint8Array } from './checks.js';

export const ED25519_SEED_BYTES = 32;
export const ED25519_PUBLIC_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;

/** An ed25519 key pair: the 32-byte RFC 8032 private key ("seed") and its public key. */
export interface Ed25519KeyPair {
  seed: Uint8Array;
  publicKey: Uint8Array;
}

// Byte-level checks (no bigint: they run before every verification, and bigint parsing cost
// ~6 µs, 8 % of a libsodium verify). Encodings are little-endian, bit 255 is the sign of x.

/** L = 2^252 + 27742317777372353535851937790883648493, little-endian (RFC 8032 §5.1). */
const GROUP_ORDER_LE = hexToBytes('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010');

// Every 255-bit y (sign bit ignored) of a point of order 1, 2, 4 or 8, including the
// non-canonical y = p and y = p + 1; no other representable value is ≡ to one of these mod p
// (as libsodium's blacklist in ge25519_has_small_order).
const SMALL_ORDER_Y_LE = [
  '0000000000000000000000000000000000000000000000000000000000000000', // y = 0 (order 4)
  '0100000000000000000000000000000000000000000000000000000000000000', // y = 1 (identity)
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', // order 8
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', // order 8
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // y = p − 1 (order 2)
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // y = p ≡ 0
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // y = p + 1 ≡ 1
].map((hex) => hexToBytes(hex));

/** a < b for 32-byte little-endian numbers. */
function lessThanLE(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    if (a[i] !== b[i]) return a[i]! < b[i]!;
  }
  return false;
}

/** True when the encoding's y is that of a point of order ≤ 8, whatever its x sign. */
export function isSmallOrderEncoding(encoding: Uint8Array): boolean {
  return SMALL_ORDER_Y_LE.some((y) => {
    for (let i = 0; i < 31; i++) if (encoding[i] !== y[i]) return false;
    return (encoding[31]! & 0x7f) === y[31];
  });
}

/** y < p = 2^255 − 19: fails only for 0x7f ff … ff with a first byte ≥ 0xed (sign bit ignored). */
function isCanonicalY(encoding: Uint8Array): boolean {
  if ((encoding[31]! & 0x7f) !== 0x7f) return true;
  for (let i = 30; i > 0; i--) if (encoding[i] !== 0xff) return true;
  return encoding[0]! < 0xed;
}

/** The signature pre-checks shared by both backends (file header). */
export function passesStrictChecks(signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (!lessThanLE(signature.subarray(32, 64), GROUP_ORDER_LE)) return false;
  if (isSmallOrderEncoding(signature.subarray(0, 32))) return false;
  return isCanonicalY(publicKey) && !isSmallOrderEncoding(publicKey);
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
