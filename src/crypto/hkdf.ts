// HKDF-SHA256 (RFC 5869) with argument checks.
import type { CryptoBackend } from './backend.js';
import { assertInteger, assertUint8Array } from './checks.js';

/** RFC 5869 §2.3: L ≤ 255 × HashLen. */
export const HKDF_SHA256_MAX_LENGTH = 255 * 32;

/** The HKDF function of one backend. */
export function createHkdf(backend: CryptoBackend) {
  return {
    /**
     * HKDF-SHA256 extract-then-expand (RFC 5869 §2). An empty salt means HashLen zero bytes.
     * @example hkdfSha256(ikm, salt, utf8Encode('label'), 32)
     * @throws {CryptoError} INVALID_ARGUMENT if an argument has the wrong type or `length` is
     *   not an integer in [1, 8160].
     */
    hkdfSha256: (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array => {
      assertUint8Array('ikm', ikm);
      assertUint8Array('salt', salt);
      assertUint8Array('info', info);
      assertInteger('length', length, 1, HKDF_SHA256_MAX_LENGTH);
      return backend.hkdfSha256(ikm, salt, info, length);
    },
  };
}
