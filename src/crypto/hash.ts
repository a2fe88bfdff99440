// SHA-256, RIPEMD-160 and HMAC-SHA256 with argument checks.
import type { CryptoBackend } from './backend.js';
import { assertUint8Array } from './checks.js';

/** The hash functions of one backend. */
export function createHashes(backend: CryptoBackend) {
  return {
    /**
     * SHA-256 (FIPS 180-4).
     * @example bytesToHex(sha256(utf8Encode('abc'))) // 'ba7816bf…'
     * @throws {CryptoError} INVALID_ARGUMENT if `data` is not a Uint8Array.
     */
    sha256: (data: Uint8Array): Uint8Array => {
      assertUint8Array('data', data);
      return backend.sha256(data);
    },
    /**
     * SHA-512 (FIPS 180-4).
     * @throws {CryptoError} INVALID_ARGUMENT if `data` is not a Uint8Array.
     */
    sha512: (data: Uint8Array): Uint8Array => {
      assertUint8Array('data', data);
      return backend.sha512(data);
    },
    /**
     * RIPEMD-160 (used only for addresses: ripemd160(sha256(pubkey)), as Cosmos and Bitcoin).
     * @throws {CryptoError} INVALID_ARGUMENT if `data` is not a Uint8Array.
     */
    ripemd160: (data: Uint8Array): Uint8Array => {
      assertUint8Array('data', data);
      return backend.ripemd160(data);
    },
    /**
     * HMAC-SHA256 (RFC 2104); any key length.
     * @throws {CryptoError} INVALID_ARGUMENT if `key` or `data` is not a Uint8Array.
     */
    hmacSha256: (key: Uint8Array, data: Uint8Array): Uint8Array => {
      assertUint8Array('key', key);
      assertUint8Array('data', data);
      return backend.hmacSha256(key, data);
    },
  };
}
