// AES-256-GCM (NIST SP 800-38D) with a 96-bit IV and a 128-bit tag appended to the ciphertext.
import type { CryptoBackend } from './backend.js';
import { assertBytes, assertUint8Array } from './checks.js';
import { CryptoError } from './errors.js';

export const AES_KEY_BYTES = 32;
export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;
const EMPTY = new Uint8Array(0);

/** The AEAD functions of one backend. */
export function createAead(backend: CryptoBackend) {
  return {
    /**
     * Encrypts and authenticates. The caller guarantees (key, iv) is never reused.
     * @returns ciphertext || tag (plaintext length + 16 bytes)
     * @throws {CryptoError} INVALID_LENGTH if key is not 32 bytes or iv not 12; INVALID_ARGUMENT
     *   if an argument is not a Uint8Array.
     */
    aesGcmEncrypt: (
      key: Uint8Array,
      iv: Uint8Array,
      plaintext: Uint8Array,
      aad: Uint8Array = EMPTY,
    ): Uint8Array => {
      assertBytes('key', key, AES_KEY_BYTES);
      assertBytes('iv', iv, GCM_IV_BYTES);
      assertUint8Array('plaintext', plaintext);
      assertUint8Array('aad', aad);
      return backend.aesGcmEncrypt(key, iv, plaintext, aad);
    },
    /**
     * Verifies and decrypts `sealed` = ciphertext || tag.
     * @throws {CryptoError} DECRYPT_FAILED if the tag does not verify (wrong key, iv or aad, or
     *   tampering); INVALID_LENGTH for a bad key/iv length or `sealed` shorter than the tag.
     */
    aesGcmDecrypt: (
      key: Uint8Array,
      iv: Uint8Array,
      sealed: Uint8Array,
      aad: Uint8Array = EMPTY,
    ): Uint8Array => {
      assertBytes('key', key, AES_KEY_BYTES);
      assertBytes('iv', iv, GCM_IV_BYTES);
      assertUint8Array('sealed', sealed);
      assertUint8Array('aad', aad);
      if (sealed.length < GCM_TAG_BYTES) {
        throw new CryptoError(
          'INVALID_LENGTH',
          `sealed must be at least ${GCM_TAG_BYTES} bytes, got ${sealed.length}`,
        );
      }
      const plaintext = backend.aesGcmDecrypt(key, iv, sealed, aad);
      if (plaintext === null) {
        throw new CryptoError(
          'DECRYPT_FAILED',
          'AES-GCM authentication failed: wrong key, IV or associated data, or the data was altered',
        );
      }
      return plaintext;
    },
  };
}
