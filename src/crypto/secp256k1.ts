// secp256k1 ECDSA for account keys (DESIGN.md §3 "Accounts"): 64-byte compact r || s
// signatures, RFC 6979 nonces, low-S only (BIP 62 / libsecp256k1 normalization), SHA-256
// message hashes computed by the caller over canonical sign bytes.
import type { CryptoBackend } from './backend.js';
import { hexToBytes } from './bytes.js';
import { assertBytes, assertBytesOneOf, assertInteger } from './checks.js';
import { CryptoError } from './errors.js';

export const SECP256K1_PRIVATE_KEY_BYTES = 32;
export const SECP256K1_SIGNATURE_BYTES = 64;
export const SECP256K1_MESSAGE_HASH_BYTES = 32;
const CURVE_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
// Big-endian n and floor(n / 2), for byte comparisons on the verify path (no bigint parsing).
const ORDER_BE = hexToBytes('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
const HALF_ORDER_BE = hexToBytes('7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0');

function bytesToBigIntBE(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/** Compares 32-byte big-endian numbers: negative, zero or positive as a <, =, > b. */
function compareBE(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 32; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return 0;
}

function isZero(bytes: Uint8Array): boolean {
  return bytes.every((byte) => byte === 0);
}

/** Throws INVALID_KEY unless `privateKey` is 32 bytes encoding 1 ≤ k < n (SEC 1 §2.2.1). */
export function assertSecp256k1PrivateKey(
  name: string,
  privateKey: unknown,
): asserts privateKey is Uint8Array {
  assertBytes(name, privateKey, SECP256K1_PRIVATE_KEY_BYTES);
  const scalar = bytesToBigIntBE(privateKey);
  if (scalar === 0n || scalar >= CURVE_ORDER) {
    throw new CryptoError('INVALID_KEY', `${name} must be a scalar in [1, n-1]; generate a new key`);
  }
}

/** SEC 1 §2.3.3 prefixes only: 0x02/0x03 compressed, 0x04 uncompressed (not hybrid 0x06/0x07). */
function hasStandardPrefix(publicKey: Uint8Array): boolean {
  return publicKey.length === 33 ? publicKey[0] === 2 || publicKey[0] === 3 : publicKey[0] === 4;
}

/** r and s in [1, n-1] and s ≤ n/2. */
function isCanonicalLowS(signature: Uint8Array): boolean {
  const r = signature.subarray(0, 32);
  const s = signature.subarray(32, 64);
  return !isZero(r) && compareBE(r, ORDER_BE) < 0 && !isZero(s) && compareBE(s, HALF_ORDER_BE) <= 0;
}

function invalidPublicKey(): CryptoError {
  return new CryptoError('INVALID_KEY', 'publicKey is not a valid secp256k1 point (SEC 1 02/03/04 encoding)');
}

/** The secp256k1 functions of one backend. */
export function createSecp256k1(backend: CryptoBackend) {
  function secp256k1SignRecoverable(
    messageHash: Uint8Array,
    privateKey: Uint8Array,
  ): { signature: Uint8Array; recoveryId: number } {
    assertBytes('messageHash', messageHash, SECP256K1_MESSAGE_HASH_BYTES);
    assertSecp256k1PrivateKey('privateKey', privateKey);
    return backend.secp256k1Sign(messageHash, privateKey);
  }

  return {
    /**
     * The public key of `privateKey`, SEC 1 encoded (33 bytes compressed by default, or 65).
     * @throws {CryptoError} INVALID_LENGTH / INVALID_KEY for a bad private key.
     */
    secp256k1PublicKey: (privateKey: Uint8Array, compressed = true): Uint8Array => {
      assertSecp256k1PrivateKey('privateKey', privateKey);
      if (typeof compressed !== 'boolean') {
        throw new CryptoError('INVALID_ARGUMENT', 'compressed must be a boolean');
      }
      return backend.secp256k1PublicKey(privateKey, compressed);
    },

    /**
     * Re-encodes a public key (33 or 65 bytes) in compressed (default) or uncompressed form.
     * @throws {CryptoError} INVALID_LENGTH; INVALID_KEY if it is not a point on the curve.
     */
    secp256k1ConvertPublicKey: (publicKey: Uint8Array, compressed = true): Uint8Array => {
      assertBytesOneOf('publicKey', publicKey, [33, 65]);
      const converted = hasStandardPrefix(publicKey)
        ? backend.secp256k1ConvertPublicKey(publicKey, compressed)
        : null;
      if (converted === null) throw invalidPublicKey();
      return converted;
    },

    /**
     * Signs a 32-byte message hash: RFC 6979 deterministic, low-S, 64-byte r || s.
     * @example secp256k1Sign(sha256(signBytes), privateKey)
     * @throws {CryptoError} INVALID_LENGTH / INVALID_KEY for bad arguments.
     */
    secp256k1Sign: (messageHash: Uint8Array, privateKey: Uint8Array): Uint8Array => {
      return secp256k1SignRecoverable(messageHash, privateKey).signature;
    },

    /**
     * As secp256k1Sign, also returning the recovery id (0–3) for secp256k1RecoverPublicKey.
     * @throws {CryptoError} INVALID_LENGTH / INVALID_KEY for bad arguments.
     */
    secp256k1SignRecoverable,

    /**
     * Verifies a compact signature. Only low-S signatures verify (high-S returns false, as
     * libsecp256k1), so a signature cannot be malleated into a second valid one; r or s out
     * of [1, n-1] also returns false.
     * @throws {CryptoError} INVALID_KEY if publicKey is not a SEC 1 02/03/04 encoding of a
     *   curve point; INVALID_LENGTH / INVALID_ARGUMENT for wrong types or lengths.
     */
    secp256k1Verify: (messageHash: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean => {
      assertBytes('messageHash', messageHash, SECP256K1_MESSAGE_HASH_BYTES);
      assertBytes('signature', signature, SECP256K1_SIGNATURE_BYTES);
      assertBytesOneOf('publicKey', publicKey, [33, 65]);
      if (!hasStandardPrefix(publicKey)) throw invalidPublicKey();
      // Out-of-range or high-S: not a signature we accept; checking first also means the
      // backend never sees a scalar it could reject by throwing.
      if (!isCanonicalLowS(signature)) {
        if (backend.secp256k1ConvertPublicKey(publicKey, true) === null) throw invalidPublicKey();
        return false;
      }
      const valid = backend.secp256k1Verify(messageHash, signature, publicKey);
      if (valid === null) throw invalidPublicKey();
      return valid;
    },

    /**
     * Recovers the (33-byte compressed) public key that made `signature` over `messageHash`.
     * @throws {CryptoError} INVALID_SIGNATURE_ENCODING if r or s is out of range or s is high;
     *   RECOVERY_FAILED if no key matches; INVALID_ARGUMENT unless recoveryId is 0–3.
     */
    secp256k1RecoverPublicKey: (
      messageHash: Uint8Array,
      signature: Uint8Array,
      recoveryId: number,
    ): Uint8Array => {
      assertBytes('messageHash', messageHash, SECP256K1_MESSAGE_HASH_BYTES);
      assertBytes('signature', signature, SECP256K1_SIGNATURE_BYTES);
      assertInteger('recoveryId', recoveryId, 0, 3);
      if (!isCanonicalLowS(signature)) {
        throw new CryptoError('INVALID_SIGNATURE_ENCODING', 'signature must have r, s in [1, n-1] and low s');
      }
      const publicKey = backend.secp256k1Recover(messageHash, signature, recoveryId);
      if (publicKey === null) {
        throw new CryptoError(
          'RECOVERY_FAILED',
          'no public key can be recovered from this signature and recoveryId',
        );
      }
      return publicKey;
    },
  };
}
